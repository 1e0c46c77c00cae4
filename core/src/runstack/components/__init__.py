"""Base classes that flavor implementations subclass, one per component type that has behaviour."""

from __future__ import annotations

from runstack.components.artifact_store import BaseArtifactStore
from runstack.components.base import BaseComponent
from runstack.components.orchestrator import (
    BaseOrchestrator,
    CallAbandoned,
    CallTimeout,
    Task,
    TaskResult,
    TaskStatus,
)

__all__ = [
    "BaseArtifactStore",
    "BaseComponent",
    "BaseOrchestrator",
    "CallAbandoned",
    "CallTimeout",
    "Task",
    "TaskResult",
    "TaskStatus",
]
