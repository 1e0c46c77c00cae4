"""runstack: write ML pipelines once, run them on any stack.

The package imports almost nothing up front (the CLI's start-up time depends on
it); public names are resolved on first access.
"""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: importing typing would double the cost of
# `import runstack`; type checkers treat this name the same way.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from runstack.client import Client
    from runstack.component_types import ComponentType
    from runstack.components import (
        BaseArtifactStore,
        BaseComponent,
        BaseOrchestrator,
        StepContext,
        get_step_context,
    )
    from runstack.errors import RunstackError
    from runstack.flavor_config import FlavorConfig
    from runstack.flavors import Flavor
    from runstack.history.results import PipelineRun
    from runstack.hookspecs import hookimpl
    from runstack.logger import get_logger
    from runstack.materializers.base import Materializer
    from runstack.models import ModelStages
    from runstack.pipelines import Pipeline, Step, pipeline, step
    from runstack.pipelines.alerter_hooks import alerter_failure_hook, alerter_success_hook
    from runstack.pipelines.artifact_config import ArtifactConfig, ArtifactType
    from runstack.pipelines.artifact_values import load_artifact, save_artifact
    from runstack.pipelines.external import ExternalArtifact
    from runstack.pipelines.metadata import log_artifact_metadata, log_metadata
    from runstack.pipelines.models import Model
    from runstack.pipelines.pipeline_context import get_pipeline_context
    from runstack.pipelines.retry_config import StepRetryConfig
    from runstack.stacks import Stack, StackComponent
    from runstack.version import __version__

_LAZY_NAMES = {
    "Client": "runstack.client",
    "ComponentType": "runstack.component_types",
    "BaseArtifactStore": "runstack.components",
    "BaseComponent": "runstack.components",
    "BaseOrchestrator": "runstack.components",
    "StepContext": "runstack.components",
    "get_step_context": "runstack.components",
    "RunstackError": "runstack.errors",
    "Flavor": "runstack.flavors",
    "FlavorConfig": "runstack.flavor_config",
    "hookimpl": "runstack.hookspecs",
    "Materializer": "runstack.materializers.base",
    "Stack": "runstack.stacks",
    "StackComponent": "runstack.stacks",
    "Pipeline": "runstack.pipelines",
    "PipelineRun": "runstack.history.results",
    "Step": "runstack.pipelines",
    "pipeline": "runstack.pipelines",
    "step": "runstack.pipelines",
    "log_metadata": "runstack.pipelines.metadata",
    "log_artifact_metadata": "runstack.pipelines.metadata",
    "__version__": "runstack.version",
    "ArtifactConfig": "runstack.pipelines.artifact_config",
    "ArtifactType": "runstack.pipelines.artifact_config",
    "ExternalArtifact": "runstack.pipelines.external",
    "load_artifact": "runstack.pipelines.artifact_values",
    "save_artifact": "runstack.pipelines.artifact_values",
    "alerter_failure_hook": "runstack.pipelines.alerter_hooks",
    "alerter_success_hook": "runstack.pipelines.alerter_hooks",
    "get_logger": "runstack.logger",
    "StepRetryConfig": "runstack.pipelines.retry_config",
    "Model": "runstack.pipelines.models",
    "ModelStages": "runstack.models",
    "get_pipeline_context": "runstack.pipelines.pipeline_context",
}

__all__ = [
    "ArtifactConfig",
    "ArtifactType",
    "BaseArtifactStore",
    "BaseComponent",
    "BaseOrchestrator",
    "Client",
    "ComponentType",
    "ExternalArtifact",
    "Flavor",
    "FlavorConfig",
    "Materializer",
    "Model",
    "ModelStages",
    "Pipeline",
    "PipelineRun",
    "RunstackError",
    "Stack",
    "StackComponent",
    "Step",
    "StepContext",
    "StepRetryConfig",
    "__version__",
    "alerter_failure_hook",
    "alerter_success_hook",
    "get_logger",
    "get_pipeline_context",
    "get_step_context",
    "hookimpl",
    "load_artifact",
    "log_artifact_metadata",
    "log_metadata",
    "pipeline",
    "save_artifact",
    "step",
]


def __getattr__(name: str) -> object:
    module_name = _LAZY_NAMES.get(name)
    if module_name is None:
        raise AttributeError(f"module 'runstack' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names too, though they load on first access (completion, `dir(runstack)`)."""
    return sorted({*globals(), *__all__})
