"""The `s3` and `azure` stores against real storage APIs on this machine (moto's S3 server and
Azurite): the artifact store contract, the requests each write costs, no bucket made by a typo,
the quickstart run, cached and read back through them, and bad input told in one line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fsspec_services import StorageService

from runstack import BaseArtifactStore, Client, pipeline, step
from runstack.errors import NotFoundError
from runstack.runs import RunStatus
from runstack.testing import assert_artifact_store_contract

if TYPE_CHECKING:
    from click.testing import Result

QUICKSTART = str(Path(__file__).resolve().parents[3] / "examples/quickstart/pipeline.py")


def build(client: Client, name: str, flavor: str, config: dict[str, Any]) -> BaseArtifactStore:
    component = client.register_component("artifact_store", name, flavor, config)
    store = client.build_component(component)
    assert isinstance(store, BaseArtifactStore)
    return store


def use_stack_with(client: Client, service: StorageService, config: dict[str, Any]) -> None:
    """Register a store of the service's flavor and make it the active stack's."""
    client.register_component("artifact_store", "remote", service.flavor, config)
    client.register_stack("remote", {"orchestrator": "default", "artifact_store": "remote"})
    client.set_active_stack("remote")


@pytest.fixture
def http_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every HTTP request sent from now on, as `METHOD url`: s3fs and adlfs both use aiohttp."""
    import aiohttp

    sent: list[str] = []
    send = aiohttp.ClientSession._request

    async def counted(session: Any, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(f"{method} {url}")
        return await send(session, method, url, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", counted)
    return sent


def methods(requests: list[str]) -> list[str]:
    return [request.partition(" ")[0] for request in requests]


@step
def numbers(count: int) -> list[int]:
    return list(range(count))


@step
def total(values: list[int]) -> int:
    return sum(values)


@pipeline
def summed(count: int = 4) -> None:
    total(numbers(count=count))


@pipeline
def listed() -> None:
    numbers(count=3)


def test_a_store_meets_the_artifact_store_contract(service: StorageService) -> None:
    client = Client()
    store = build(client, "store", service.flavor, service.config(service.new_bucket()))
    typo = service.new_bucket(create=False)
    missing = build(client, "typo", service.flavor, service.config(typo))

    assert_artifact_store_contract(store, missing_bucket=missing)
    assert typo not in service.buckets()


def test_each_file_is_one_upload_after_one_look_at_the_bucket(
    service: StorageService, http_requests: list[str]
) -> None:
    bucket = service.new_bucket()
    store = build(Client(), "store", service.flavor, service.config(bucket))
    for number in range(5):
        with store.open(f"artifacts/{number}/value.json", "w") as stream:
            stream.write(str(number))

    assert methods(http_requests)[1:] == ["PUT"] * 5
    assert len(http_requests) == 6  # the bucket is looked at once per store
    assert sorted(service.keys(bucket)) == [f"runs/artifacts/{n}/value.json" for n in range(5)]
    with store.open("artifacts/4/value.json", "r") as stream:
        assert stream.read() == "4"


def test_a_step_output_costs_one_upload_per_file_and_a_listing(
    service: StorageService, http_requests: list[str]
) -> None:
    client = Client()
    bucket = service.new_bucket()
    use_stack_with(client, service, service.config(bucket))
    http_requests.clear()

    listed()

    [key] = service.keys(bucket)
    assert key.endswith("/numbers/output/value.json")
    sent = methods(http_requests)
    # One look at the bucket, the file uploaded once (no temporary copy, rename or delete),
    # then the files' sizes recorded: a listing (adlfs first asks whether it is a file).
    assert sent[:2] == ["HEAD" if service.flavor == "s3" else "GET", "PUT"]
    assert sent.count("PUT") == 1 and not {"DELETE", "POST", "COPY"} & set(sent)
    assert len(sent) <= 4, "\n".join(http_requests)


def test_a_missing_bucket_is_an_error_naming_it_and_nothing_creates_it(
    service: StorageService,
) -> None:
    client = Client()
    typo = service.new_bucket(create=False)
    store = build(client, "typo", service.flavor, service.config(typo))
    with (
        pytest.raises(NotFoundError, match=f"bucket '{typo}' of artifact store 'typo'"),
        store.open("a/value.json", "w") as stream,
    ):
        stream.write("{}")
    assert typo not in service.buckets()


@pytest.fixture
def run_fails(run_cli: Callable[..., Result]) -> Callable[..., str]:
    """Run `runstack ARGS...`, which must fail with one `Error:` line and record the run
    `failed`; that line."""

    def run(*arguments: str) -> str:
        result = run_cli(*arguments)
        assert result.exit_code == 1, result.output
        [line] = result.stderr.splitlines()
        assert line.startswith("Error: run "), line
        assert "Traceback" not in result.output, result.output
        [run] = Client().runs.list()
        assert run.status is RunStatus.FAILED
        return str(line)

    return run


@pytest.mark.parametrize(
    ("case", "cause"),
    [
        ("missing bucket", "bucket '{bucket}' of artifact store 'remote' .* does not exist"),
        ("wrong credentials", "artifact store 'remote': .* refused access to {path}: .*; check"),
        ("unreachable", "artifact store 'remote': cannot reach .*127.0.0.1:{port}.*; check"),
    ],
)
def test_bad_storage_fails_the_run_in_one_line_with_the_cause_recorded(
    service: StorageService,
    run_fails: Callable[..., str],
    closed_port: int,
    case: str,
    cause: str,
) -> None:
    bucket = service.new_bucket(create=case != "missing bucket")
    config = {
        "missing bucket": service.credentials,
        "wrong credentials": service.wrong_credentials,
        "unreachable": service.unreachable,
    }[case]
    path = f"{service.scheme}://{bucket}/runs"
    use_stack_with(Client(), service, {"path": path, **config})
    expected = cause.format(bucket=bucket, path=path, port=closed_port)

    line = run_fails("pipeline", "run", QUICKSTART + ":quickstart")

    assert re.search(expected, line), line
    [run] = Client().runs.list()
    step = Client().runs.get(run.name).steps["make_dataset"]
    assert re.search(expected, step.record.error), step.record.error
    assert bucket not in service.buckets() or case != "missing bucket"


def test_the_quickstart_runs_caches_and_reads_back_through_the_store(
    service: StorageService, run_cli: Callable[..., Result]
) -> None:
    bucket = service.new_bucket()
    for command in (
        ["artifact-store", "register", "remote", f"--flavor={service.flavor}"]
        + [f"--{key}={value}" for key, value in service.config(bucket).items()],
        ["stack", "register", "remote", "-o", "default", "-a", "remote", "--set"],
    ):
        result = run_cli(*command)
        assert result.exit_code == 0, result.output

    first = run_cli("pipeline", "run", QUICKSTART + ":quickstart")
    again = run_cli("pipeline", "run", QUICKSTART + ":quickstart")

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert "Test accuracy" in first.stdout and "5 cached" in again.stdout, again.stdout
    latest, earliest = Client().runs.list()
    keys = service.keys(bucket)
    assert keys and all(key.startswith(f"runs/quickstart/{earliest.id}/") for key in keys)
    evaluated = Client().runs.get(latest.name).steps["evaluate"].outputs["accuracy"]
    assert 0.8 < evaluated.load() <= 1.0
