"""How `runstack run compare` prints two runs side by side (a table, or JSON for scripts)."""

from __future__ import annotations

import json

import click

from runstack.cli.output import echo_json, echo_table
from runstack.history.compare import RunComparison, StepComparison
from runstack.history.results import StepRun
from runstack.runs import format_duration

_DIFFERS = "≠"


def echo_comparison(comparison: RunComparison, output: str) -> None:
    if output == "json":
        echo_json(_as_json(comparison))
        return
    for label, run in (("A", comparison.a), ("B", comparison.b)):
        click.echo(f"Run {label}: {run.name} ({run.status.value}, stack {run.record.stack_name})")
    click.echo()
    echo_table(
        ["PARAMETER", "A", "B", ""],
        [
            [
                p.name,
                _value(p.a) if p.in_a else "(unset)",
                _value(p.b) if p.in_b else "(unset)",
                _DIFFERS if p.differs else "",
            ]
            for p in comparison.parameters
        ],
        wrapping=["A", "B"],
        empty="Neither run has parameters.",
    )
    click.echo()
    echo_table(
        ["STEP", "STATUS A", "STATUS B", "DURATION A", "DURATION B", "OUTPUTS"],
        [
            [
                s.name,
                _status(s.a),
                _status(s.b),
                _duration(s.a),
                _duration(s.b),
                _outputs(s),
            ]
            for s in comparison.steps
        ],
        wrapping=["OUTPUTS"],
    )


def _value(value: object) -> str:
    return json.dumps(value, default=str)


def _status(step: StepRun | None) -> str:
    return "(no such step)" if step is None else step.status.value


def _duration(step: StepRun | None) -> str:
    return "" if step is None else format_duration(step.record.duration)


def _outputs(step: StepComparison) -> str:
    if not step.outputs:
        return ""
    if not step.differs:
        return "same"
    return ", ".join(f"{name}: {verdict}" for name, verdict in step.outputs.items())


def _as_json(comparison: RunComparison) -> dict[str, object]:
    def side(step: StepRun | None) -> dict[str, object] | None:
        if step is None:
            return None
        return {
            "status": step.status.value,
            "duration": step.record.duration,
            "reason": step.record.reason,
            "outputs": {name: artifact.id for name, artifact in step.outputs.items()},
        }

    return {
        "a": {"name": comparison.a.name, "id": comparison.a.id},
        "b": {"name": comparison.b.name, "id": comparison.b.id},
        "parameters": [
            {
                "name": p.name,
                "a": p.a,
                "b": p.b,
                "in_a": p.in_a,
                "in_b": p.in_b,
                "differs": p.differs,
            }
            for p in comparison.parameters
        ],
        "steps": [
            {"name": s.name, "a": side(s.a), "b": side(s.b), "outputs": s.outputs}
            for s in comparison.steps
        ],
    }
