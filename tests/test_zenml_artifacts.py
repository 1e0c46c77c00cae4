"""Named, versioned artifacts as ZenML users write them (issue 14): outputs named by `Annotated`
or `ArtifactConfig`, versions per name, tags and types, `save_artifact`/`load_artifact` in and
outside steps, `ExternalArtifact` and client artifact versions as step inputs, and the
`artifact list`/`describe` commands that show them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pytest

from runstack import (
    ArtifactConfig,
    ArtifactType,
    Client,
    ExternalArtifact,
    load_artifact,
    pipeline,
    save_artifact,
    step,
)
from runstack.errors import AlreadyExistsError, ConfigError, NotFoundError
from runstack.pipelines.runner import PipelineRunError, run_pipeline
from runstack.runs import ArtifactRecord, StepStatus
from runstack.stacks import new_id, now
from runstack.store.sql_store import SqlStore
from runstack.testing import parse_table
from schema_rollback import back_to
from server_helpers import TeamServer, unique

Cli = Callable[..., str]


@step
def training_data_loader() -> Annotated[dict[str, list[float]], "iris_dataset"]:
    return {"x": [1.0, 2.0, 3.0], "y": [0.0, 1.0, 1.0]}


@step
def split(
    dataset: dict[str, list[float]],
) -> tuple[list[float], list[float]]:
    return dataset["x"][:2], dataset["x"][2:]


@step
def train(
    x_train: list[float],
) -> Annotated[
    float,
    ArtifactConfig(name="iris_model", tags=["sklearn", "iris"], artifact_type=ArtifactType.MODEL),
]:
    return sum(x_train) / len(x_train)


@step
def evaluate(model: float, x_test: list[float]) -> float:
    return model - x_test[0]


@pipeline
def feature_engineering() -> None:
    x_train, x_test = split(training_data_loader())
    evaluate(train(x_train), x_test)


def test_outputs_are_named_and_versioned_as_zenml_does_it() -> None:
    first = feature_engineering()
    second = feature_engineering()
    third = feature_engineering.with_options(enable_cache=False)()

    assert {s.status for s in second.steps.values()} == {StepStatus.CACHED}
    client = Client()
    dataset = client.get_artifact_version("iris_dataset")
    assert (dataset.name, dataset.version) == ("iris_dataset", "2")
    assert dataset.id == third.steps["training_data_loader"].outputs["iris_dataset"].id
    assert client.get_artifact_version("iris_dataset", version=1).id == (
        first.steps["training_data_loader"].outputs["iris_dataset"].id
    )
    assert client.get_artifact_version("iris_dataset", "1").load() == dataset.load()
    versions = client.list_artifact_versions(name="iris_dataset")
    assert [v.version for v in versions] == ["2", "1"]
    assert [v.version for v in client.list_artifact_versions("iris_model")] == ["2", "1"]
    assert client.list_artifact_versions(tag="sklearn", limit=1)[0].id == (
        third.steps["train"].outputs["iris_model"].id
    )
    assert client.list_artifact_versions("iris_dataset", tag="sklearn") == []

    model = first.steps["train"].outputs["iris_model"]
    assert (model.name, model.version, model.tags) == ("iris_model", "1", ["sklearn", "iris"])
    assert model.artifact_type == "ModelArtifact" == ArtifactType.MODEL
    assert dataset.artifact_type == "DataArtifact"
    split_outputs = first.steps["split"].outputs
    assert [a.name for a in split_outputs.values()] == [
        "feature_engineering::split::output_0",
        "feature_engineering::split::output_1",
    ]
    assert first.steps["evaluate"].outputs["output"].name == "feature_engineering::evaluate::output"


@step
def make_features() -> Annotated[list[int], "features"]:
    return [1, 2]


@step
def other_features(n: int = 3) -> Annotated[list[int], ArtifactConfig(name="features")]:
    return list(range(n))


@pipeline
def first_source() -> None:
    make_features()


@pipeline
def second_source() -> None:
    other_features()


def test_versions_count_per_name_across_pipelines() -> None:
    first_source()
    second_source()
    versions = Client().list_artifact_versions("features")
    assert [(v.version, v.load()) for v in versions] == [("2", [0, 1, 2]), ("1", [1, 2])]


@step
def golden_set() -> Annotated[list[int], ArtifactConfig(name="golden", version="2024-q1")]:
    return [7, 8, 9]


@step
def numbered() -> Annotated[int, ArtifactConfig(name="numbered", version=42)]:
    return 42


@pipeline
def golden() -> None:
    golden_set()
    numbered()


def test_an_explicit_version_is_kept_and_given_once() -> None:
    golden()
    assert golden().steps["golden_set"].cached  # a cached step makes no new version

    client = Client()
    assert client.get_artifact_version("golden", "2024-q1").load() == [7, 8, 9]
    assert client.get_artifact_version("numbered").version == "42"
    with pytest.raises(PipelineRunError) as raised:
        golden.with_options(enable_cache=False)()
    failed = raised.value.run.steps["golden_set"]
    assert failed.status is StepStatus.FAILED
    assert (
        "artifact 'golden' version '2024-q1', which exists already; give the ArtifactConfig "
        "another version, or none for the next number" in failed.record.error
    )
    assert [v.version for v in client.list_artifact_versions("golden")] == ["2024-q1"]
    save_artifact(1, "numbered")
    assert client.get_artifact_version("numbered").version == "43"


def test_save_and_load_artifact_outside_steps() -> None:
    first = save_artifact([1, 2, 3], "holdout", tags=["eval"])
    second = save_artifact([4, 5], "holdout")
    named = save_artifact({"a": 1}, "holdout", version="frozen", artifact_type="ModelArtifact")

    assert (first.version, second.version, named.version) == ("1", "2", "frozen")
    assert first.tags == ["eval"] and named.artifact_type == "ModelArtifact"
    assert load_artifact("holdout") == {"a": 1}
    assert load_artifact("holdout", version=1) == [1, 2, 3]
    assert load_artifact("holdout", 2) == [4, 5]
    assert load_artifact(first.id) == [1, 2, 3]
    assert save_artifact(0, "holdout").version == "3"
    with pytest.raises(AlreadyExistsError, match="artifact 'holdout' has a version 'frozen'"):
        save_artifact(9, "holdout", version="frozen")
    with pytest.raises(NotFoundError, match="no artifact named 'holdout' has version '7'"):
        load_artifact("holdout", 7)
    with pytest.raises(ConfigError, match="invalid artifact name 'a/b'"):
        save_artifact(1, "a/b")
    with pytest.raises(ConfigError, match="unknown artifact type 'Table'"):
        save_artifact(1, "holdout", artifact_type="Table")


@step
def save_thresholds() -> None:
    save_artifact({"min": 0.2}, "thresholds", tags=["tuned"])


@step
def apply_thresholds() -> Annotated[float, "applied"]:
    return float(load_artifact("thresholds")["min"])


@pipeline
def thresholds() -> None:
    saved = save_thresholds()
    apply_thresholds(after=saved)


def test_save_and_load_artifact_inside_steps_are_linked_to_the_step(
    cli_ok: Cli, cli_json: Callable[..., Any]
) -> None:
    run = thresholds()
    again = thresholds()

    saved = Client().get_artifact_version("thresholds")
    assert (saved.version, saved.tags, saved.load()) == ("1", ["tuned"], {"min": 0.2})
    assert run.steps["save_thresholds"].outputs["thresholds"].id == saved.id
    assert run.steps["apply_thresholds"].inputs["thresholds"].id == saved.id
    assert run.steps["apply_thresholds"].outputs["applied"].load() == 0.2
    assert again.steps["save_thresholds"].cached
    lineage = cli_json("artifact", "describe", "thresholds")
    assert lineage["produced_by"] == [
        {"run": run.name, "step": "save_thresholds", "output": "thresholds"}
    ]
    assert {"run": run.name, "step": "apply_thresholds", "input": "thresholds"} in lineage[
        "consumed_by"
    ]


@step
def save_then_fail() -> None:
    save_artifact([1], "half_done")
    raise ValueError("broken after saving")


@pipeline
def failing_saver() -> None:
    save_then_fail()


def test_a_failed_step_keeps_none_of_what_it_saved() -> None:
    with pytest.raises(PipelineRunError, match="broken after saving") as raised:
        failing_saver()
    with pytest.raises(NotFoundError, match="no artifact named 'half_done'"):
        load_artifact("half_done")
    failed = raised.value.run.steps["save_then_fail"]
    folder = Path(failed.artifact_stores.get(failed.artifact_store_id).path(failed.record.log_uri))
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # its log only


@step
def trainer(data: list[int]) -> Annotated[int, "total"]:
    return sum(data)


@pipeline
def external_training(values: list[int]) -> None:
    data = ExternalArtifact(value=values)
    trainer(data=data)


def test_an_external_artifact_is_an_input_cached_by_its_value(cli_json: Callable[..., Any]) -> None:
    first = external_training(values=[1, 2, 3])
    second = external_training(values=[1, 2, 3])
    third = external_training(values=[4, 5])

    assert first.steps["trainer"].outputs["total"].load() == 6
    assert second.steps["trainer"].cached
    assert not third.steps["trainer"].cached
    assert third.steps["trainer"].outputs["total"].load() == 9
    given = first.steps["trainer"].inputs["data"]
    assert given.id == second.steps["trainer"].inputs["data"].id
    assert given.id != third.steps["trainer"].inputs["data"].id
    assert given.load() == [1, 2, 3] and given.name.startswith("external_")
    lineage = cli_json("artifact", "describe", given.id)
    assert lineage["consumed_by"] == [
        {"run": run.name, "step": "trainer", "input": "data"} for run in (first, second)
    ]


@pipeline
def retraining() -> None:
    dataset = Client().get_artifact_version("holdout_set")
    trainer(data=dataset)


def test_an_artifact_version_from_the_client_is_a_step_input() -> None:
    save_artifact([10, 20], "holdout_set")
    first = retraining()
    second = retraining()
    save_artifact([1], "holdout_set")
    third = retraining()

    assert first.steps["trainer"].outputs["total"].load() == 30
    assert second.steps["trainer"].cached
    assert third.steps["trainer"].outputs["total"].load() == 1
    assert first.steps["trainer"].inputs["data"].version == "1"
    assert third.steps["trainer"].inputs["data"].version == "2"


def test_artifact_list_and_describe_name_versions(
    cli_ok: Cli, cli_json: Callable[..., Any], cli_error: Cli
) -> None:
    feature_engineering()
    save_artifact([1], "iris_model", version="candidate", tags=["manual"])

    rows = parse_table(cli_ok("artifact", "list", "--name", "iris_model"))
    assert [(r["NAME"], r["VERSION"], r["TAGS"]) for r in rows] == [
        ("iris_model", "candidate", "manual"),
        ("iris_model", "1", "sklearn, iris"),
    ]
    assert cli_json("artifact", "describe", "iris_model:1")["artifact"]["tags"] == [
        "sklearn",
        "iris",
    ]
    assert cli_json("artifact", "describe", "iris_model")["artifact"]["version"] == "candidate"
    default = "feature_engineering::evaluate::output"
    assert cli_json("artifact", "describe", f"{default}:1")["artifact"]["name"] == default
    assert cli_json("artifact", "describe", default)["artifact"]["version"] == "1"
    described = parse_table(cli_ok("artifact", "describe", "iris_model:candidate"))
    shown = {row["PROPERTY"]: row["VALUE"] for row in described}
    assert (shown["VERSION"], shown["TAGS"]) == ("candidate", "manual")
    assert json.loads(cli_ok("artifact", "load", "iris_model:candidate")) == [1]
    assert cli_error("artifact", "describe", "iris_model:7") == (
        "Error: no artifact named 'iris_model:7', and no artifact with id 'iris_model:7'; "
        "see 'runstack artifact list'"
    )


def record(name: str, version: str = "") -> ArtifactRecord:
    return ArtifactRecord(
        id=new_id(),
        name=name,
        version=version,
        uri=f"saved/{new_id()}",
        type_name="builtins.int",
        materializer="json",
        size=1,
        artifact_store_id=new_id(),
        producer_step_run_id="",
        created=now(),
        tags=("a",),
        artifact_type="ModelArtifact",
    )


def test_the_store_gives_versions_by_name(store: SqlStore) -> None:
    artifacts = store.artifacts
    created = [
        artifacts.create(record("model", version))
        for version in ("", "best", "", "5", "", "v2", "07", "²", "")
    ]
    assert [a.version for a in created] == ["1", "best", "2", "5", "6", "v2", "07", "²", "7"]
    assert artifacts.create(record("other")).version == "1"
    with pytest.raises(AlreadyExistsError, match="artifact 'model' has a version 'best'"):
        artifacts.create(record("model", "best"))
    with pytest.raises(AlreadyExistsError, match="has a version '6'"):
        artifacts.create(record("model", "6"))
    found = artifacts.get_version("model", "best")
    assert (found.id, found.tags, found.artifact_type) == (created[1].id, ("a",), "ModelArtifact")
    assert artifacts.get_version("model").id == created[-1].id
    assert [a.version for a in artifacts.list(name="model")] == [
        a.version for a in reversed(created)
    ]
    with pytest.raises(NotFoundError, match="no artifact named 'model' has version '3'"):
        artifacts.get_version("model", "3")


def test_runs_name_version_and_filter_artifacts_on_each_database(store: SqlStore) -> None:
    client = Client(store=store)
    first = run_pipeline(feature_engineering.compile(), client)
    run_pipeline(feature_engineering.with_options(enable_cache=False).compile(), client)
    external = run_pipeline(external_training.compile(values=[2, 3]), client)

    model = client.get_artifact_version("iris_model", 1)
    assert model.id == first.steps["train"].outputs["iris_model"].id
    assert (model.tags, model.artifact_type) == (["sklearn", "iris"], "ModelArtifact")
    assert [v.version for v in client.list_artifact_versions("iris_model")] == ["2", "1"]
    made = client.artifacts.list(pipeline="feature_engineering", step="split")
    assert sorted(a.name for a in made) == sorted(
        ["feature_engineering::split::output_0", "feature_engineering::split::output_1"] * 2
    )
    assert client.artifacts.list(step="trainer", name="total")[0].version == "1"
    assert external.steps["trainer"].inputs["data"].load() == [2, 3]
    assert run_pipeline(external_training.compile(values=[2, 3]), client).steps["trainer"].cached


def test_a_store_from_before_versions_keeps_its_artifacts(
    cli_ok: Cli, cli_json: Callable[..., Any], runstack_home: Path
) -> None:
    feature_engineering()
    store = next(runstack_home.glob("*.db"))
    connection = sqlite3.connect(store)
    for statement in back_to(14):  # before artifact versions (15) and what came after
        connection.execute(statement)
    connection.commit()
    connection.close()

    listed = cli_json("artifact", "list", "--name", "iris_model")
    assert [(a["version"], a["tags"], a["artifact_type"]) for a in listed] == [
        ("1", [], "DataArtifact")
    ]
    feature_engineering.with_options(enable_cache=False)()
    assert Client().get_artifact_version("iris_model").version == "2"


def test_named_artifacts_through_the_team_server(logged_in: TeamServer, cli_ok: Cli) -> None:
    name = unique("weights")
    saved = save_artifact([0.5], name, tags=["team"])
    assert save_artifact([0.25], name, version="tuned").version == "tuned"
    client = Client()
    assert client.get_artifact_version(name, saved.version).load() == [0.5]
    assert [v.version for v in client.list_artifact_versions(name)] == ["tuned", saved.version]
    rows = parse_table(cli_ok("artifact", "list", "--name", name))
    assert [(r["VERSION"], r["TAGS"]) for r in rows] == [("tuned", ""), (saved.version, "team")]
    with pytest.raises(AlreadyExistsError, match="has a version 'tuned'"):
        save_artifact([1.0], name, version="tuned")

    run = external_training(values=[len(name), 1])
    total = run.steps["trainer"].outputs["total"]
    assert total.load() == len(name) + 1
    made = client.artifacts.list(pipeline="external_training", step="trainer", limit=1)
    assert [a.id for a in made] == [total.id]
    assert external_training(values=[len(name), 1]).steps["trainer"].cached
