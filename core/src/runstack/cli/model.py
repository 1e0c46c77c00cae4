"""`runstack model ...`: the models runs ran under, their versions and stages, and what each
version holds (the artifacts its steps made or reused, and the runs they ran in)."""

from __future__ import annotations

from typing import Any

import click

from runstack.cli.output import echo_json, echo_table, output_option, short_id, timestamp
from runstack.client import Client
from runstack.history.model_versions import ModelVersion
from runstack.models import ModelLink, ModelRecord


@click.group("model")
def model() -> None:
    """Inspect models and their versions."""


@model.command("list")
@output_option()
def list_models(output: str) -> None:
    """List models, by name."""
    models = Client().list_models()
    if output == "json":
        echo_json([m.to_dict() for m in models])
        return
    echo_table(
        ["MODEL", "MODEL ID", "VERSIONS", "LATEST", "TAGS", "CREATED"],
        [
            [
                m.name,
                short_id(m.id),
                str(m.versions),
                m.latest_version or "",
                ", ".join(m.tags),
                timestamp(m.created),
            ]
            for m in models
        ],
        wrapping=["TAGS"],
        empty="No models yet: a run of a pipeline or step with model=Model(name=...) makes one.",
    )


@model.command("describe")
@click.argument("name")
@click.argument("version", required=False)
@output_option()
def describe(name: str, version: str | None, output: str) -> None:
    """Show a model and its versions, or one VERSION (a name, number or stage) with the
    artifacts and runs linked to it."""
    client = Client()
    found = client.get_model(name)
    if version is None:
        versions = client.list_model_versions(found.id)
        if output == "json":
            echo_json({**found.to_dict(), "model_versions": [_version_json(v) for v in versions]})
            return
        _echo_card(found)
        rows = []
        for v in versions:
            links = v.links
            artifacts = {link.artifact_id for link in links if link.artifact_id is not None}
            created = timestamp(v.record.created)
            counts = [str(len(_runs(links))), str(len(artifacts))]
            rows.append([v.name, str(v.number), v.stage.value, created, *counts])
        echo_table(["VERSION", "NUMBER", "STAGE", "CREATED", "RUNS", "ARTIFACTS"], rows)
        return
    chosen = client.get_model_version(found.id, version)
    if output == "json":
        echo_json({**_version_json(chosen), "model": found.to_dict()})
        return
    _echo_card(found)
    click.echo(f"{'Version:':<13}{chosen.name} (number {chosen.number}, id {chosen.id})")
    click.echo(f"{'Stage:':<13}{chosen.stage.value}")
    click.echo(f"{'Runs:':<13}{', '.join(_runs(chosen.links)) or '(none)'}")
    echo_table(
        ["ARTIFACT", "VERSION", "ID", "RUN", "STEP", "OUTPUT"],
        [
            [
                artifact.name,
                str(artifact.record.version),
                short_id(artifact.id),
                link.run_name,
                link.step,
                link.output or "",
            ]
            for link, artifact in chosen.linked_artifacts()
        ],
        empty=f"No artifacts are linked to version {chosen.name!r} of model {found.name!r} yet.",
    )


def _echo_card(found: ModelRecord) -> None:
    """The model's name, id and the card it was registered with."""
    click.echo(f"{'Model:':<13}{found.name} (id {found.id})")
    lines = {"Description": found.description, "Tags": ", ".join(found.tags), **found.details}
    for label, value in lines.items():
        if value:
            click.echo(f"{label.replace('_', ' ').capitalize() + ':':<13}{value}")


def _runs(links: list[ModelLink]) -> list[str]:
    """The names of the runs with steps under a version, oldest first."""
    return list(dict.fromkeys(link.run_name for link in links))


def _version_json(version: ModelVersion) -> dict[str, Any]:
    return {
        **version.record.to_dict(),
        "runs": _runs(version.links),
        "artifacts": [
            {**artifact.record.to_dict(), "run": link.run_name, "step": link.step}
            for link, artifact in version.linked_artifacts()
        ],
    }
