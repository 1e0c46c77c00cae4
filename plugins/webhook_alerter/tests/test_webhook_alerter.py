"""The webhook alerter against a real HTTP server on 127.0.0.1 that records what it is sent: the
messages a run's end and a step post, and a webhook that is down, broken or slow, which never
changes a run's outcome. The URL holds the hook's token and must never be shown."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from webhook_receiver import TOKEN, Receiver, receiving

from runstack import Client
from runstack.testing import assert_flavor_contract, assert_step_component_contract
from runstack_webhook_alerter.plugin import register_flavors

if TYPE_CHECKING:
    from click.testing import Result

    from runstack.flavors import Flavor

Cli = Callable[..., "Result"]

PIPELINES = """
from runstack import get_step_context, pipeline, step


@step(enable_cache=False)
def train(fail: bool = False) -> int:
    if fail:
        raise ValueError("the loss is NaN")
    return 1


@step(enable_cache=False)
def announce() -> None:
    get_step_context().stack.alerter.post("training data is ready")


@pipeline
def training(fail: bool = False) -> None:
    train(fail=fail)


@pipeline
def announcing() -> None:
    announce()
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as started:
        yield started


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    path = tmp_path / "flows.py"
    path.write_text(PIPELINES, encoding="utf-8")
    return path


@pytest.fixture
def alerted(run_cli: Cli) -> Callable[..., None]:
    """Registers the alerter `hook` with the options given and makes the stack `alerted` of it
    and the defaults active."""

    def make(*options: str) -> None:
        for command in (
            ("alerter", "register", "hook", "--flavor=webhook", *options),
            ("stack", "register", "alerted", "-o", "default", "-a", "default", "-al", "hook"),
            ("stack", "set", "alerted"),
        ):
            result = run_cli(*command)
            assert result.exit_code == 0, result.output

    return make


def run(run_cli: Cli, flows: Path, name: str = "training", *arguments: str) -> Result:
    return run_cli("pipeline", "run", f"{flows}:{name}", *arguments)


def last_run() -> Any:
    return Client().runs.list(limit=1)[0]


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the flavor and the component contracts ----------------------------------------------


def registered_flavors() -> list[Flavor]:
    flavors: list[Flavor] = []
    register_flavors(register=flavors.append)
    return flavors


def test_flavor_meets_the_contract() -> None:
    [flavor] = registered_flavors()
    assert (flavor.component_type.value, flavor.name) == ("alerter", "webhook")
    assert_flavor_contract(flavor)


def test_alerter_travels_and_runs_around_steps(receiver: Receiver) -> None:
    client = Client()
    component = client.register_component("alerter", "hook", "webhook", {"url": receiver.url()})
    assert_step_component_contract(client.build_component(component), "alerter")
    assert receiver.received == []  # nothing is posted around steps


# -- what is posted ----------------------------------------------------------------------


def test_a_failed_run_posts_its_pipeline_run_status_step_error_and_stack(
    receiver: Receiver, alerted: Callable[..., None], run_cli: Cli, flows: Path
) -> None:
    alerted(f"--url={receiver.url()}", '--headers={"X-Team": "forecasting"}')
    result = run(run_cli, flows, "training", "--param", "fail=true")
    assert result.exit_code == 1
    assert "Warning" not in result.stderr
    run_record = last_run()
    [request] = receiver.received
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Team"] == "forecasting"
    error = "step 'train' raised ValueError: the loss is NaN"
    assert request.body == {
        "text": f"Run {run_record.name!r} of pipeline 'training' failed on stack 'alerted': "
        + error,
        "pipeline": "training",
        "run": {"id": run_record.id, "name": run_record.name},
        "status": "failed",
        "stack": "alerted",
        "failed_step": "train",
        "error": error,
        "duration": run_record.duration,
        "dashboard_url": None,
    }


def test_a_completed_run_posts_only_with_on_success_linking_the_dashboard_given(
    receiver: Receiver, alerted: Callable[..., None], run_cli: Cli, flows: Path
) -> None:
    alerted(f"--url={receiver.url()}")
    assert run(run_cli, flows).exit_code == 0
    assert receiver.received == []

    update = ("alerter", "update", "hook", "--on_success=true")
    assert run_cli(*update, "--dashboard_url=https://runstack.example.com/").exit_code == 0
    assert run(run_cli, flows).exit_code == 0
    run_record = last_run()
    [body] = receiver.bodies()
    link = f"https://runstack.example.com/runs/{run_record.id}"
    assert body["status"] == "completed"
    assert (body["failed_step"], body["error"], body["dashboard_url"]) == (None, None, link)
    assert body["text"].startswith(f"Run {run_record.name!r} of pipeline 'training' completed")
    assert body["text"].endswith(link)


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_a_step_posts_through_the_alerter_wherever_it_runs(
    receiver: Receiver,
    alerted: Callable[..., None],
    run_cli: Cli,
    flows: Path,
    tmp_path: Path,
    mode: str,
) -> None:
    alerted(f"--url={receiver.url()}")
    config = tmp_path / "run.toml"
    config.write_text(f'[settings.orchestrator]\nmode = "{mode}"\n', encoding="utf-8")
    result = run(run_cli, flows, "announcing", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert receiver.bodies() == [{"text": "training data is ready"}]


def test_the_url_may_be_a_reference_to_an_environment_variable(
    receiver: Receiver,
    alerted: Callable[..., None],
    run_cli: Cli,
    flows: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRAINING_HOOK", receiver.url())
    alerted("--url={{env.TRAINING_HOOK}}")
    assert "{{env.TRAINING_HOOK}}" in run_cli("alerter", "describe", "hook").stdout
    run(run_cli, flows, "training", "--param", "fail=true")
    assert [body["status"] for body in receiver.bodies()] == ["failed"]


# -- a webhook that is down, broken or slow ----------------------------------------------


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("closed port", "could not reach the webhook: ConnectionRefusedError"),
        ("broken", "the webhook answered 500 Internal Server Error (no_service)"),
    ],
)
def test_a_webhook_that_is_down_or_broken_is_one_warning_and_the_run_ends_as_it_would(
    receiver: Receiver,
    alerted: Callable[..., None],
    run_cli: Cli,
    flows: Path,
    answer: str,
    why: str,
) -> None:
    url = (
        f"http://127.0.0.1:{closed_port()}/services/{TOKEN}"
        if answer == "closed port"
        else receiver.url(answer)
    )
    alerted(f"--url={url}", "--on_success=true")
    for fail, code, status in ((True, 1, "failed"), (False, 0, "completed")):
        result = run(run_cli, flows, "training", "--param", f"fail={str(fail).lower()}")
        assert result.exit_code == code
        run_record = last_run()
        assert run_record.status.value == status
        assert f"Run {run_record.name!r} {status}" in result.stdout
        warning, *error = result.stderr.splitlines()
        assert warning.startswith(
            f"Warning: alerter 'hook' could not report the end of run {run_record.name!r} "
            f"({status}): {why}"
        )
        assert len(error) == (1 if fail else 0)
        assert TOKEN not in result.output


def test_a_slow_webhook_is_given_up_on_after_the_timeout(
    receiver: Receiver, alerted: Callable[..., None], run_cli: Cli, flows: Path
) -> None:
    alerted(f"--url={receiver.url('slow')}", "--timeout=0.3")
    result = run(run_cli, flows, "training", "--param", "fail=true")
    assert result.exit_code == 1
    assert "could not report the end of run" in result.stderr
    assert "the webhook did not answer within 0.3 s" in result.stderr
    assert len(receiver.received) == 1  # it was sent; the answer never came in time


# -- the URL is a secret -----------------------------------------------------------------


def test_the_url_is_shown_nowhere(
    receiver: Receiver, alerted: Callable[..., None], run_cli: Cli, flows: Path, tmp_path: Path
) -> None:
    alerted(f"--url={receiver.url('broken')}", '--headers={"Authorization": "Bearer T0K3N"}')
    failing_step = run(run_cli, flows, "announcing")
    assert failing_step.exit_code == 1
    assert "the webhook answered 500 Internal Server Error" in failing_step.stderr
    failing_run = run(run_cli, flows, "training", "--param", "fail=true")
    assert "could not report the end of run" in failing_run.stderr
    run_name = last_run().name
    shown = [
        failing_step.output,
        failing_run.output,
        *(
            run_cli(*command).output
            for command in (
                ("alerter", "describe", "hook"),
                ("alerter", "list"),
                ("stack", "describe", "alerted"),
                ("stack", "export", "alerted", str(tmp_path / "alerted.toml")),
                ("run", "describe", run_name),
                ("run", "logs", run_name),
                ("run", "logs", Client().runs.list(pipeline="announcing")[0].name, "announce"),
                ("status",),
            )
        ),
        (tmp_path / "alerted.toml").read_text(encoding="utf-8"),
        json.dumps(receiver.bodies()),
        json.dumps([request.path for request in receiver.received if "T0K3N" in request.path]),
    ]
    assert "127.0.0.1" in shown[4]  # `stack describe` shows the webhook's host
    assert all(TOKEN not in text for text in shown[:-1])
    assert all("Bearer" not in text for text in shown[:-1])
    assert TOKEN in shown[-1]  # the webhook got its URL


@pytest.mark.parametrize(
    ("option", "why"),
    [
        (f"--url=ftp://127.0.0.1/{TOKEN}", "url: Value error, the URL must start with http://"),
        (f"--url={TOKEN}", "url: Value error, the URL must start with http://"),
        (f'--headers={{"Authorization": "{TOKEN}\\nX: y"}}', "headers: Value error, headers must"),
        (f"--headers={TOKEN}", "headers: Value error, headers must be a JSON object"),
    ],
)
def test_a_bad_url_or_header_is_refused_without_echoing_it(
    receiver: Receiver, run_cli: Cli, option: str, why: str
) -> None:
    url = f"--url={receiver.url()}"
    options = [option] if option.startswith("--url") else [url, option]
    result = run_cli("alerter", "register", "hook", "--flavor=webhook", *options)
    assert result.exit_code == 1
    assert why in result.stderr
    assert TOKEN not in result.output
