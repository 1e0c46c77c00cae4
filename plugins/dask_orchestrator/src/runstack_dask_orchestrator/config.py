"""What a `dask` orchestrator accepts (`runstack orchestrator flavor describe dask`)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from runstack.flavors import FlavorConfig

# What Dask's comm layer connects to: an optional scheme, a host and a port.
_ADDRESS = re.compile(r"((tcp|tls|ws|wss|ucx)://)?(?P<host>[^\s:/]+)(:\d+)?")
_LOOPBACK = re.compile(r"localhost|127(\.\d{1,3}){3}")


class DaskOrchestratorConfig(FlavorConfig):
    address: str | None = Field(
        default=None,
        description=(
            "Address of a running Dask scheduler (tcp://host:8786); empty: a LocalCluster "
            "is started for each run and stopped after it."
        ),
    )
    connect_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Seconds to wait for the scheduler (and for a first worker) before failing.",
    )
    n_workers: int | None = Field(
        default=None,
        ge=1,
        description="LocalCluster only: how many workers; default: Dask's (one per core or so).",
    )
    threads_per_worker: int | None = Field(
        default=None, ge=1, description="LocalCluster only: threads of each worker."
    )
    processes: bool = Field(
        default=True,
        description="LocalCluster only: workers as processes (true) or as threads of this one.",
    )

    def is_local(self) -> bool | None:
        """A LocalCluster, or a scheduler reached on the loopback (whose workers reach it there
        too), runs steps on this machine; any other scheduler may run them anywhere."""
        if not self.address:
            return True
        match = _ADDRESS.fullmatch(self.address)
        return bool(match and _LOOPBACK.fullmatch(match["host"]))

    @field_validator("address")
    @classmethod
    def _address_dask_can_reach(cls, address: str | None) -> str | None:
        if address and not _ADDRESS.fullmatch(address):
            raise ValueError(
                f"{address!r} is not a Dask scheduler address; write tcp://host:8786 "
                "(tls://, ws://, wss:// and ucx:// work too), or leave it empty for a LocalCluster"
            )
        return address or None


class DaskOrchestratorSettings(FlavorConfig):
    """Per-step settings: `settings={"orchestrator.dask": {"resources": {"GPU": 1}}}`."""

    resources: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Dask worker resources the step needs (GPU=1): it runs only on workers that "
            "advertise them (dask worker --resources GPU=1)."
        ),
    )
