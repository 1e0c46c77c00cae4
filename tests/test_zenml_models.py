"""Model versions as ZenML's docs use them: `Model(...)` on a pipeline or step, each run making
or reusing a version that every artifact it produces is linked to, `get_step_context().model`,
`get_pipeline_context()`, `Client().get_model_version`, `set_stage` and `get_artifact`, and
`runstack model list/describe` (issue 14)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import pytest

from runstack import (
    Client,
    Model,
    ModelStages,
    get_pipeline_context,
    get_step_context,
    pipeline,
    step,
)
from runstack.errors import AlreadyExistsError, ConfigError, NotFoundError, RunstackError
from runstack.pipelines.runner import run_pipeline
from runstack.store.sql_store import SqlStore
from runstack.testing import imported_by_command
from server_helpers import TeamServer, unique

Cli = Callable[..., str]

# As ZenML's "register a model" page writes it.
model = Model(
    name="iris_classifier",
    license="Apache 2.0",
    description="A classification model for the iris dataset.",
    tags=["classification"],
)


@step
def training_data_loader() -> list[list[float]]:
    return [[5.1, 3.5], [4.9, 3.0], [6.2, 3.4]]


@step
def svc_trainer(rows: list[list[float]], gamma: float = 0.001) -> dict[str, float]:
    return {"gamma": gamma, "rows": float(len(rows))}


@pipeline(model=model)
def training_pipeline(gamma: float = 0.002) -> None:
    svc_trainer(training_data_loader(), gamma=gamma)


TRAINED = "training_pipeline::svc_trainer::output"
LOADED = "training_pipeline::training_data_loader::output"


def test_each_run_makes_the_next_version_and_links_what_it_made_or_reused() -> None:
    first = training_pipeline()
    second = training_pipeline()
    assert [s.cached for s in second.steps.values()] == [True, True]

    client = Client()
    latest = client.get_model_version("iris_classifier")
    assert (latest.name, latest.number, latest.stage) == ("2", 2, ModelStages.NONE)
    assert latest.model.name == "iris_classifier"
    assert latest.model.details == {"license": "Apache 2.0"}
    trained = first.steps["svc_trainer"].outputs["output"]
    for number, run in ((1, first), (2, second)):
        version = client.get_model_version("iris_classifier", number)
        assert list(version.pipeline_runs) == [run.name]
        linked = version.get_artifact(TRAINED)
        assert linked.id == trained.id  # the second run reused it from the cache
        assert linked.load() == {"gamma": 0.002, "rows": 3.0}
    assert {a.name for _, a in latest.linked_artifacts()} == {TRAINED, LOADED}
    assert [v.number for v in client.list_model_versions("iris_classifier")] == [1, 2]
    with pytest.raises(NotFoundError, match=f"no artifact 'model'; linked artifacts: {TRAINED}, "):
        latest.get_artifact("model")


@step
def report_model() -> dict[str, Any]:
    """What ZenML's docs read in a step: the version it runs under, then promote it."""
    current = get_step_context().model
    seen = {
        "name": current.name,
        "version": current.version,
        "number": current.number,
        "id": current.id,
        "stage": current.stage.value,
    }
    current.set_stage("staging")
    return {**seen, "promoted": current.stage.value}


@step(model=Model(name="evaluator", version="v1.0"))
def evaluate_model() -> dict[str, Any]:
    current = get_step_context().model
    return {"name": current.name, "version": current.version}


@pipeline(model=Model(name="reporting"))
def reporting() -> None:
    report_model()
    evaluate_model()


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_a_step_sees_the_version_it_runs_under_its_own_model_first(mode: str) -> None:
    run = reporting.with_options(settings={"orchestrator": {"mode": mode}})()
    seen = run.steps["report_model"].outputs["output"].load()
    version = Client().get_model_version("reporting")
    assert seen == {
        "name": "reporting",
        "version": "1",
        "number": 1,
        "id": version.id,
        "stage": "none",
        "promoted": "staging",
    }
    assert version.stage is ModelStages.STAGING
    assert run.steps["evaluate_model"].outputs["output"].load() == {
        "name": "evaluator",
        "version": "v1.0",
    }
    evaluator = Client().get_model_version("evaluator", "v1.0")
    assert [a.name for _, a in evaluator.linked_artifacts()] == [
        "reporting::evaluate_model::output"
    ]
    assert [a.name for _, a in version.linked_artifacts()] == ["reporting::report_model::output"]


@step
def train(rate: float) -> float:
    return rate * 2


@pipeline
def promoted(rate: float = 0.5) -> None:
    train(rate)


def test_a_named_version_is_made_once_and_a_stage_names_a_version() -> None:
    named = promoted.with_options(model=Model(name="forecast", version="v1.0"))
    named()
    named(rate=0.7)
    versions = Client().list_model_versions("forecast")
    assert [(v.name, v.number) for v in versions] == [("v1.0", 1)]
    assert len(versions[0].pipeline_runs) == 2

    production = promoted.with_options(model=Model(name="forecast", version="production"))
    with pytest.raises(NotFoundError, match="model 'forecast' has no version in stage 'prod"):
        production()
    assert len(Client().get_pipeline("promoted").runs) == 2  # refused before it was recorded

    versions[0].set_stage(ModelStages.PRODUCTION)
    assert versions[0].stage is ModelStages.PRODUCTION
    run = production()
    in_production = Client().get_model_version("forecast", ModelStages.PRODUCTION)
    assert in_production.name == "v1.0"
    assert run.name in in_production.pipeline_runs
    latest = promoted.with_options(model=Model(name="forecast", version=ModelStages.LATEST))()
    assert latest.name in Client().get_model_version("forecast", "v1.0").pipeline_runs


def test_one_version_per_stage_unless_forced_which_archives_the_other() -> None:
    for _ in range(2):
        promoted.with_options(model=Model(name="churn"))()
    client = Client()
    client.get_model_version("churn", 1).set_stage("production")
    second = client.get_model_version("churn", 2)
    with pytest.raises(AlreadyExistsError, match="version '1' of model 'churn' is in stage"):
        second.set_stage("production")
    second.set_stage("production", force=True)
    assert client.get_model_version("churn", "production").number == 2
    assert client.get_model_version("churn", 1).stage is ModelStages.ARCHIVED
    with pytest.raises(ConfigError, match="'latest' is not a stage a model version can be in"):
        second.set_stage("latest")
    # `Model` looks its version up outside a run too, as ZenML's does.
    looked_up = Model(name="churn", version="production")
    assert (looked_up.number, looked_up.load_artifact("promoted::train::output")) == (2, 1.0)


@step
def echo(value: str) -> str:
    return value


@pipeline(model=Model(name="wired"), extra={"team": "ml"})
def wired() -> None:
    context = get_pipeline_context()
    assert context.model is not None
    echo(f"{context.name} {context.model.name} {context.extra['team']}")


def test_the_pipeline_context_while_a_pipeline_wires_its_steps() -> None:
    run = wired()
    assert run.steps["echo"].outputs["output"].load() == "wired wired ml"
    with pytest.raises(RunstackError, match="works only inside a pipeline function"):
        get_pipeline_context()


def test_a_model_is_refused_when_it_is_defined_wrong() -> None:
    with pytest.raises(ConfigError, match="invalid model name ''"):
        Model(name="")
    with pytest.raises(ConfigError, match="version must be a name, a number, a stage or None"):
        Model(name="m", version=1.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="tags must be a list of strings"):
        Model(name="m", tags="prod")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="model must be a Model"):
        promoted.with_options(model="m")
    with pytest.raises(NotFoundError, match="model 'forecast' has no version '3'"):
        promoted.with_options(model=Model(name="forecast", version=3))()


def test_model_list_and_describe(
    run_cli: Callable[..., Any], cli_ok: Cli, cli_error: Callable[..., str]
) -> None:
    training_pipeline()
    training_pipeline()
    Client().get_model_version("iris_classifier", 1).set_stage("staging")

    def plain(*arguments: str) -> str:
        """What a pipe gets: whole values in plain columns."""
        result = run_cli(*arguments, terminal=False)
        assert result.exit_code == 0, result.output
        return str(result.stdout)

    listed = plain("model", "list")
    assert listed.splitlines()[0].split() == [
        "MODEL", "MODEL", "ID", "VERSIONS", "LATEST", "TAGS", "CREATED"
    ]  # fmt: skip
    assert listed.splitlines()[1].split()[0::2][:3] == ["iris_classifier", "2", "classification"]

    described = plain("model", "describe", "iris_classifier")
    assert "License:     Apache 2.0" in described
    rows = [line.split() for line in described.splitlines() if line[:1] in "12"]
    assert [row[:3] for row in rows] == [["1", "1", "staging"], ["2", "2", "none"]]
    assert [row[-2:] for row in rows] == [["1", "2"], ["1", "2"]]

    one = plain("model", "describe", "iris_classifier", "staging")
    assert "Stage:       staging" in one
    assert TRAINED in one and LOADED in one
    as_json = json.loads(cli_ok("model", "describe", "iris_classifier", "2", "-o", "json"))
    assert as_json["number"] == 2 and as_json["model"]["license"] == "Apache 2.0"
    assert sorted(a["name"] for a in as_json["artifacts"]) == sorted([LOADED, TRAINED])

    assert "no model named 'iris'" in cli_error("model", "describe", "iris")
    assert "has no version 'v9'" in cli_error("model", "describe", "iris_classifier", "v9")


def test_models_on_each_database(store: SqlStore) -> None:
    client = Client(store=store)
    compiled = promoted.with_options(model=Model(name="ranker")).compile()
    runs = [run_pipeline(compiled, client) for _ in range(2)]
    version = client.get_model_version("ranker")
    assert version.number == 2
    assert list(version.pipeline_runs) == [runs[1].name]
    assert version.get_artifact("promoted::train::output").load() == 1.0
    version.set_stage("staging")
    assert client.get_model_version("ranker", "staging").id == version.id
    assert [m.name for m in client.list_models()] == ["ranker"]
    assert [v.number for v in client.list_model_versions("ranker")] == [1, 2]


def test_models_through_the_team_server(logged_in: TeamServer, cli_ok: Cli) -> None:
    name = unique("iris")
    training = promoted.with_options(model=Model(name=name, tags=["team"]))
    training()
    second = training()
    client = Client()
    version = client.get_model_version(name)
    assert (version.number, list(version.pipeline_runs)) == (2, [second.name])
    assert version.get_artifact("promoted::train::output").load() == 1.0
    version.set_stage("production")
    with pytest.raises(AlreadyExistsError, match="is in stage 'production' already"):
        client.get_model_version(name, 1).set_stage("production")
    assert client.get_model_version(name, "production").number == 2
    assert client.get_model(name).tags == ["team"]
    assert name in [model.name for model in client.list_models()]
    assert [v.stage.value for v in client.list_model_versions(name)] == ["none", "production"]
    described = cli_ok("model", "describe", name, "production")
    assert second.name in described


def test_model_commands_load_no_run_side_and_stack_commands_no_models() -> None:
    training_pipeline()
    run_side = {"runstack.pipelines", "runstack.store.sql_step_runs", "fastapi", "uvicorn"}
    assert imported_by_command(["model", "list"], run_side) == []
    models = {"runstack.models", "runstack.store.sql_models", "runstack.history.model_versions"}
    assert imported_by_command(["stack", "list"], models) == []


@step
def train_named() -> Annotated[float, "trained_model"]:
    return 0.9


@pipeline(model=Model(name="named_outputs"))
def named_training() -> None:
    train_named()


def test_a_named_output_is_found_on_the_version_by_its_artifact_name() -> None:
    named_training()
    named_training()
    version = Model(name="named_outputs", version=ModelStages.LATEST)
    assert (version.number, version.load_artifact("trained_model")) == (2, 0.9)
    assert Client().get_model_version("named_outputs", 1).get_artifact("trained_model", 1).id == (
        Client().get_model_version("named_outputs", 2).get_artifact("trained_model").id
    )
