"""A stored component's config, made into its flavor's model for a run.

A config is validated when the component is registered or updated and stored as
the model's own JSON output. While the plugin providing the flavor keeps the
version that last validated it, and the values are plain JSON that the model
holds as they are, the model is constructed without validating again: a first
validation builds the model's schema and makes pydantic scan every installed
distribution for its own plugins, which costs a short run more than its steps.
"""

from __future__ import annotations

from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from runstack.errors import ConfigError

if TYPE_CHECKING:
    from runstack.flavor_registry import RegisteredFlavor
    from runstack.flavors import FlavorConfig
    from runstack.stacks import StackComponent

_PLAIN = (str, int, float, bool, NoneType)


def stored_config(
    registered: RegisteredFlavor, component: StackComponent
) -> tuple[FlavorConfig, bool]:
    """The component's config as its flavor's model, and whether it was validated now.

    A config the flavor no longer accepts (its plugin changed its model since) is
    an error naming the component, the plugin and what to do.
    """
    trusted = _trusted(registered, component)
    if trusted is not None:
        return trusted, False
    from runstack.secret_references import resolved_secrets

    secrets = resolved_secrets(component.type, component.name, component.secrets)
    values = {**component.config, **secrets}
    try:
        config = registered.flavor.validate_config(values)
    except ConfigError as error:
        plugin = registered.plugin
        command = f"runstack {component.type.cli_name} update {component.name}"
        raise ConfigError(
            f"the {component.type.noun} {component.name!r} cannot be built from its stored "
            f"config with plugin {plugin.name!r} ({plugin.origin}): {error}; "
            "change the config with "
            f"'{command} --KEY=VALUE'"
        ) from None
    return config, True


def _trusted(registered: RegisteredFlavor, component: StackComponent) -> FlavorConfig | None:
    """The model constructed from the stored values, where that equals validating them."""
    version = registered.plugin.version
    model = registered.flavor.config_model()
    if not version or component.flavor_version != version or component.secrets:
        return None
    if model.__pydantic_decorators__.model_validators:
        return None  # they may derive what the stored values do not hold
    fields = model.model_fields
    if not all(key in fields and _plain(fields[key].annotation) for key in component.config):
        return None
    return model.model_construct(**component.config)


def _plain(annotation: Any) -> bool:
    """Whether values of this type survive a JSON round trip as the model holds them."""
    if annotation in _PLAIN:
        return True
    origin = get_origin(annotation)
    arguments = get_args(annotation)
    if origin is Literal:
        return all(type(argument) in _PLAIN for argument in arguments)
    if origin in (Union, UnionType, list, dict):
        return all(_plain(argument) for argument in arguments)
    return False
