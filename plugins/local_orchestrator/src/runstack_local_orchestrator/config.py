"""What a `local` orchestrator accepts (`runstack orchestrator flavor describe local`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from runstack.flavors import FlavorConfig

Mode = Literal["threads", "processes"]

_MODE = (
    "Where steps' code runs: 'threads' (in this process, the least overhead) or "
    "'processes' (worker processes, so CPU-bound Python steps run in parallel)."
)


class LocalOrchestratorConfig(FlavorConfig):
    max_parallel: int | None = Field(
        default=None,
        ge=1,
        description="How many steps may run at once; default: the number of CPU cores.",
    )
    mode: Mode = Field(default="threads", description=_MODE)


class LocalOrchestratorSettings(FlavorConfig):
    """Per-run settings: `settings={"orchestrator": {"max_parallel": 1}}`."""

    max_parallel: int | None = Field(
        default=None,
        ge=1,
        description="Cap this run's parallel steps (overrides the component's max_parallel).",
    )
    mode: Mode | None = Field(default=None, description=_MODE + " Overrides the component's.")
