"""The base of every flavor's config and settings model, below the components built with one
and the flavors that name both."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FlavorConfig(BaseModel):
    """Base of every flavor's config model: unknown keys are errors, values are immutable.

    Declare a field as `SecretStr` to have it stored apart, masked in every
    output and never written to `stack export` files.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def is_local(self) -> bool | None:
        """Whether the component, so configured, runs code or keeps files on this machine only.

        None (the default) leaves it to the flavor's `local`. Override it where the config
        decides: an orchestrator with no scheduler address that starts its cluster here is
        local, though its flavor can run steps anywhere.
        """
        return None
