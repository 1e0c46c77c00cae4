"""Authoring and running pipelines: `@step`, `@pipeline`, and what a run returns."""

from __future__ import annotations

from runstack.pipelines.definition import Pipeline, pipeline
from runstack.pipelines.steps import Step, step

__all__ = ["Pipeline", "Step", "pipeline", "step"]
