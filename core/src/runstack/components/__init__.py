"""Base classes that flavor implementations subclass (one per component type that has
behaviour), the task graph an orchestrator walks, and the context a running step sees."""

from __future__ import annotations

from runstack.components.alerter import BaseAlerter, RunSummary
from runstack.components.artifact_store import BaseArtifactStore
from runstack.components.base import BaseComponent
from runstack.components.experiment_tracker import BaseExperimentTracker
from runstack.components.orchestrator import (
    BaseOrchestrator,
    CallAbandoned,
    CallTimeout,
    current_worker,
    running_on,
)
from runstack.components.step_context import (
    NoStepContextError,
    StepContext,
    StepStack,
    get_step_context,
)
from runstack.components.task_graph import Task, TaskGraph, TaskResult, TaskStatus

__all__ = [
    "BaseAlerter",
    "BaseArtifactStore",
    "BaseComponent",
    "BaseExperimentTracker",
    "BaseOrchestrator",
    "CallAbandoned",
    "CallTimeout",
    "NoStepContextError",
    "RunSummary",
    "StepContext",
    "StepStack",
    "Task",
    "TaskGraph",
    "TaskResult",
    "TaskStatus",
    "current_worker",
    "get_step_context",
    "running_on",
]
