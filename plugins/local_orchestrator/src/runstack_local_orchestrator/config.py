"""What a `local` orchestrator accepts (`runstack orchestrator flavor describe local`)."""

from __future__ import annotations

from pydantic import Field

from runstack.flavors import FlavorConfig


class LocalOrchestratorConfig(FlavorConfig):
    max_parallel: int | None = Field(
        default=None,
        ge=1,
        description="How many steps may run at once; default: the number of CPU cores.",
    )


class LocalOrchestratorSettings(FlavorConfig):
    """Per-run settings: `settings={"orchestrator": {"max_parallel": 1}}`."""

    max_parallel: int | None = Field(
        default=None,
        ge=1,
        description="Cap this run's parallel steps (overrides the component's max_parallel).",
    )
