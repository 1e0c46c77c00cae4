"""`runstack.Client`: the Python API for components, stacks and flavors; the CLI wraps it."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runstack import paths
from runstack.client_config import ClientConfig, ServerLogin, load_config, save_config
from runstack.component_types import ComponentType
from runstack.defaults import DEFAULT_NAME, keep_default
from runstack.errors import (
    InUseError,
    NotFoundError,
    RunstackError,
)
from runstack.locality import check_reachable
from runstack.registration import (
    changed_members,
    check_component_name,
    check_stack_name,
    stack_members,
    validated_config,
)
from runstack.stacks import Stack, StackComponent, require_owner

if TYPE_CHECKING:
    from runstack.components.base import BaseComponent
    from runstack.flavor_registry import FlavorRegistry, RegisteredFlavor
    from runstack.flavors import Flavor
    from runstack.history.artifact_stores import ArtifactStores
    from runstack.history.pipelines import PipelineHistory
    from runstack.history.queries import ArtifactQueries, RunQueries
    from runstack.history.results import Artifact, PipelineRun
    from runstack.plugins import Plugin
    from runstack.store.base import Store

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
        """The team server's store once logged in (`runstack login`), else the embedded one."""
        if self._store is None:
            login = self.config.server
            if login is not None:
                from runstack.store.http import HttpStore

                self._store = HttpStore(login.url, login.token, user=login.user)
            else:
                from runstack.store.sqlite import SqliteStore

                self._store = SqliteStore(self.config.resolved_store_path(), owner=self.config.user)
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

    def get_run(self, name_or_id: str) -> PipelineRun:
        """A past run by name, id or id prefix: `client.get_run(name).steps["train"]`."""
        return self.runs.get(name_or_id)

    def get_pipeline_run(self, name_or_id: str) -> PipelineRun:
        """ZenML's name for `get_run`."""
        return self.get_run(name_or_id)

    def get_pipeline(self, name: str) -> PipelineHistory:
        """A pipeline that has run: `.runs`, `.last_run`, `.last_successful_run`."""
        from runstack.history.pipelines import pipeline_history

        return pipeline_history(self.runs, name)

    def get_artifact(self, artifact_id: str) -> Artifact:
        """A stored output by id or id prefix: `client.get_artifact(id).load()`."""
        return self.artifacts.get(artifact_id)

    def get_artifact_version(
        self, name_id_or_prefix: str, version: str | int | None = None
    ) -> Artifact:
        """ZenML's lookup: a version of the artifacts of a name (the newest when `version` is
        None), or an artifact by id: `client.get_artifact_version("model", "2").load()`."""
        return self.artifacts.get_version(name_id_or_prefix, version)

    def list_artifact_versions(
        self, name: str | None = None, *, tag: str | None = None, limit: int | None = None
    ) -> list[Artifact]:
        """The versions of the artifacts of a name (of every name when None), those tagged `tag`
        when given, newest first."""
        return self.artifacts.versions(name, tag=tag, limit=limit)

    @cached_property
    def _artifact_stores(self) -> ArtifactStores:
        from runstack.history.artifact_stores import ArtifactStores

        return ArtifactStores(self.store, self.build_component)

    @property
    def user(self) -> str:
        """Who the client acts as: the store's user (for the embedded store, the config's)."""
        return self.store.user

    @property
    def config_path(self) -> Path:
        return self._config_path

    # -- flavors -------------------------------------------------------------

    def list_flavors(self, component_type: TypeLike | None = None) -> list[RegisteredFlavor]:
        return self.flavors.list(
            None if component_type is None else ComponentType.parse(component_type)
        )

    def get_flavor(self, component_type: TypeLike, name: str) -> Flavor:
        return self.flavors.get(ComponentType.parse(component_type), name)

    def plugins(self) -> list[Plugin]:
        """Installed plugins: what each registered and every problem found, implementation
        paths that lead nowhere included."""
        self.flavors.check_implementations()
        return self.flavors.plugins.plugins

    # -- components ----------------------------------------------------------

    def list_components(
        self, component_type: TypeLike | None = None, *, labels: Mapping[str, str] | None = None
    ) -> list[StackComponent]:
        """Components (of one type), those with all of `labels` when given."""
        found = self.store.components.list(
            None if component_type is None else ComponentType.parse(component_type)
        )
        return [c for c in found if _labelled(c.labels, labels)]

    def get_component(self, component_type: TypeLike, name_or_id: str) -> StackComponent:
        return self.store.components.get(ComponentType.parse(component_type), name_or_id)

    def register_component(
        self,
        component_type: TypeLike,
        name: str,
        flavor: str,
        config: Mapping[str, Any] | None = None,
        *,
        shared: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> StackComponent:
        """Validate `config` with the flavor's model and store the new component."""
        from runstack.implementations import require_implementation

        kind = ComponentType.parse(component_type)
        check_component_name(self.store, name, kind)
        registered_flavor = self.get_flavor(kind, flavor)
        require_implementation(registered_flavor)
        settings, secrets = validated_config(registered_flavor, config or {})
        component = StackComponent.new(
            flavor_version=self._flavor_version(kind, flavor),
            name=name,
            type=kind,
            flavor=flavor,
            config=settings,
            secrets=secrets,
            owner=self.user,
            shared=shared,
            labels=_checked(labels),
        )
        self.store.components.create(component)
        return component

    def update_component(
        self, component_type: TypeLike, name_or_id: str, config: Mapping[str, Any]
    ) -> StackComponent:
        """Merge `config` into the component's config and validate the result as a whole."""
        component = self._owned_component(component_type, name_or_id)
        flavor = self.get_flavor(component.type, component.flavor)
        settings, secrets = validated_config(flavor, {**component.full_config(), **config})
        updated = component.changed(
            config=settings,
            secrets=secrets,
            flavor_version=self._flavor_version(component.type, component.flavor),
        )
        self.store.components.update(updated)
        return updated

    def relabel_component(
        self,
        component_type: TypeLike,
        name_or_id: str,
        added: Mapping[str, str],
        removed: Sequence[str] = (),
    ) -> StackComponent:
        """Set the `added` labels and drop those `removed`; other labels stay."""
        from runstack.labels import relabelled

        component = self._owned_component(component_type, name_or_id)
        changed = component.changed(labels=relabelled(component.labels, added, removed))
        self.store.components.update(changed)
        return changed

    def rename_component(
        self, component_type: TypeLike, name_or_id: str, new_name: str
    ) -> StackComponent:
        component = self._owned_component(component_type, name_or_id)
        check_component_name(self.store, new_name, component.type)
        renamed = component.changed(name=new_name)
        self.store.components.update(renamed)
        return renamed

    def share_component(self, component_type: TypeLike, name_or_id: str) -> StackComponent:
        """Let every user of the store see and use the component, for good."""
        component = self._owned_component(component_type, name_or_id)
        shared = component.changed(shared=True)
        self.store.components.update(shared)
        return shared

    def delete_component(
        self, component_type: TypeLike, name_or_id: str, *, force: bool = False
    ) -> StackComponent:
        """Delete a component that no stack uses (the error names the stacks that do).

        An artifact store that recorded runs still use is deleted only with `force`,
        and its files stay where they are (a warning says where).
        """
        component = self._owned_component(component_type, name_or_id)
        runs = (
            self.store.runs.using_artifact_store(component.id)
            if component.type is ComponentType.ARTIFACT_STORE
            else []
        )
        if runs:
            folder = self._artifact_stores.folder(component.id)
            if not force:
                shown = ", ".join(runs[:3]) + (", ..." if len(runs) > 3 else "")
                raise InUseError(
                    f"the artifact store {component.name!r} holds the artifacts of {len(runs)} "
                    f"run(s) ({shown}); delete those runs first, or pass --force to forget the "
                    f"store and leave its files in {folder}"
                )
        self.store.components.delete(component.id)
        if runs:
            warnings.warn(
                f"the files of the artifact store {component.name!r} stay in {folder} "
                f"({len(runs)} run(s) still refer to them)",
                stacklevel=2,
            )
        return component

    def _owned_component(self, component_type: TypeLike, name_or_id: str) -> StackComponent:
        """A component to change: the user's own (the store checks again as it writes)."""
        component = self.get_component(component_type, name_or_id)
        require_owner(component.type.noun, component.name, component.owner, self.user)
        return component

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
            self.store.components.record_flavor_version(component.id, version)
        return built

    def _flavor_version(self, component_type: ComponentType, name: str) -> str:
        """The version of the plugin that provides the flavor ('' if registered directly)."""
        return self.flavors.registered(component_type, name).plugin.version

    # -- stacks --------------------------------------------------------------

    def list_stacks(self, *, labels: Mapping[str, str] | None = None) -> list[Stack]:
        """All stacks, or those with all of `labels`."""
        return [s for s in self.store.stacks.list() if _labelled(s.labels, labels)]

    def get_stack(self, name_or_id: str | None = None) -> Stack:
        """A stack by name or id; with no argument, the active stack."""
        return self.active_stack if name_or_id is None else self.store.stacks.get(name_or_id)

    @property
    def active_stack(self) -> Stack:
        """The stack pipelines run on; the default stack until another is set."""
        active_id = self.config.current_stack_id
        if active_id:
            try:
                return self.store.stacks.get(active_id)
            except NotFoundError:
                warnings.warn(
                    f"the active stack (id {active_id}) no longer exists; using the default "
                    "stack until 'runstack stack set' picks another",
                    stacklevel=2,
                )
        return self.store.stacks.get(DEFAULT_NAME)

    def set_active_stack(self, name_or_id: str) -> Stack:
        stack = self.store.stacks.get(name_or_id)
        check_reachable(self.flavors, stack.name, stack.components)
        self.config = self.config.with_active_stack(stack.id)
        save_config(self.config, self._config_path)
        return stack

    def register_stack(
        self,
        name: str,
        components: ComponentNames,
        *,
        shared: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> Stack:
        """A new stack from registered components, given by type and name or id."""
        check_stack_name(self.store, name)
        kinds = {ComponentType.parse(t): n for t, n in components.items()}
        members = stack_members(self.store, kinds)
        check_reachable(self.flavors, name, members)
        stack = Stack.new(
            name=name,
            owner=self.user,
            shared=shared,
            components=members,
            labels=_checked(labels),
        )
        return self.store.stacks.create(stack)

    def update_stack(
        self,
        name_or_id: str,
        components: Mapping[ComponentType, str | None] | Mapping[str, str | None],
    ) -> Stack:
        """Swap components of a stack; `None` removes an optional component."""
        stack = self._changeable_stack(name_or_id)
        changes = {ComponentType.parse(t): n for t, n in components.items()}
        members = changed_members(self.store, stack, changes)
        check_reachable(self.flavors, stack.name, members)
        updated = stack.changed(components=members)
        self.store.stacks.update(updated)
        return updated

    def relabel_stack(
        self, name_or_id: str, added: Mapping[str, str], removed: Sequence[str] = ()
    ) -> Stack:
        """Set the `added` labels and drop those `removed`; other labels stay."""
        from runstack.labels import relabelled

        stack = self._changeable_stack(name_or_id)
        changed = stack.changed(labels=relabelled(stack.labels, added, removed))
        self.store.stacks.update(changed)
        return changed

    def rename_stack(self, name_or_id: str, new_name: str) -> Stack:
        stack = self._changeable_stack(name_or_id, keeping_default="rename")
        check_stack_name(self.store, new_name)
        renamed = stack.changed(name=new_name)
        self.store.stacks.update(renamed)
        return renamed

    def copy_stack(self, name_or_id: str, new_name: str) -> Stack:
        source = self.get_stack(name_or_id)
        return self.register_stack(
            new_name, {t: c.id for t, c in source.components.items()}, shared=source.shared
        )

    def share_stack(self, name_or_id: str) -> Stack:
        """Share a stack and its components with every user of the store, for good."""
        stack = self._changeable_stack(name_or_id)
        self.store.stacks.update(stack.changed(shared=True))
        return self.get_stack(stack.id)

    def deletable_stack(self, name_or_id: str) -> Stack:
        """The stack `delete_stack` would delete, or its error (so the CLI asks only if it can)."""
        stack = self._changeable_stack(name_or_id, keeping_default="delete")
        if stack.id == self.active_stack.id:
            raise InUseError(
                f"the stack {stack.name!r} is active; switch to another first "
                f"('runstack stack set {DEFAULT_NAME}')"
            )
        return stack

    def delete_stack(self, name_or_id: str) -> Stack:
        """Delete a stack that is not active; its components stay registered."""
        stack = self.deletable_stack(name_or_id)
        self.store.stacks.delete(stack.id)
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
        from runstack.stack_import import import_stack

        return import_stack(self.store, self.flavors, self.user, path, name, secrets or {})

    def _changeable_stack(self, name_or_id: str, *, keeping_default: str = "") -> Stack:
        """A stack to change: the user's own, and not the default one for the action
        `keeping_default` names (the store checks both again as it writes)."""
        stack = self.get_stack(name_or_id)
        if keeping_default:
            keep_default(stack.name, keeping_default)
        require_owner("stack", stack.name, stack.owner, self.user)
        return stack

    # -- team server ---------------------------------------------------------

    def login(self, url: str, token: str) -> ServerLogin:
        """Use the store of the server at `url` from now on, once it answered and took `token`.

        Nothing is saved unless both checks pass; the active stack there starts as its default.
        """
        from runstack.store.http import check_login

        url, user = check_login(url, token)
        self._save(self.config.logged_in(url, user, token))
        assert self.config.server is not None
        return self.config.server

    def logout(self) -> ServerLogin | None:
        """Go back to the embedded store; the server this client used, if it used one."""
        login = self.config.server
        if login is not None:
            self._save(self.config.logged_out())
        return login

    def _save(self, config: ClientConfig) -> None:
        save_config(config, self._config_path)
        self.config = config
        self._store = None

    # -- status --------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Where everything is and what is installed, for `runstack status`."""
        stack = self.active_stack
        artifacts: dict[str, Any]
        try:
            artifacts = self.build_component(stack.artifact_store).describe()
        except RunstackError as error:
            artifacts = {"error": str(error)}
        login = self.config.server
        return {
            "user": self.user,
            "home": str(paths.runstack_home()),
            "config": str(self._config_path),
            "store": self.store.location,
            "server": {"url": login.url, "user": login.user} if login else None,
            "active_stack": {"name": stack.name, "id": stack.id},
            "artifact_store": {"name": stack.artifact_store.name, **artifacts},
            "plugins": [plugin.to_dict() for plugin in self.plugins()],
        }


def _checked(labels: Mapping[str, str] | None) -> dict[str, str]:
    """Labels given to a registration, checked (the rules load only when there are any)."""
    if not labels:
        return {}
    from runstack.labels import check_labels

    return check_labels(labels)


def _labelled(labels: Mapping[str, str], wanted: Mapping[str, str] | None) -> bool:
    """Whether `labels` hold every wanted key with its value."""
    return not wanted or all(labels.get(key) == value for key, value in wanted.items())
