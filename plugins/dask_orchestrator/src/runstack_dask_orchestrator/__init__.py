"""runstack's `dask` orchestrator flavor: runs pipeline steps as tasks on a Dask cluster."""

from __future__ import annotations

__version__ = "0.1.0"
