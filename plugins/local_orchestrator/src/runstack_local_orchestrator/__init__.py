"""runstack's `local` orchestrator flavor: runs pipeline steps on this machine."""

from __future__ import annotations

__version__ = "0.1.0"
