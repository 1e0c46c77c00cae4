"""`runstack artifact ...`: stored step outputs and their lineage."""

from __future__ import annotations

import json
from pathlib import Path

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
from runstack.runs import format_size


@click.group("artifact")
def artifact() -> None:
    """Inspect stored step outputs."""


@artifact.command("list")
@click.option("--limit", "-n", type=click.IntRange(min=1), help="At most this many artifacts.")
@click.option("--run", "-r", help="Only the outputs of this run (name or id).")
@click.option("--pipeline", "-p", help="Only outputs of this pipeline's steps.")
@click.option("--step", "-s", help="Only outputs of this step.")
@click.option("--name", "name", help="Only the versions of the artifacts of this name.")
@output_option()
def list_artifacts(
    limit: int | None,
    run: str | None,
    pipeline: str | None,
    step: str | None,
    name: str | None,
    output: str,
) -> None:
    """List artifacts, newest first."""
    artifacts = Client().artifacts.list(limit, run=run, pipeline=pipeline, step=step, name=name)
    if output == "json":
        echo_json([a.to_dict() for a in artifacts])
        return
    echo_table(
        ["ID", "NAME", "VERSION", "TAGS", "TYPE", "MATERIALIZER", "SIZE", "CREATED"],
        [
            [
                short_id(a.id),
                a.name,
                a.version,
                ", ".join(a.tags),
                a.type_name,
                a.materializer,
                format_size(a.size),
                timestamp(a.created),
            ]
            for a in artifacts
        ],
        empty="No artifacts match those filters; 'runstack artifact list' shows them all."
        if run or pipeline or step or name
        else "No artifacts yet: each step run stores its outputs "
        "('runstack pipeline run FILE.py:PIPELINE').",
    )


@artifact.command("describe")
@click.argument("reference", metavar="NAME[:VERSION]|ID")
@output_option()
def describe(reference: str, output: str) -> None:
    """Show an artifact and its lineage: which step made it, which steps read it.

    Name it as NAME:VERSION, as NAME (its newest version) or by id."""
    artifacts = Client().artifacts
    lineage = artifacts.lineage(artifacts.find(reference).id)
    if output == "json":
        echo_json(lineage)
        return
    record = lineage["artifact"]
    echo_table(
        ["PROPERTY", "VALUE"],
        [
            [key.upper(), ", ".join(value) if isinstance(value, list) else str(value)]
            for key, value in record.items()
            if key != "metadata"
        ],
        row_rules=True,
        wrapping=["VALUE"],
    )
    for made in lineage["produced_by"]:
        click.echo(
            f"Produced by step '{made['step']}' (output '{made['output']}') of run {made['run']}."
        )
    for reused in lineage["reused_by"]:
        click.echo(f"Reused from the cache by step '{reused['step']}' of run {reused['run']}.")
    for read in lineage["consumed_by"]:
        click.echo(f"Read by step '{read['step']}' (input '{read['input']}') of run {read['run']}.")
    if not lineage["consumed_by"]:
        click.echo("No step has read it yet.")
    echo_metadata("Metadata:", record["metadata"])


# Bigger JSON values are written to a file (-o) rather than printed.
PRINTED_LIMIT = 64 * 1024


@artifact.command("load")
@click.argument("reference", metavar="NAME[:VERSION]|ID")
@click.option(
    "--output-file",
    "-o",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the value here: .npy for arrays, .parquet for tables, .json for JSON values.",
)
def load(reference: str, target: Path | None) -> None:
    """Print a small JSON value, or write an artifact's value to a file in its natural format.

    Name it as NAME:VERSION, as NAME (its newest version) or by id."""
    from runstack.history.export import export_value, natural_suffix
    from runstack.materializers.base import type_name

    found = Client().artifacts.find(reference)
    value = found.load()
    described = f"artifact {short_id(found.id)} ({found.name})"
    if target is not None:
        export_value(value, target, described)
        click.echo(f"Wrote {described} to {target}.")
        return
    suffix = natural_suffix(value)
    if suffix != ".json":
        kind = type_name(type(value))
        raise click.UsageError(
            f"{described} holds a {kind}, which is not printed; write it to a file: "
            f"-o FILE{suffix or ''}"
        )
    text = json.dumps(value, indent=2)
    if len(text) > PRINTED_LIMIT:
        raise click.UsageError(
            f"{described} is {format_size(len(text))} of JSON, too much to print; "
            "write it to a file: -o FILE.json"
        )
    click.echo(text)


artifact.add_command(load, "export")
