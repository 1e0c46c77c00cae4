"""`runstack run ...`: what ran, how each step went, what it printed."""

from __future__ import annotations

import json

import click

from runstack.cli.output import (
    echo_json,
    echo_metadata,
    echo_table,
    output_option,
    short_id,
    timestamp,
)
from runstack.client import Client
from runstack.history.results import PipelineRun
from runstack.runs import RunRecord, RunStatus, format_duration

DEFAULT_LIMIT = 50


@click.group("run")
def run() -> None:
    """Inspect pipeline runs."""


@run.command("list")
@click.option("--pipeline", "-p", help="Only runs of this pipeline.")
@click.option("--stack", "-s", help="Only runs on this stack.")
@click.option(
    "--status", help="Only runs with this status (running, completed, failed, stopped, crashed)."
)
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="At most this many runs, the newest.",
)
@click.option("--all", "show_all", is_flag=True, help="Every run, however many.")
@output_option()
def list_runs(
    pipeline: str | None,
    stack: str | None,
    status: str | None,
    limit: int,
    show_all: bool,
    output: str,
) -> None:
    """List runs, newest first (the 50 newest unless --limit or --all)."""
    client = Client()
    filters = {"pipeline": pipeline, "stack": stack, "status": status}
    runs = client.runs.list(
        pipeline=pipeline, stack=stack, status=status, limit=None if show_all else limit
    )
    if len(runs) == limit and not show_all:
        total = client.runs.count(**filters)
        if total > limit:
            click.echo(
                f"Showing the {limit} newest of {total} runs; use --limit N or --all.", err=True
            )
    if output == "json":
        echo_json([r.to_dict() for r in runs])
        return
    echo_table(
        ["RUN NAME", "RUN ID", "PIPELINE", "STATUS", "STACK", "STARTED", "DURATION"],
        [
            [
                r.name,
                short_id(r.id),
                r.pipeline_name,
                r.status.value,
                r.stack_name,
                timestamp(r.started),
                format_duration(r.duration),
            ]
            for r in runs
        ],
        empty=_no_runs(filters),
    )


def _no_runs(filters: dict[str, str | None]) -> str:
    chosen = ", ".join(f"{key} {value!r}" for key, value in filters.items() if value)
    if chosen:
        return f"No runs match {chosen}. 'runstack run list' shows them all."
    return "No runs yet. 'runstack pipeline run FILE.py:PIPELINE' starts one."


@run.command("describe")
@click.argument("name")
@output_option()
def describe(name: str, output: str) -> None:
    """Show a run's steps: status, duration, and why each ran or where it was cached from."""
    described = Client().runs.get(name)
    if output == "json":
        echo_json(_run_json(described))
        return
    record = described.record
    for label, value in _summary(record):
        click.echo(f"{label + ':':<12}{value}")
    # WORKER only for orchestrators that say where steps ran (a Dask worker's address)
    workers = any(s.record.worker for s in described.steps.values())
    echo_table(
        ["STEP", "STATUS", "DURATION", "WHY", *(["WORKER"] if workers else []), "OUTPUTS"],
        [
            [
                s.name,
                s.status.value,
                format_duration(s.record.duration),
                s.record.reason,
                *([s.record.worker] if workers else []),
                ", ".join(f"{n} ({short_id(a.id)})" for n, a in s.outputs.items()),
            ]
            for s in described.steps.values()
        ],
        wrapping=["WHY", "OUTPUTS"],
    )
    echo_metadata("Run metadata:", record.metadata)
    for step in described.steps.values():
        echo_metadata(f"Step '{step.name}' recorded:", step.record.metadata)
    for step in described.steps.values():
        if step.record.error:
            status = step.status.value
            click.echo(f"\nStep '{step.name}' {status}:\n{step.record.error.rstrip()}")


def _summary(record: RunRecord) -> list[tuple[str, str]]:
    return [
        ("Run", f"{record.name} (id {record.id})"),
        ("Pipeline", record.pipeline_name),
        ("Status", record.status.value + (f": {record.error}" if record.error else "")),
        ("Stack", f"{record.stack_name} (id {record.stack_id})"),
        ("Parameters", _parameters(record.parameters)),
        ("Started", timestamp(record.started)),
        ("Duration", format_duration(record.duration)),
    ]


def _parameters(parameters: dict[str, object]) -> str:
    """`n=3, rate=0.5`, values as JSON; `(none)` for a pipeline that takes none."""
    shown = ", ".join(
        f"{name}={json.dumps(value, default=str)}" for name, value in parameters.items()
    )
    return shown or "(none)"


def _run_json(described: PipelineRun) -> dict[str, object]:
    return {
        **described.record.to_dict(),
        "steps": [
            {
                **s.record.to_dict(),
                "inputs": {n: a.record.to_dict() for n, a in s.inputs.items()},
                "outputs": {n: a.record.to_dict() for n, a in s.outputs.items()},
            }
            for s in described.steps.values()
        ],
    }


@run.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@output_option()
def compare(run_a: str, run_b: str, output: str) -> None:
    """Compare two runs: parameters, each step's status and duration, outputs that differ."""
    from runstack.cli.run_compare import echo_comparison
    from runstack.history.compare import compare_runs

    client = Client()
    echo_comparison(compare_runs(client.runs.get(run_a), client.runs.get(run_b)), output)


@run.command("logs")
@click.argument("name")
@click.argument("step", required=False)
def logs(name: str, step: str | None) -> None:
    """Print what the steps of a run printed and logged (one STEP, or all)."""
    described = Client().runs.get(name)
    steps = described.steps
    if step is not None:
        if step not in steps:
            raise click.UsageError(
                f"run {described.name!r} has no step {step!r}; steps: {', '.join(steps)}"
            )
        steps = {step: steps[step]}
    for step_run in steps.values():
        click.echo(f"==> {step_run.name} ({step_run.status.value}) <==")
        text = step_run.logs
        origin = step_run.cached_origin()
        if origin is not None:
            click.echo(f"Its outputs come from run {origin[0]}, where the step printed:")
            text = origin[1]
        click.echo(text.rstrip() if text else "(no output)")


@run.command("delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Delete it even if it is still marked running.")
def delete(name: str, yes: bool, force: bool) -> None:
    """Delete a run's records and the artifacts no other run uses."""
    client = Client()
    target = client.runs.get(name)
    if not yes:
        click.confirm(f"Delete run '{target.name}'?", abort=True)
    deleted = client.runs.delete(target.id, force=force)
    running = deleted.status is RunStatus.RUNNING
    click.echo(
        f"Deleted run '{target.name}'{', which was still marked running' if running else ''}."
    )
