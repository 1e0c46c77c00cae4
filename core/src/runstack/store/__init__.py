"""Persistence of components, stacks, runs and artifact records behind one interface (SQLite
now, a REST client later)."""

from __future__ import annotations

from runstack.store.base import Store

__all__ = ["Store"]
