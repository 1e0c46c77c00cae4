"""Flavors: what a plugin registers for a component type, and the base of their config models."""

from __future__ import annotations

import builtins
import importlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import UnionType
from typing import TYPE_CHECKING, Any, Protocol, Union, get_args, get_origin

from pydantic import SecretBytes, SecretStr, ValidationError

from runstack.component_types import ComponentType
from runstack.errors import ConfigError
from runstack.flavor_config import FlavorConfig as FlavorConfig

if TYPE_CHECKING:
    from runstack.components.base import BaseComponent

_SECRET_TYPES = (SecretStr, SecretBytes)


@dataclass(frozen=True)
class ConfigField:
    """One config key of a flavor, as `flavor describe` shows it."""

    name: str
    type: str
    required: bool
    default: Any
    description: str
    secret: bool


@dataclass(frozen=True)
class Flavor:
    """A way to implement a component type, registered by a plugin through `register_flavors`.

    `local` says whether its components are bound to this machine: an orchestrator
    that runs steps here, an artifact store only this machine reaches. A stack whose
    orchestrator is not local needs an artifact store that is not local either
    (`runstack.locality`); a config can decide per component (`FlavorConfig.is_local`).

    `config_class` and `settings_class`, like `implementation`, may be given as a
    `"module:Class"` path, imported on first need: loading the plugin then builds no
    model for flavors a command does not use.
    """

    name: str
    component_type: ComponentType
    config_class: builtins.type[FlavorConfig] | str
    implementation: str | builtins.type[BaseComponent]
    description: str
    local: bool = True
    settings_class: builtins.type[FlavorConfig] | str | None = None

    @property
    def label(self) -> str:
        return f"{self.component_type.noun} flavor {self.name!r}"

    def config_model(self) -> builtins.type[FlavorConfig]:
        """The config class, imported from its path on first need."""
        return self._model(self.config_class, "config_class")

    def settings_model(self) -> builtins.type[FlavorConfig] | None:
        """The settings class (None if the flavor takes no settings)."""
        if self.settings_class is None:
            return None
        return self._model(self.settings_class, "settings_class")

    def imported(self, given: object, role: str) -> object:
        """What the flavor gives as its `role`, imported first if it is a `"module:Class"` path
        (the implementation, the config or the settings class)."""
        if not isinstance(given, str):
            return given
        module_name, _, class_name = given.partition(":")
        try:
            return getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as error:
            raise ConfigError(
                f"the {self.label} names {given!r} as its {role}, which cannot be loaded "
                f"({error}); reinstall the plugin, or report this to its authors"
            ) from None

    def _model(
        self, given: builtins.type[FlavorConfig] | str, role: str
    ) -> builtins.type[FlavorConfig]:
        model = self.imported(given, role)
        if not (isinstance(model, type) and issubclass(model, FlavorConfig)):
            raise ConfigError(
                f"the {self.label} has a {role} that is not a FlavorConfig ({model!r}); "
                "report this to the plugin's authors"
            )
        return model

    def fields(self) -> list[ConfigField]:
        """The config keys with their type, default and description."""
        result = []
        for name, info in self.config_model().model_fields.items():
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            result.append(
                ConfigField(
                    name=name,
                    type=_type_name(info.annotation),
                    required=info.is_required(),
                    default=default,
                    description=info.description or "",
                    secret=_is_secret(info.annotation),
                )
            )
        return result

    def values_from_text(self, values: Mapping[str, str]) -> dict[str, Any]:
        """Turn command-line strings into what the config model parses.

        Scalars stay strings (pydantic's lax mode reads `"8"` as 8 and `"yes"` as
        True); JSON arrays and objects are decoded; list fields also take
        `a,b,c`; `null` clears an optional value.
        """
        fields = self.config_model().model_fields
        return {
            key: _from_text(fields[key].annotation, raw) if key in fields else raw
            for key, raw in values.items()
        }

    def validate_config(self, values: Mapping[str, Any]) -> FlavorConfig:
        """Parse user values with the config model, in messages a person can act on."""
        return self._validate(self.config_model(), values, "config")

    def validate_settings(self, values: Mapping[str, Any]) -> FlavorConfig | None:
        """Parse a run's settings for this flavor (`settings={"orchestrator": {...}}`)."""
        model = self.settings_model()
        if model is None:
            if values:
                raise ConfigError(f"the {self.label} takes no settings, got {', '.join(values)}")
            return None
        return self._validate(model, values, "setting")

    def _validate(
        self, model: builtins.type[FlavorConfig], values: Mapping[str, Any], what: str
    ) -> FlavorConfig:
        known = model.model_fields
        unknown = sorted(set(values) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            raise ConfigError(
                f"unknown {what} key {unknown[0]!r} for the {self.label}; valid keys: {valid}"
            )
        try:
            return model.model_validate(dict(values))
        except ValidationError as error:
            secrets = {name for name, info in known.items() if _is_secret(info.annotation)}
            raise ConfigError(
                f"invalid {what} for the {self.label}: {_describe(error, secrets)}"
            ) from None

    def split_config(self, config: FlavorConfig) -> tuple[dict[str, Any], dict[str, str]]:
        """The values the user set, as JSON-ready data, with secret fields apart and revealed.

        A secret set to None (`--token=null`) is dropped, not kept as an empty secret.
        """
        data = config.model_dump(mode="json", exclude_unset=True)
        secrets = {}
        for field in self.fields():
            if field.secret and data.pop(field.name, None) is not None:
                secrets[field.name] = _reveal(getattr(config, field.name))
        return data, secrets


class FlavorRegistrar(Protocol):
    """What a plugin's `register_flavors` hook is handed: call it with each `Flavor`."""

    def __call__(self, flavor: Flavor, /) -> None: ...


def _from_text(annotation: Any, raw: str) -> Any:
    options = (
        get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    )
    if raw.strip().lower() in {"null", "none"} and type(None) in options:
        return None
    if raw.lstrip().startswith(("[", "{")):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    if any(get_origin(option) in (list, tuple, set, frozenset) for option in options):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _reveal(value: Any) -> str:
    secret = value.get_secret_value()
    return secret.decode("utf-8") if isinstance(secret, bytes) else str(secret)


def _is_secret(annotation: Any) -> bool:
    return annotation in _SECRET_TYPES or any(arg in _SECRET_TYPES for arg in get_args(annotation))


def _type_name(annotation: Any) -> str:
    """`str | None`, `list[str]`, `SecretStr`: the annotation without module prefixes."""
    if isinstance(annotation, type) and not get_args(annotation):
        return annotation.__name__
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", str(annotation))


def _describe(error: ValidationError, secrets: set[str]) -> str:
    """Pydantic's errors folded into one line: `port: Input should be a valid integer`.

    The rejected input is echoed, except for secret keys and whole-model errors
    (whose input holds every value, secrets included).
    """
    parts = []
    for detail in error.errors(include_url=False):
        location = ".".join(str(part) for part in detail["loc"]) or "config"
        hidden = not detail["loc"] or detail["loc"][0] in secrets
        message = detail["msg"] if hidden else f"{detail['msg']} (got {detail['input']!r})"
        if detail["type"] == "missing":
            message = "required, but not given"
        parts.append(f"{location}: {message}")
    return "; ".join(parts)
