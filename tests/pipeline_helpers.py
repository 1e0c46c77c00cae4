"""Small readers of a run's outcome, shared by the pipeline test modules."""

from __future__ import annotations

import re
from pathlib import Path

from runstack.history.results import Artifact, PipelineRun

TWO_STEPS = """
@step
def first() -> int:
    return 1


@step
def second(value: int) -> int:
    return value + 1


@pipeline
def two() -> None:
    second(first())
"""
"""Pipeline source (for `write_module`): one step feeding another."""


def statuses(run: PipelineRun) -> dict[str, str]:
    """Each step's status, by step id."""
    return {name: step.status.value for name, step in run.steps.items()}


def reasons(run: PipelineRun) -> dict[str, str]:
    """Why each step ran, or where it was cached from, by step id."""
    return {name: step.record.reason for name, step in run.steps.items()}


def output_ids(run: PipelineRun) -> dict[str, dict[str, str]]:
    """The artifact id of every output, by step id and output name."""
    return {
        name: {output: artifact.id for output, artifact in step.outputs.items()}
        for name, step in run.steps.items()
    }


def artifact_path(artifact: Artifact) -> Path:
    """Where an artifact's files are on disk (every store in these tests is local)."""
    return Path(artifact.artifact_store.path(artifact.uri))


def run_name_in(output: str) -> str:
    """The run name from what `pipeline run` printed."""
    found = re.search(r"^Run '([^']+)' \(id ", output, re.MULTILINE)
    assert found, output
    return found.group(1)
