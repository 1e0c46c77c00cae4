"""Metadata as ZenML users log it (issue 14): `log_metadata` for the current step, a run, a step
of a run or an artifact, `log_artifact_metadata`, `get_step_context().add_output_metadata`, and
`.run_metadata` on runs, steps and artifacts, on every store."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any

import pytest

from runstack import (
    Client,
    get_step_context,
    log_artifact_metadata,
    log_metadata,
    pipeline,
    step,
)
from runstack.errors import ConfigError, NotFoundError
from runstack.pipelines.runner import PipelineRunError, run_pipeline
from runstack.store.sql_store import SqlStore
from server_helpers import TeamServer, unique

METRICS = {"accuracy": 0.92, "precision": 0.88, "per_class": [0.9, 0.94], "note": None}


@step
def load_data(rows: int) -> list[int]:
    data = list(range(rows))
    log_metadata(metadata={"row_count": len(data), "source": "memory"}, infer_artifact=True)
    return data


@step
def train_model(data: list[int]) -> float:
    accuracy = METRICS["accuracy"]
    log_metadata(metadata={"evaluation_metrics": METRICS})
    log_metadata(metadata={"evaluation_metrics": METRICS, "epochs": 3})  # a key again: the latest
    return accuracy


@pipeline
def training(rows: int = 3) -> None:
    train_model(load_data(rows))


def test_a_step_logs_for_itself_and_its_output_and_a_cached_run_shows_the_same() -> None:
    first = Client().get_pipeline_run(training(rows=3).id)
    second = Client().get_pipeline_run(training(rows=3).id)

    assert [s.cached for s in second.steps.values()] == [True, True]
    for run in (first, second):
        trained = run.steps["train_model"]
        assert trained.run_metadata == {"evaluation_metrics": METRICS, "epochs": 3}
        assert run.run_metadata == {
            "train_model::evaluation_metrics": METRICS,
            "train_model::epochs": 3,
        }
        data = run.steps["load_data"].outputs["output"]
        assert data.run_metadata == {"row_count": 3, "source": "memory"}
        assert run.steps["train_model"].inputs["data"].run_metadata == data.run_metadata
        assert run.steps["load_data"].run_metadata == {}
    assert second.steps["load_data"].outputs["output"].id == (
        first.steps["load_data"].outputs["output"].id
    )


@step(enable_cache=False)
def summarize(values: list[int]) -> int:
    log_metadata({"git": {"commit": "abc123"}}, run_id_name_or_prefix=get_step_context().run_id)
    total = sum(values)
    log_artifact_metadata(metadata={"total": total})
    if total > 100:
        raise ValueError("too large")
    return total


@step(enable_cache=False)
def split(values: list[int]) -> tuple[Annotated[list[int], "train"], Annotated[list[int], "test"]]:
    train, test = values[:-1], values[-1:]
    context = get_step_context()
    context.add_output_metadata({"size": len(train)}, output_name="train")
    log_metadata({"size": len(test)}, artifact_name="test", infer_artifact=True)
    log_artifact_metadata({"held_out": True}, artifact_name="test")
    return train, test


@pipeline
def summing(rows: int = 4) -> None:
    data = load_data(rows)
    split(data)
    summarize(data)


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_what_a_step_logs_reaches_the_store_from_wherever_it_ran(mode: str) -> None:
    settings = {"orchestrator": {"mode": mode}}
    run = summing.with_options(settings=settings)(rows=4)

    assert run.run_metadata == {"summarize::git": {"commit": "abc123"}}
    assert run.steps["summarize"].outputs["output"].run_metadata == {"total": 6}
    outputs = run.steps["split"].outputs
    assert outputs["train"].run_metadata == {"size": 3}
    assert outputs["test"].run_metadata == {"size": 1, "held_out": True}

    with pytest.raises(PipelineRunError, match="too large"):
        summing.with_options(settings=settings)(rows=20)
    failed = Client().get_pipeline("summing").last_run
    assert failed.status.value == "failed"
    assert failed.run_metadata == {"summarize::git": {"commit": "abc123"}}
    assert failed.steps["summarize"].outputs == {}


def test_metadata_logged_after_a_run_for_the_run_a_step_and_an_artifact() -> None:
    run = training(rows=2)
    trained = run.steps["train_model"]
    data = run.steps["load_data"].outputs["output"]

    log_metadata(metadata={"post_run": {"training_time": 350}}, run_id_name_or_prefix=run.name)
    log_metadata(metadata={"reviewed": True}, run_id_name_or_prefix=run.id[:8])
    log_metadata(
        metadata={"feature_importance": [0.2, 0.5, 0.3]},
        step_name="train_model",
        run_id_name_or_prefix=run.id,
    )
    log_metadata(metadata={"epochs": 4}, step_id=trained.id)
    log_metadata(metadata={"distribution_shift": 0.03}, artifact_version_id=data.id)

    found = Client().get_pipeline_run(run.name)
    assert found.steps["train_model"].run_metadata == {
        "evaluation_metrics": METRICS,
        "epochs": 4,
        "feature_importance": [0.2, 0.5, 0.3],
    }
    assert found.run_metadata == {
        "post_run": {"training_time": 350},
        "reviewed": True,
        "train_model::evaluation_metrics": METRICS,
        "train_model::epochs": 4,
        "train_model::feature_importance": [0.2, 0.5, 0.3],
    }
    artifact = Client().get_artifact(data.id)
    assert artifact.run_metadata == {"row_count": 2, "source": "memory", "distribution_shift": 0.03}


@step
def process_data(rows: int) -> Annotated[list[int], "processed_data"]:
    return list(range(rows))


@step
def validate(data: list[int]) -> None:
    log_metadata({"validated_by": "validate"}, artifact_name="processed_data")
    log_artifact_metadata(
        {"first_version": True}, artifact_name="processed_data", artifact_version="1"
    )


@pipeline
def processing(rows: int = 3) -> None:
    validate(process_data(rows))


def test_an_artifact_named_by_its_name_and_version_as_zenml_docs_do() -> None:
    processing(rows=3)
    processing(rows=4)
    log_metadata(
        metadata={"validation_results": {"distribution_shift": 0.03}},
        artifact_name="processed_data",
        artifact_version="1",
    )
    log_metadata(metadata={"latest": True}, artifact_name="processed_data")

    client = Client()
    assert client.get_artifact_version("processed_data", "1").run_metadata == {
        "validated_by": "validate",
        "first_version": True,
        "validation_results": {"distribution_shift": 0.03},
    }
    assert client.get_artifact_version("processed_data").run_metadata == {
        "validated_by": "validate",
        "latest": True,
    }
    with pytest.raises(NotFoundError, match="no artifact named 'processed_data' has version '9'"):
        log_metadata({"a": 1}, artifact_name="processed_data", artifact_version="9")


def test_run_and_artifact_describe_show_metadata_and_their_json_has_it(
    cli_ok: Callable[..., str],
) -> None:
    run = training(rows=2)
    log_metadata(
        metadata={"owner": "ml-team", "budget": {"gpu_hours": 2}}, run_id_name_or_prefix=run.id
    )
    data = run.steps["load_data"].outputs["output"]

    described = cli_ok("run", "describe", run.name)
    assert (
        "\nRun metadata:\n"
        "  owner:  ml-team\n"
        '  budget: {"gpu_hours": 2}\n'
        "\nStep 'train_model' recorded:\n"
        '  evaluation_metrics: {"accuracy": 0.92, "precision": 0.88, "per_class": [0.9, 0.94], '
        '"note": null}\n'
        "  epochs:             3\n"
    ) in described
    as_json = json.loads(cli_ok("run", "describe", run.name, "-o", "json"))
    assert as_json["metadata"] == {"owner": "ml-team", "budget": {"gpu_hours": 2}}
    assert as_json["steps"][1]["metadata"] == {"evaluation_metrics": METRICS, "epochs": 3}
    assert as_json["steps"][0]["outputs"]["output"]["metadata"] == {
        "row_count": 2,
        "source": "memory",
    }

    shown = cli_ok("artifact", "describe", data.id)
    assert shown.endswith("\nMetadata:\n  row_count: 2\n  source:    memory\n")
    assert "METADATA" not in shown
    assert json.loads(cli_ok("artifact", "describe", data.id, "-o", "json"))["artifact"][
        "metadata"
    ] == {"row_count": 2, "source": "memory"}


@step(enable_cache=False)
def odd_metric() -> int:
    log_metadata(metadata={"ok": 1, "labels": {"cats", "dogs"}})
    return 1


@pipeline
def logging_odd() -> None:
    odd_metric()


def test_a_value_json_cannot_hold_is_refused_naming_its_key_and_nothing_is_stored() -> None:
    with pytest.raises(
        PipelineRunError, match="metadata 'labels' is of type set, not a JSON value"
    ):
        logging_odd()
    failed = Client().get_pipeline("logging_odd").last_run
    assert failed.steps["odd_metric"].run_metadata == {}

    run = training(rows=2)
    for bad, said in [
        ({"ok": 1, "model": object()}, "metadata 'model' is of type object, not a JSON value"),
        ({"loss": float("nan")}, "metadata 'loss' is nan, which JSON cannot hold"),
        ({"by_class": {1: 0.5}}, "metadata 'by_class' has the key 1"),
        ({3: "x"}, "metadata keys are non-empty strings, not 3"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(said)):
            log_metadata(metadata=bad, run_id_name_or_prefix=run.id)
    assert Client().get_pipeline_run(run.id).record.metadata == {}


@step(enable_cache=False)
def two_outputs() -> tuple[Annotated[int, "a"], Annotated[int, "b"]]:
    log_metadata({"x": 1}, infer_artifact=True)
    return 1, 2


@step(enable_cache=False)
def unknown_output() -> int:
    get_step_context().add_output_metadata({"x": 1}, output_name="model")
    return 1


@pytest.mark.parametrize(
    ("wiring", "said"),
    [
        (two_outputs, "step 'two_outputs' has 2 outputs (a, b); name the one"),
        (unknown_output, "step 'unknown_output' has no output 'model'; its outputs: output"),
    ],
    ids=["two_outputs", "unknown_output"],
)
def test_an_output_the_step_cannot_mean_is_a_clear_error(
    wiring: Callable[..., Any], said: str
) -> None:
    @pipeline(name="choosing")
    def choosing() -> None:
        wiring()

    with pytest.raises(PipelineRunError, match=re.escape(said)):
        choosing()


def test_outside_a_step_a_call_without_a_target_or_with_an_odd_one_says_what_to_give() -> None:
    run = training(rows=2)
    targets = "step_name + run_id_name_or_prefix or step_id (a step run)"
    for call, said in [
        (lambda: log_metadata({"a": 1}), "log_metadata() without a target works only inside"),
        (lambda: log_metadata({"a": 1}, infer_artifact=True), "infer_artifact=True) works only"),
        (lambda: log_artifact_metadata({"a": 1}), "without artifact_name works only inside"),
        (lambda: log_metadata({"a": 1}, step_name="train_model"), "to step_name; give"),
        (
            lambda: log_metadata({"a": 1}, step_id="x", artifact_version_id="y"),
            "to artifact_version_id + step_id; give",
        ),
    ]:
        with pytest.raises(ConfigError, match=re.escape(said)) as caught:
            call()
        assert targets in str(caught.value)
        assert "\n" not in str(caught.value)
    with pytest.raises(
        NotFoundError, match=r"run '.*' has no step 'evaluate'; its steps: load_data, train_model$"
    ):
        log_metadata({"a": 1}, step_name="evaluate", run_id_name_or_prefix=run.id)
    with pytest.raises(NotFoundError, match="no step run with id 'nope'"):
        log_metadata({"a": 1}, step_id="nope")
    with pytest.raises(NotFoundError, match="no artifact named 'model' has version '1'"):
        log_artifact_metadata({"a": 1}, artifact_name="model", artifact_version="1")


def test_metadata_is_kept_and_merged_on_both_databases(store: SqlStore) -> None:
    client = Client(store=store)
    run = run_pipeline(training.compile(rows=2), client)
    assert run.run_metadata == {
        "train_model::evaluation_metrics": METRICS,
        "train_model::epochs": 3,
    }
    data = run.steps["load_data"].outputs["output"]
    trained = run.steps["train_model"]
    store.runs.add_metadata(run.id, {"a": 1, "b": [1]})
    store.runs.add_metadata(run.id, {"b": {"c": None}})
    store.step_runs.add_metadata(trained.id, {"epochs": 5})
    store.artifacts.add_metadata(data.id, {"source": "disk"})

    found = client.get_run(run.id)
    assert found.record.metadata == {"a": 1, "b": {"c": None}}
    assert found.steps["train_model"].run_metadata == {"evaluation_metrics": METRICS, "epochs": 5}
    assert client.get_artifact(data.id).run_metadata == {"row_count": 2, "source": "disk"}
    for add, kind in [
        (store.runs.add_metadata, "run"),
        (store.step_runs.add_metadata, "step run"),
        (store.artifacts.add_metadata, "artifact"),
    ]:
        with pytest.raises(NotFoundError, match=f"no {kind} with id 'missing'"):
            add("missing", {"a": 1})
    cached = run_pipeline(training.compile(rows=2), client)
    assert cached.steps["train_model"].run_metadata == {"evaluation_metrics": METRICS, "epochs": 5}


def test_metadata_travels_through_the_team_server(logged_in: TeamServer) -> None:
    @pipeline(name=unique("served"))
    def served(rows: int) -> None:
        train_model(load_data(rows))

    run = served(rows=2)
    log_metadata({"reviewed": "alice"}, run_id_name_or_prefix=run.name)
    log_metadata({"epochs": 9}, step_name="train_model", run_id_name_or_prefix=run.name)
    data = run.steps["load_data"].outputs["output"]
    log_metadata({"checked": True}, artifact_version_id=data.id)

    found = Client().get_pipeline_run(run.id)
    assert found.record.metadata == {"reviewed": "alice"}
    assert found.steps["train_model"].run_metadata == {"evaluation_metrics": METRICS, "epochs": 9}
    assert found.steps["load_data"].outputs["output"].run_metadata == {
        "row_count": 2,
        "source": "memory",
        "checked": True,
    }
    store = Client().store  # the server checks what it is sent, too
    with pytest.raises(ConfigError, match="metadata keys are non-empty strings"):
        store.runs.add_metadata(run.id, {"": 1})
    with pytest.raises(NotFoundError, match="no artifact with id 'missing'"):
        store.artifacts.add_metadata("missing", {"a": 1})
