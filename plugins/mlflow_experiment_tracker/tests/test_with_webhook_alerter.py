"""The issue's whole stack: the local orchestrator and store, the MLflow tracker and the webhook
alerter. A failing pipeline logs metrics to MLflow and posts its failure, both read back."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from test_mlflow_tracker import evaluate, mlflow_runs, train

from runstack import Client, pipeline
from runstack.pipelines.runner import PipelineRunError

WEBHOOK_TESTS = Path(__file__).resolve().parents[2] / "webhook_alerter" / "tests"


def webhook_receiver() -> ModuleType:
    """The webhook alerter's own test receiver (a real HTTP server on 127.0.0.1)."""
    pytest.importorskip("runstack_webhook_alerter", reason="runstack-webhook-alerter is needed")
    name = "webhook_receiver"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, WEBHOOK_TESTS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def test_a_failing_pipeline_logs_to_mlflow_and_posts_its_failure(tracking_uri: str) -> None:
    with webhook_receiver().receiving() as receiver:
        client = Client()
        client.register_component(
            "experiment_tracker", "mlflow", "mlflow", {"tracking_uri": tracking_uri}
        )
        client.register_component("alerter", "hook", "webhook", {"url": receiver.url()})
        client.register_stack(
            "whole",
            {
                "orchestrator": "default",
                "artifact_store": "default",
                "experiment_tracker": "mlflow",
                "alerter": "hook",
            },
        )
        client.set_active_stack("whole")

        @pipeline(settings={"orchestrator": {"mode": "processes"}})
        def evaluated() -> None:
            evaluate(train(learning_rate=0.3))

        with pytest.raises(PipelineRunError, match="the test set is missing"):
            evaluated()
        [posted] = receiver.bodies()
    run = client.runs.get(client.runs.list(limit=1)[0].id)
    runs = mlflow_runs(tracking_uri, run)
    assert runs["train"].info.status == "FINISHED"
    assert runs["train"].data.metrics == {"loss": pytest.approx(1 / 3)}
    assert runs["train"].data.params == {"learning_rate": "0.3"}
    assert runs["evaluate"].info.status == "FAILED"
    assert run.steps["evaluate"].record.metadata["mlflow_run_id"] == runs["evaluate"].info.run_id
    error = "step 'evaluate' raised ValueError: the test set is missing"
    assert {
        key: posted[key] for key in ("pipeline", "status", "stack", "failed_step", "error")
    } == {
        "pipeline": "evaluated",
        "status": "failed",
        "stack": "whole",
        "failed_step": "evaluate",
        "error": error,
    }
    assert posted["run"] == {"id": run.record.id, "name": run.name}
