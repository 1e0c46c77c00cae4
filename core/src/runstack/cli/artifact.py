"""`runstack artifact ...`: stored step outputs and their lineage."""

from __future__ import annotations

import click

from runstack.cli.output import echo_json, echo_table, output_option, short_id, timestamp
from runstack.client import Client


@click.group("artifact")
def artifact() -> None:
    """Inspect stored step outputs."""


@artifact.command("list")
@click.option("--limit", "-n", type=click.IntRange(min=1), help="At most this many artifacts.")
@output_option()
def list_artifacts(limit: int | None, output: str) -> None:
    """List artifacts, newest first."""
    artifacts = Client().artifacts.list(limit)
    if output == "json":
        echo_json([a.to_dict() for a in artifacts])
        return
    echo_table(
        ["ID", "NAME", "VERSION", "TYPE", "MATERIALIZER", "SIZE", "CREATED"],
        [
            [
                short_id(a.id),
                a.name,
                str(a.version),
                a.type_name,
                a.materializer,
                str(a.size),
                timestamp(a.created),
            ]
            for a in artifacts
        ],
    )


@artifact.command("describe")
@click.argument("artifact_id", metavar="ID")
@output_option()
def describe(artifact_id: str, output: str) -> None:
    """Show an artifact and its lineage: which step made it, which steps read it."""
    lineage = Client().artifacts.lineage(artifact_id)
    if output == "json":
        echo_json(lineage)
        return
    record = lineage["artifact"]
    echo_table(
        ["PROPERTY", "VALUE"],
        [[key.upper(), str(value)] for key, value in record.items()],
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
