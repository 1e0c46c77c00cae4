"""The three flavors without a server: their configs, paths and secrets, the storage library
missing, and GCS's errors (no GCS server runs here; a stub answers as GCS does on errors)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runstack import BaseArtifactStore, Client
from runstack.errors import ConfigError, NotFoundError, RunstackError
from runstack.flavors import Flavor
from runstack.runs import RunStatus
from runstack.testing import assert_flavor_contract
from runstack_fsspec_artifact_store.plugin import register_flavors

if TYPE_CHECKING:
    from click.testing import Result

CONFIGS = {
    "s3": {"path": "s3://bucket/runs/"},
    "azure": {"path": "az://container/runs", "account_name": "acme"},
    "gcs": {"path": "gs://bucket/runs", "project": "acme", "token": "anon"},
}
LIBRARIES = {"s3": "s3fs", "azure": "adlfs", "gcs": "gcsfs"}


def registered_flavors() -> dict[str, Flavor]:
    flavors: list[Flavor] = []
    register_flavors(register=flavors.append)
    return {flavor.name: flavor for flavor in flavors}


def build(flavor: str, config: dict[str, Any], name: str = "store") -> BaseArtifactStore:
    client = Client()
    store = client.build_component(
        client.register_component("artifact_store", name, flavor, config)
    )
    assert isinstance(store, BaseArtifactStore)
    return store


def one_line_error(run_cli: Callable[..., Result], *arguments: str) -> str:
    result = run_cli(*arguments)
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and "Traceback" not in result.output
    return str(line)


def test_each_flavor_meets_the_flavor_contract_and_runs_away_from_the_client() -> None:
    flavors = registered_flavors()
    assert sorted(flavors) == ["azure", "gcs", "s3"]
    for flavor in flavors.values():
        assert_flavor_contract(flavor)
        assert not flavor.local


def test_credentials_are_secrets_in_the_names_each_service_uses() -> None:
    secrets = {
        name: {field.name for field in flavor.fields() if field.secret}
        for name, flavor in registered_flavors().items()
    }
    assert secrets == {
        "s3": {"key", "secret"},
        "azure": {"account_key", "connection_string"},
        "gcs": {"token"},
    }


@pytest.mark.parametrize(
    ("flavor", "path", "bucket", "root"),
    [
        ("s3", "s3://bucket/runs/", "bucket", "s3://bucket/runs"),
        ("s3", "s3://bucket", "bucket", "s3://bucket"),
        ("azure", "az://container/team/runs", "container", "az://container/team/runs"),
        ("gcs", "gs://bucket/runs/", "bucket", "gs://bucket/runs"),
    ],
)
def test_a_path_names_the_bucket_and_the_prefix_under_it(
    flavor: str, path: str, bucket: str, root: str
) -> None:
    store = build(flavor, {**CONFIGS[flavor], "path": path})
    assert (store.root, store.bucket) == (root, bucket)
    assert store.path("a/b.json") == f"{root}/a/b.json"


@pytest.mark.parametrize(
    ("flavor", "path", "expected"),
    [
        ("s3", "gs://bucket/runs", "must look like s3://bucket/prefix"),
        ("s3", "bucket/runs", "must look like s3://bucket/prefix"),
        ("azure", "abfs://container/runs", "must look like az://container/prefix"),
        ("gcs", "gs:///runs", "must look like gs://bucket/prefix, without empty"),
        ("s3", "s3://bucket/../other", "without empty, '.' or '..' parts"),
    ],
)
def test_a_path_for_another_service_or_without_a_bucket_is_refused_at_registration(
    run_cli: Callable[..., Result], flavor: str, path: str, expected: str
) -> None:
    extra = [f"--{key}={value}" for key, value in CONFIGS[flavor].items() if key != "path"]
    line = one_line_error(
        run_cli, "artifact-store", "register", "x", f"--flavor={flavor}", f"--path={path}", *extra
    )
    assert "path: Value error, " in line and expected in line


def test_an_s3_endpoint_that_is_no_url_is_refused_at_registration(
    run_cli: Callable[..., Result],
) -> None:
    line = one_line_error(
        run_cli,
        *("artifact-store", "register", "x", "--flavor=s3", "--path=s3://bucket/runs"),
        "--endpoint_url=127.0.0.1:9000",
    )
    assert "endpoint_url: Value error, must look like http://host:port" in line


@pytest.mark.parametrize(
    "config",
    [
        {"path": "az://c/runs"},
        {"path": "az://c/runs", "account_key": "k"},
        {"path": "az://c/runs", "connection_string": "c", "account_name": "acme"},
    ],
)
def test_an_azure_store_signs_in_by_account_or_by_connection_string(
    config: dict[str, str],
) -> None:
    with pytest.raises(ConfigError, match=r"give (account_name|connection_string)"):
        Client().register_component("artifact_store", "x", "azure", config)


@pytest.mark.parametrize("flavor", ["s3", "azure", "gcs"])
def test_a_missing_storage_library_says_which_extra_to_install(
    flavor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = build(flavor, CONFIGS[flavor])
    library = LIBRARIES[flavor]
    for name in {library, *(name for name in sys.modules if name.startswith(f"{library}."))}:
        monkeypatch.setitem(sys.modules, name, None)  # importing fails, as if not installed
    with pytest.raises(
        ConfigError,
        match=rf"^artifact store 'store' needs {LIBRARIES[flavor]}: "
        rf"install runstack-fsspec-artifact-store\[{flavor}\]$",
    ):
        store.exists("a")


def test_a_run_on_a_store_whose_library_is_missing_fails_saying_so(
    run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    client.register_component("artifact_store", "remote", "s3", CONFIGS["s3"])
    client.register_stack("remote", {"orchestrator": "default", "artifact_store": "remote"})
    client.set_active_stack("remote")
    monkeypatch.setitem(sys.modules, "s3fs", None)
    quickstart = Path(__file__).resolve().parents[3] / "examples/quickstart/pipeline.py"

    line = one_line_error(run_cli, "pipeline", "run", f"{quickstart}:quickstart")

    assert "needs s3fs: install runstack-fsspec-artifact-store[s3]" in line
    [run] = client.runs.list()
    assert run.status is RunStatus.FAILED
    assert "install runstack-fsspec-artifact-store[s3]" in run.error


def test_listing_plugins_and_flavors_imports_no_storage_library(runstack_home: Path) -> None:
    code = (
        "import sys\n"
        "from runstack.cli.main import cli\n"
        "for command in (['plugin', 'list'], ['artifact-store', 'flavor', 'describe', 's3']):\n"
        "    cli(command, standalone_mode=False)\n"
        "loaded = {'s3fs', 'adlfs', 'gcsfs', 'botocore', 'azure', 'google'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


# -- GCS: no local server, so a stub on 127.0.0.1 answers the way GCS answers errors --------


@pytest.fixture
def gcs_stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """GCS's JSON API on this machine for gcsfs (STORAGE_EMULATOR_HOST): bucket `missing-*`
    does not exist, `forbidden-*` refuses the caller."""

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = 404 if "/b/missing-" in self.path else 403
            body = json.dumps({"error": {"code": status, "message": "no"}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{server.server_port}")
    yield
    server.shutdown()
    server.server_close()


def test_a_missing_gcs_bucket_is_an_error_naming_it(gcs_stub: None) -> None:
    store = build("gcs", {**CONFIGS["gcs"], "path": "gs://missing-bucket/runs", "token": "anon"})
    with pytest.raises(NotFoundError, match="bucket 'missing-bucket' of artifact store 'store'"):
        store.makedirs("a")


def test_a_gcs_refusal_is_one_line_naming_the_store(gcs_stub: None) -> None:
    store = build("gcs", {**CONFIGS["gcs"], "path": "gs://forbidden-bucket/runs", "token": "anon"})
    with pytest.raises(RunstackError) as refused:
        store.makedirs("a")
    assert str(refused.value).startswith(
        "artifact store 'store': Google Cloud Storage refused access to gs://forbidden-bucket/runs"
    )


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("/nowhere/key.json", "token file /nowhere/key.json does not exist"),
        ("{not json", "token looks like a key's JSON but is not valid JSON"),
        ('{"type": "authorized_user"}', "token is not a complete service account key"),
    ],
)
def test_a_gcs_token_that_cannot_work_is_refused_before_any_request(
    token: str, expected: str
) -> None:
    store = build("gcs", {**CONFIGS["gcs"], "path": "gs://bucket/runs", "token": token})
    with pytest.raises(ConfigError, match=f"^artifact store 'store': {expected}"):
        store.exists("a")
