"""Base classes that flavor implementations subclass (one per component type that has
behaviour), and the task graph an orchestrator walks."""

from __future__ import annotations

from runstack.components.artifact_store import BaseArtifactStore
from runstack.components.base import BaseComponent
from runstack.components.orchestrator import (
    BaseOrchestrator,
    CallAbandoned,
    CallTimeout,
    current_worker,
    running_on,
)
from runstack.components.task_graph import Task, TaskGraph, TaskResult, TaskStatus

__all__ = [
    "BaseArtifactStore",
    "BaseComponent",
    "BaseOrchestrator",
    "CallAbandoned",
    "CallTimeout",
    "Task",
    "TaskGraph",
    "TaskResult",
    "TaskStatus",
    "current_worker",
    "running_on",
]
