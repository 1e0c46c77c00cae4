"""runstack's `webhook` alerter flavor: a JSON message posted to a URL when a run ends."""

from __future__ import annotations

__version__ = "0.1.0"
