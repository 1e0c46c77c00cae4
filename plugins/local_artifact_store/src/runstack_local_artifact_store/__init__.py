"""runstack's `local` artifact store flavor: artifacts in a folder on this machine."""

from __future__ import annotations

__version__ = "0.1.0"
