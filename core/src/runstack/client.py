"""`runstack.Client`: the Python API for components, stacks and flavors; the CLI wraps it."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runstack import paths
from runstack.client_config import ClientConfig, load_config, save_config
from runstack.component_types import ComponentType
from runstack.defaults import DEFAULT_NAME
from runstack.errors import (
    AlreadyExistsError,
    ConfigError,
    InUseError,
    MissingSecretsError,
    NotFoundError,
    RunstackError,
)
from runstack.stacks import Stack, StackComponent

if TYPE_CHECKING:
    from runstack.components.base import BaseComponent
    from runstack.flavor_registry import FlavorRegistry, RegisteredFlavor
    from runstack.flavors import Flavor
    from runstack.history.artifact_stores import ArtifactStores
    from runstack.history.queries import ArtifactQueries, RunQueries
    from runstack.plugins import Plugin
    from runstack.store.base import Store

_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

TypeLike = ComponentType | str
ComponentNames = Mapping[ComponentType, str] | Mapping[str, str]


class Client:
    """One user's view of the store: registers components and stacks, and picks the active stack.

    The store and the flavor registry are opened on first use, so commands that
    need neither (`--help`, `--version`) pay for neither.
    """

    def __init__(
        self, *, store: Store | None = None, flavors: FlavorRegistry | None = None
    ) -> None:
        self._config_path = paths.config_path()
        self.config: ClientConfig = load_config(self._config_path)
        self._store = store
        self._flavors = flavors

    # -- collaborators -------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            from runstack.store.sqlite import SqliteStore

            self._store = SqliteStore(self.config.resolved_store_path(), owner=self.user)
        return self._store

    @property
    def flavors(self) -> FlavorRegistry:
        if self._flavors is None:
            from runstack.installed import installed

            self._flavors = installed().flavors
        return self._flavors

    @cached_property
    def runs(self) -> RunQueries:
        """What ran: `client.runs.list()`, `.get(name)`, `.delete(name)`, `.pipelines()`."""
        from runstack.history.queries import RunQueries

        return RunQueries(self._artifact_stores, lambda stack: self.get_stack(stack).id)

    @cached_property
    def artifacts(self) -> ArtifactQueries:
        """What ran made: `client.artifacts.list()`, `.get(id).load()`, `.lineage(id)`."""
        from runstack.history.queries import ArtifactQueries

        return ArtifactQueries(self._artifact_stores)

    @cached_property
    def _artifact_stores(self) -> ArtifactStores:
        from runstack.history.artifact_stores import ArtifactStores

        return ArtifactStores(self.store, self.build_component)

    @property
    def user(self) -> str:
        return self.config.user

    @property
    def config_path(self) -> Path:
        return self._config_path

    # -- flavors -------------------------------------------------------------

    def list_flavors(self, component_type: TypeLike | None = None) -> list[RegisteredFlavor]:
        return self.flavors.list(None if component_type is None else _type(component_type))

    def get_flavor(self, component_type: TypeLike, name: str) -> Flavor:
        return self.flavors.get(_type(component_type), name)

    def plugins(self) -> list[Plugin]:
        """Installed plugins: what each registered and every problem found, implementation
        paths that lead nowhere included."""
        self.flavors.check_implementations()
        return self.flavors.plugins.plugins

    # -- components ----------------------------------------------------------

    def list_components(self, component_type: TypeLike | None = None) -> list[StackComponent]:
        return self.store.list_components(None if component_type is None else _type(component_type))

    def get_component(self, component_type: TypeLike, name_or_id: str) -> StackComponent:
        return self.store.get_component(_type(component_type), name_or_id)

    def register_component(
        self,
        component_type: TypeLike,
        name: str,
        flavor: str,
        config: Mapping[str, Any] | None = None,
        *,
        shared: bool = False,
    ) -> StackComponent:
        """Validate `config` with the flavor's model and store the new component."""
        from runstack.implementations import require_implementation

        kind = _type(component_type)
        self._check_component_name(name, kind)
        registered_flavor = self.get_flavor(kind, flavor)
        require_implementation(registered_flavor)
        settings, secrets = self._validated(registered_flavor, config or {})
        component = StackComponent.new(
            flavor_version=self._flavor_version(kind, flavor),
            name=name,
            type=kind,
            flavor=flavor,
            config=settings,
            secrets=secrets,
            owner=self.user,
            shared=shared,
        )
        self.store.create_component(component)
        return component

    def update_component(
        self, component_type: TypeLike, name_or_id: str, config: Mapping[str, Any]
    ) -> StackComponent:
        """Merge `config` into the component's config and validate the result as a whole."""
        component = self.get_component(component_type, name_or_id)
        flavor = self.get_flavor(component.type, component.flavor)
        settings, secrets = self._validated(flavor, {**component.full_config(), **config})
        updated = component.changed(
            config=settings,
            secrets=secrets,
            flavor_version=self._flavor_version(component.type, component.flavor),
        )
        self.store.update_component(updated)
        return updated

    def rename_component(
        self, component_type: TypeLike, name_or_id: str, new_name: str
    ) -> StackComponent:
        component = self.get_component(component_type, name_or_id)
        self._check_component_name(new_name, component.type)
        renamed = component.changed(name=new_name)
        self.store.update_component(renamed)
        return renamed

    def share_component(self, component_type: TypeLike, name_or_id: str) -> StackComponent:
        component = self.get_component(component_type, name_or_id)
        shared = component.changed(shared=True)
        self.store.update_component(shared)
        return shared

    def delete_component(
        self, component_type: TypeLike, name_or_id: str, *, force: bool = False
    ) -> StackComponent:
        """Delete a component that no stack uses (the error names the stacks that do).

        An artifact store that recorded runs still use is deleted only with `force`,
        and its files stay where they are (a warning says where).
        """
        component = self.get_component(component_type, name_or_id)
        runs = (
            self.store.runs_using_artifact_store(component.id)
            if component.type is ComponentType.ARTIFACT_STORE
            else []
        )
        if runs:
            folder = self._artifact_folder(component)
            if not force:
                shown = ", ".join(runs[:3]) + (", ..." if len(runs) > 3 else "")
                raise InUseError(
                    f"the artifact store {component.name!r} holds the artifacts of {len(runs)} "
                    f"run(s) ({shown}); delete those runs first, or pass --force to forget the "
                    f"store and leave its files in {folder}"
                )
        self.store.delete_component(component.id)
        if runs:
            warnings.warn(
                f"the files of the artifact store {component.name!r} stay in {folder} "
                f"({len(runs)} run(s) still refer to them)",
                stacklevel=2,
            )
        return component

    def _artifact_folder(self, component: StackComponent) -> str:
        """Where an artifact store keeps its files, for messages (even if it cannot be built)."""
        try:
            return self._artifact_stores.get(component.id).root
        except RunstackError:
            return "its folder"

    def build_component(self, component: StackComponent) -> BaseComponent:
        """Instantiate the flavor's implementation with the component's validated config.

        A config validated now is noted with the flavor's plugin version, so that later
        runs need not validate it again until that version changes.
        """
        from runstack.implementations import buildable_class
        from runstack.stored_configs import stored_config

        registered = self.flavors.registered(component.type, component.flavor)
        config, validated = stored_config(registered, component)
        implementation = buildable_class(registered.flavor)
        built = implementation(id=component.id, name=component.name, config=config)
        version = registered.plugin.version
        if validated and version and version != component.flavor_version:
            self.store.record_flavor_version(component.id, version)
        return built

    def _flavor_version(self, component_type: ComponentType, name: str) -> str:
        """The version of the plugin that provides the flavor ('' if registered directly)."""
        return self.flavors.registered(component_type, name).plugin.version

    def _validated(
        self, flavor: Flavor, values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        from runstack.secret_references import anchored, check_written

        settings, secrets = flavor.split_config(flavor.validate_config(values))
        for key, value in secrets.items():
            check_written(key, value)
        return settings, {key: anchored(value) for key, value in secrets.items()}

    # -- stacks --------------------------------------------------------------

    def list_stacks(self) -> list[Stack]:
        return self.store.list_stacks()

    def get_stack(self, name_or_id: str | None = None) -> Stack:
        """A stack by name or id; with no argument, the active stack."""
        return self.active_stack if name_or_id is None else self.store.get_stack(name_or_id)

    @property
    def active_stack(self) -> Stack:
        """The stack pipelines run on; the default stack until another is set."""
        active_id = self.config.active_stack_id
        if active_id:
            try:
                return self.store.get_stack(active_id)
            except NotFoundError:
                warnings.warn(
                    f"the active stack (id {active_id}) no longer exists; using the default "
                    "stack until 'runstack stack set' picks another",
                    stacklevel=2,
                )
        return self.store.get_stack(DEFAULT_NAME)

    def set_active_stack(self, name_or_id: str) -> Stack:
        stack = self.store.get_stack(name_or_id)
        self.config = self.config.with_active_stack(stack.id)
        save_config(self.config, self._config_path)
        return stack

    def register_stack(
        self,
        name: str,
        components: ComponentNames,
        *,
        shared: bool = False,
    ) -> Stack:
        """A new stack from registered components, given by type and name or id."""
        self._check_stack_name(name)
        stack = Stack.new(
            name=name,
            owner=self.user,
            shared=shared,
            components=self._members({_type(t): n for t, n in components.items()}),
        )
        return self.store.create_stack(stack)

    def update_stack(
        self,
        name_or_id: str,
        components: Mapping[ComponentType, str | None] | Mapping[str, str | None],
    ) -> Stack:
        """Swap components of a stack; `None` removes an optional component."""
        stack = self.get_stack(name_or_id)
        changes = {_type(t): n for t, n in components.items()}
        for kind in (t for t, n in changes.items() if n is None):
            if kind.required:
                raise ConfigError(
                    f"a stack needs {kind.with_article}, so it cannot be removed; swap it with "
                    f"'runstack stack update {stack.name} {kind.short_option} NAME'"
                )
            if kind not in stack.components:
                raise ConfigError(f"the stack {stack.name!r} has no {kind.noun} to remove")
        names: dict[ComponentType, str | None] = {t: c.id for t, c in stack.components.items()}
        names.update(changes)
        members = self._members({t: n for t, n in names.items() if n is not None})
        updated = stack.changed(components=members)
        self.store.update_stack(updated)
        return updated

    def rename_stack(self, name_or_id: str, new_name: str) -> Stack:
        stack = self._changeable_stack(name_or_id, "rename")
        self._check_stack_name(new_name)
        renamed = stack.changed(name=new_name)
        self.store.update_stack(renamed)
        return renamed

    def copy_stack(self, name_or_id: str, new_name: str) -> Stack:
        source = self.get_stack(name_or_id)
        return self.register_stack(
            new_name, {t: c.id for t, c in source.components.items()}, shared=source.shared
        )

    def share_stack(self, name_or_id: str) -> Stack:
        """Share a stack and its components with every user of the store."""
        stack = self.get_stack(name_or_id)
        for component in stack.components.values():
            if not component.shared:
                self.share_component(component.type, component.id)
        shared = stack.changed(shared=True)
        self.store.update_stack(shared)
        return self.get_stack(stack.id)

    def deletable_stack(self, name_or_id: str) -> Stack:
        """The stack `delete_stack` would delete, or its error (so the CLI asks only if it can)."""
        stack = self._changeable_stack(name_or_id, "delete")
        if stack.id == self.active_stack.id:
            raise InUseError(
                f"the stack {stack.name!r} is active; switch to another first "
                f"('runstack stack set {DEFAULT_NAME}')"
            )
        return stack

    def delete_stack(self, name_or_id: str) -> Stack:
        """Delete a stack that is not active; its components stay registered."""
        stack = self.deletable_stack(name_or_id)
        self.store.delete_stack(stack.id)
        return stack

    def export_stack(self, name_or_id: str, path: Path) -> Stack:
        """Write the stack and its components to a TOML file (secret values left out)."""
        from runstack.stack_files import write_stack_file

        stack = self.get_stack(name_or_id)
        write_stack_file(stack, path)
        return stack

    def import_stack(
        self,
        path: Path,
        name: str | None = None,
        *,
        secrets: Mapping[TypeLike, Mapping[str, str]] | None = None,
    ) -> Stack:
        """Create a stack from an exported TOML file, with its components, in one transaction.

        `secrets` gives, per component type, values (or references) for the secrets
        the file names but leaves out. A component whose name is taken is reused when
        flavor, config and any given secret match; one to be created needs every
        secret the file names, or nothing is created.
        """
        from runstack.implementations import require_implementation
        from runstack.stack_files import read_stack_file

        definition = read_stack_file(path)
        stack_name = name or definition.name
        self._check_stack_name(stack_name)
        if any(stack.name == stack_name for stack in self.store.list_stacks()):
            raise _stack_name_taken(path, stack_name)
        missing = _missing_required(definition.components)
        if missing is not None:
            raise ConfigError(
                f"{path}: a stack needs {missing.with_article}; "
                f"add a [components.{missing.value}] table"
            )
        given = _given_secrets(path, definition.components, secrets or {})
        members: dict[ComponentType, StackComponent] = {}
        lacking: dict[ComponentType, list[str]] = {}
        for kind, spec in definition.components.items():
            where = f"{path}: the {kind.noun} {spec.name!r}"
            try:
                flavor = self.get_flavor(kind, spec.flavor)
            except NotFoundError as error:
                raise NotFoundError(f"{where}: {error}") from None
            require_implementation(flavor)
            secret_keys = {field.name for field in flavor.fields() if field.secret}
            not_secret = sorted(set(given.get(kind, {})) - secret_keys)
            if not_secret:
                raise ConfigError(
                    f"{path}: --secret {kind.value}.{not_secret[0]}: {not_secret[0]!r} is not a "
                    f"secret key of the {kind.noun} {spec.name!r}; put it in the file's config"
                )
            unknown = [key for key in spec.secrets if key not in secret_keys]
            if unknown:
                raise ConfigError(
                    f"{where}: the file names {unknown[0]!r} as a secret, which is not a secret "
                    f"key of the {flavor.label}; fix the file, then import again"
                )
            lacking[kind] = [key for key in spec.secrets if key not in given.get(kind, {})]
            try:
                settings, kept = self._validated(flavor, {**spec.config, **given.get(kind, {})})
            except ConfigError as error:
                if lacking[kind]:  # what is wrong may well be the secret left out
                    raise _secrets_needed(path, [(kind, k) for k in lacking[kind]]) from None
                raise ConfigError(f"{where}: {error}; fix the file, then import again") from None
            if self._existing(kind, spec.name) is None:
                self._check_component_name(spec.name, kind)
            members[kind] = StackComponent.new(
                name=spec.name,
                type=kind,
                flavor=spec.flavor,
                config=settings,
                secrets=kept,
                owner=self.user,
            )
        stack = Stack.new(name=stack_name, owner=self.user, components=members)
        try:
            return self.store.create_stack(stack, list(members.values()), lacking=lacking)
        except MissingSecretsError as error:
            raise _secrets_needed(path, error.missing) from None
        except AlreadyExistsError:
            raise _stack_name_taken(path, stack_name) from None
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from None

    def _check_component_name(self, name: str, kind: ComponentType) -> None:
        from runstack.names import check_not_an_id  # only registrations check names

        _check_name(name, kind.noun)
        check_not_an_id(
            name, kind.noun, lambda: ((c.id, c.name) for c in self.list_components(kind))
        )

    def _check_stack_name(self, name: str) -> None:
        from runstack.names import check_not_an_id

        _check_name(name, "stack")
        check_not_an_id(name, "stack", lambda: ((s.id, s.name) for s in self.list_stacks()))

    def _existing(self, kind: ComponentType, name: str) -> StackComponent | None:
        try:
            return self.store.get_component(kind, name)
        except NotFoundError:
            return None

    def _changeable_stack(self, name_or_id: str, action: str) -> Stack:
        stack = self.get_stack(name_or_id)
        if stack.name == DEFAULT_NAME:
            raise InUseError(
                f"the default stack cannot be {action}d; it is what every client starts on"
            )
        return stack

    def _members(self, names: Mapping[ComponentType, str]) -> dict[ComponentType, StackComponent]:
        """Look up a stack's components, saying clearly when a name is of another type."""
        members = {}
        for kind, name_or_id in names.items():
            try:
                members[kind] = self.store.get_component(kind, name_or_id)
            except NotFoundError:
                others = [t for t in ComponentType if t != kind and self._existing(t, name_or_id)]
                if others:
                    raise ConfigError(
                        f"{name_or_id!r} is {others[0].with_article}, not {kind.with_article}; "
                        f"pass it with {others[0].short_option}/--{others[0].cli_name}"
                    ) from None
                raise
        _check_required(members)
        return members

    # -- status --------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Where everything is and what is installed, for `runstack status`."""
        stack = self.active_stack
        artifacts: dict[str, Any]
        try:
            artifacts = self.build_component(stack.artifact_store).describe()
        except RunstackError as error:
            artifacts = {"error": str(error)}
        return {
            "user": self.user,
            "home": str(paths.runstack_home()),
            "config": str(self._config_path),
            "store": self.store.location,
            "active_stack": {"name": stack.name, "id": stack.id},
            "artifact_store": {"name": stack.artifact_store.name, **artifacts},
            "plugins": [plugin.to_dict() for plugin in self.plugins()],
        }


def _type(value: TypeLike) -> ComponentType:
    return value if isinstance(value, ComponentType) else ComponentType.parse(value)


def _check_name(name: str, what: str) -> None:
    if not _NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"invalid {what} name {name!r}: use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, at most 64 characters"
        )


def _stack_name_taken(path: Path, name: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"{path}: a stack named {name!r} already exists; import it under another name with --name"
    )


def _given_secrets(
    path: Path,
    components: Mapping[ComponentType, object],
    secrets: Mapping[TypeLike, Mapping[str, str]],
) -> dict[ComponentType, dict[str, str]]:
    """The secrets given for an import, by type, each for a component the file has."""
    from runstack.secret_references import check_written

    given = {_type(kind): dict(values) for kind, values in secrets.items()}
    for kind, values in given.items():
        if kind not in components:
            raise ConfigError(f"{path}: --secret names {kind.with_article}, but the stack has none")
        for key, value in values.items():
            try:
                check_written(key, value)
            except ConfigError as error:
                raise ConfigError(f"{path}: --secret {kind.value}.{key}: {error}") from None
    return given


def _secrets_needed(path: Path, missing: Sequence[tuple[ComponentType, str]]) -> ConfigError:
    names = [f"{kind.value}.{key}" for kind, key in missing]
    return ConfigError(
        f"{path}: the stack file leaves out secrets its components need: {', '.join(names)}; "
        f"give each with --secret {names[0]}='{{{{env.NAME}}}}' (or '{{{{file:PATH}}}}', or "
        "the value), then import again"
    )


def _missing_required(members: Mapping[ComponentType, object]) -> ComponentType | None:
    return next((kind for kind in ComponentType if kind.required and kind not in members), None)


def _check_required(members: Mapping[ComponentType, StackComponent]) -> None:
    kind = _missing_required(members)
    if kind is not None:
        raise ConfigError(
            f"a stack needs {kind.with_article}: pass one with "
            f"{kind.short_option}/--{kind.cli_name} (see 'runstack {kind.cli_name} list')"
        )
