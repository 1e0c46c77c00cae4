"""Reliability: secrets never reach an output or a file, artifact paths never leave the store,
and arbitrary CLI values or stack files end in a clean exit or one `Error: ...` line."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import tomli_w
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from pipeline_helpers import run_name_in
from runstack import Client
from runstack.components import BaseArtifactStore
from runstack.errors import ConfigError
from runstack.stacks import SECRET_MASK

if TYPE_CHECKING:
    from click.testing import Result

Cli = Callable[..., str]
CliFails = Callable[..., tuple[str, str]]
RunCli = Callable[..., "Result"]

SECRET = "acme-secret-7f3c9e21b8d4"
NEW_SECRET = "acme-rotated-52e0aa6c13f9"

FLOW = """
@step
def load() -> int:
    print("loading")
    return 3


@pipeline
def flow() -> None:
    load()
"""


# -- secrets ------------------------------------------------------------------


def test_a_secret_appears_in_no_output_or_file(
    cli_ok: Cli,
    cli_fails: CliFails,
    acme_plugin: Path,
    write_module: Callable[..., Path],
    runstack_home: Path,
    tmp_path: Path,
) -> None:
    outputs: dict[str, str] = {}

    def shown(label: str, *arguments: str) -> str:
        outputs[label] = cli_ok(*arguments)
        return outputs[label]

    shown(
        "tracker register",
        "experiment-tracker",
        "register",
        "tracker",
        "--flavor=acme",
        "--url=http://acme.test",
        f"--token={SECRET}",
    )
    shown("stack register", "stack", "register", "tracked", "-o", "default", "-a", "default")
    cli_ok("stack", "update", "tracked", "-e", "tracker")
    shown("tracker list", "experiment-tracker", "list")  # a table without the config
    configs = {
        "tracker describe": shown("tracker describe", "experiment-tracker", "describe", "tracker"),
    }
    as_json = {
        "tracker list json": shown("j1", "experiment-tracker", "list", "-o", "json"),
        "tracker describe json": shown(
            "j2", "experiment-tracker", "describe", "tracker", "-o", "json"
        ),
        "stack describe json": shown("j3", "stack", "describe", "tracked", "-o", "json"),
        "stack list json": shown("j4", "stack", "list", "-o", "json"),
    }
    shown("stack describe", "stack", "describe", "tracked")
    shown("stack list", "stack", "list")
    shown("stack set", "stack", "set", "tracked")
    shown("status", "status")
    shown("status json", "status", "-o", "json")
    shown("plugin list", "plugin", "list")
    shown("plugin list json", "plugin", "list", "-o", "json")
    exported = tmp_path / "tracked.toml"
    shown("stack export", "stack", "export", "tracked", str(exported))
    outputs["exported file"] = exported.read_text(encoding="utf-8")

    flow_file = write_module(FLOW)
    run = run_name_in(shown("pipeline run", "pipeline", "run", f"{flow_file}:flow"))
    shown("run describe", "run", "describe", run)
    shown("run describe json", "run", "describe", run, "-o", "json")
    shown("run logs", "run", "logs", run)

    # A bad value for another key names that key, not the secret.
    outputs["update error"] = cli_fails("experiment-tracker", "update", "tracker", "--retries=-1")[
        1
    ]
    # A secret of the wrong type is refused without echoing it.
    outputs["register error"] = cli_fails(
        "experiment-tracker",
        "register",
        "bad",
        "--flavor=acme",
        "--url=u",
        f'--token={{"key": "{SECRET}"}}',
    )[1]

    assert "token: Input should be a valid string" in outputs["register error"]

    shown("tracker update", "experiment-tracker", "update", "tracker", f"--token={NEW_SECRET}")
    configs["describe after update"] = shown(
        "describe after update", "experiment-tracker", "describe", "tracker"
    )
    as_json["describe json after update"] = shown(
        "j5", "experiment-tracker", "describe", "tracker", "-o", "json"
    )
    shown("stack export after update", "stack", "export", "tracked", str(exported))
    outputs["exported file after update"] = exported.read_text(encoding="utf-8")
    # Files under RUNSTACK_HOME but the store database (which keeps the secret by design).
    for path in runstack_home.rglob("*"):
        if path.is_file() and not path.name.startswith("runstack.db"):
            outputs[f"file {path.relative_to(runstack_home)}"] = path.read_text(
                encoding="utf-8", errors="replace"
            )

    leaks = [label for label, text in outputs.items() if SECRET in text or NEW_SECRET in text]
    assert leaks == [], f"secret leaked in {leaks} of {len(outputs)} outputs and files"
    assert len(outputs) >= 25
    for label, text in configs.items():
        assert SECRET_MASK in text, label
    for label, text in as_json.items():
        assert SECRET_MASK in text, label
    [tracker] = json.loads(as_json["tracker list json"])
    assert tracker["config"]["token"] == SECRET_MASK
    stack = json.loads(as_json["stack describe json"])
    assert stack["components"]["experiment_tracker"]["config"]["token"] == SECRET_MASK
    assert 'secrets = [\n    "token",\n]' in outputs["exported file"]

    client = Client()
    built = client.build_component(client.get_component("experiment_tracker", "tracker"))
    token = built.config.token  # type: ignore[attr-defined]
    assert isinstance(token, SecretStr)
    assert token.get_secret_value() == NEW_SECRET
    assert SECRET not in repr(built.config) and NEW_SECRET not in repr(built.config)


# -- artifact paths ---------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> BaseArtifactStore:
    client = Client()
    client.register_component("artifact_store", "rooted", "local", {"path": str(tmp_path / "root")})
    built = client.build_component(client.get_component("artifact_store", "rooted"))
    assert isinstance(built, BaseArtifactStore)
    built.makedirs(".")
    return built


ESCAPES = [
    "..",
    "../outside.bin",
    "a/../../outside.bin",
    "./../outside.bin",
    "/etc/passwd",
    "//etc/passwd",
    "..\\outside.bin",
    "a\\..\\..\\outside.bin",
    "\\etc\\passwd",
    "\\\\server\\share\\x.bin",
]


@pytest.mark.parametrize("relative", ESCAPES)
def test_paths_that_leave_the_store_are_refused(store: BaseArtifactStore, relative: str) -> None:
    with pytest.raises(ConfigError, match="leaves the artifact store"):
        store.path(relative)
    with pytest.raises(ConfigError, match="leaves the artifact store"), store.open(relative, "wb"):
        pass
    with pytest.raises(ConfigError, match="leaves the artifact store"):
        store.exists(relative)


def test_a_symlink_inside_the_store_cannot_lead_outside(
    store: BaseArtifactStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text("private", encoding="utf-8")
    root = Path(store.root)
    (root / "door").symlink_to(outside, target_is_directory=True)
    (root / "file_door.txt").symlink_to(outside / "private.txt")
    (root / "inside").mkdir()
    (root / "inner_door").symlink_to(root / "inside", target_is_directory=True)

    for relative, mode in [
        ("door/written.bin", "wb"),
        ("door/private.txt", "rb"),
        ("door/new/deeper.bin", "wb"),
        ("file_door.txt", "rb"),
        ("file_door.txt", "wb"),
    ]:
        with (
            pytest.raises(ConfigError, match="leaves the artifact store"),
            store.open(relative, mode) as stream,
        ):
            stream.read() if "r" in mode else stream.write(b"x")
    for call in (store.exists, store.size, store.ls, store.disk_usage):
        with pytest.raises(ConfigError, match="leaves the artifact store"):
            call("door/private.txt")
    with pytest.raises(ConfigError, match="leaves the artifact store"):
        store.rm("door", recursive=True)
    assert sorted(p.name for p in outside.iterdir()) == ["private.txt"]
    assert (outside / "private.txt").read_text(encoding="utf-8") == "private"

    # A link that stays inside the store is followed.
    with store.open("inner_door/kept.bin", "wb") as stream:
        stream.write(b"kept")
    assert (root / "inside" / "kept.bin").read_bytes() == b"kept"


def test_a_store_whose_root_is_a_symlink_still_works(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    client = Client()
    client.register_component(
        "artifact_store", "linked", "local", {"path": str(tmp_path / "linked")}
    )
    store = client.build_component(client.get_component("artifact_store", "linked"))
    assert isinstance(store, BaseArtifactStore)
    with store.open("a/b.bin", "wb") as stream:
        stream.write(b"ok")
    assert (tmp_path / "real" / "a" / "b.bin").read_bytes() == b"ok"
    assert store.ls("a") == ["a/b.bin"]


# -- fuzzing the command line ---------------------------------------------------

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,  # no `.hypothesis/` folder in the checkout; a failure prints its seed
)
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


def assert_clean(result: Result) -> None:
    """Exit 0, or non-zero with exactly one `Error: ...` line on stderr (never a traceback)."""
    lines = result.stderr.splitlines()
    # `--hypothesis-show-statistics` shows how far into the command the examples got.
    event("exit 0" if result.exit_code == 0 else re.sub(r"'[^']*'|\S*/\S*", "_", lines[0])[:60])
    if result.exit_code == 0:
        return
    assert len(lines) == 1 and lines[0].startswith("Error: "), (result.exit_code, result.stderr)


# Text as a shell passes it: no NUL (a C string cannot hold one) and no lone surrogates.
shell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@FUZZ
@given(value=shell_text)
@example(value="~no_such_user_0/artifacts")  # found by the fuzzer: a RuntimeError escaped
def test_any_artifact_store_path_is_handled(run_cli: RunCli, value: str) -> None:
    assert_clean(
        run_cli("artifact-store", "register", unique("x"), "--flavor=local", f"--path={value}")
    )


@FUZZ
@given(value=st.integers().map(str) | shell_text)
def test_any_max_parallel_is_handled(run_cli: RunCli, value: str) -> None:
    assert_clean(
        run_cli(
            "orchestrator", "register", unique("y"), "--flavor=local", f"--max_parallel={value}"
        )
    )


@FUZZ
@given(
    values=st.dictionaries(
        st.sampled_from(["retries", "tags", "verbose", "url", "token"]),
        st.sampled_from(["3", "true", "a,b", '["x"]', "null", "-1"]) | shell_text,
    ),
    separate=st.booleans(),
)
def test_any_acme_values_are_handled(
    run_cli: RunCli, acme_plugin: Path, values: dict[str, str], separate: bool
) -> None:
    arguments = [
        part
        for key, value in values.items()
        for part in ([f"--{key}", value] if separate else [f"--{key}={value}"])
    ]
    name = unique("t")
    assert_clean(run_cli("experiment-tracker", "register", name, "--flavor=acme", *arguments))
    registered = run_cli("experiment-tracker", "register", name, "--flavor=acme", "--url=u")
    assert registered.exit_code in (0, 1)  # 1: the fuzzed register above took the name
    assert_clean(run_cli("experiment-tracker", "update", name, *arguments))


toml_keys = st.text(min_size=1, max_size=12)
toml_scalars = (
    st.text(max_size=20)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.booleans()
)
toml_values = st.recursive(
    toml_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(toml_keys, children, max_size=4)
    ),
    max_leaves=12,
)
names = st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)


def mostly(good: st.SearchStrategy[Any], junk: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` nine times in ten, so examples get past the first check often enough."""
    return st.integers(0, 9).flatmap(lambda n: junk if n == 0 else good)


def component_tables(flavor: str, *keys: str) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly well-formed `[components.X]` tables: the flavor's keys with arbitrary values."""
    config = st.fixed_dictionaries(
        {}, optional={key: mostly(st.text(max_size=12), toml_values) for key in keys}
    )
    return st.fixed_dictionaries(
        {
            "name": mostly(st.just("default") | names, toml_scalars),
            "flavor": mostly(st.just(flavor), st.just("nope") | toml_scalars),
        },
        optional={
            "config": mostly(
                config,
                st.dictionaries(toml_keys, toml_values, max_size=3) | toml_values,
            ),
            "secrets": mostly(st.lists(st.text(max_size=8), max_size=2), toml_values),
        },
    )


stack_documents = st.fixed_dictionaries(
    {
        "stack": mostly(st.fixed_dictionaries({"name": mostly(names, toml_scalars)}), toml_values),
        "components": mostly(
            st.fixed_dictionaries(
                {
                    "orchestrator": component_tables("local", "max_parallel"),
                    "artifact_store": component_tables("local", "path"),
                },
                optional={
                    "experiment-tracker": component_tables(
                        "acme", "url", "token", "retries", "tags", "verbose"
                    ),
                },
            ),
            st.dictionaries(toml_keys, toml_values, max_size=3),
        ),
    },
    optional={"runstack_version": st.just("0.1.0") | toml_values},
)


@FUZZ
@given(document=mostly(stack_documents, st.dictionaries(toml_keys, toml_values, max_size=4)))
def test_any_toml_stack_file_is_handled(
    run_cli: RunCli, acme_plugin: Path, tmp_path: Path, document: dict[str, Any]
) -> None:
    path = tmp_path / f"{unique('stack')}.toml"
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    assert_clean(run_cli("stack", "import", str(path), "--name", unique("imported")))
    assert_clean(run_cli("stack", "import", str(path)))


@FUZZ
@given(data=st.binary(max_size=200))
def test_any_bytes_as_a_stack_file_are_handled(
    run_cli: RunCli, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / f"{unique('bytes')}.toml"
    path.write_bytes(data)
    assert_clean(run_cli("stack", "import", str(path), "--name", unique("imported")))


def test_an_exported_stack_file_imports(cli_ok: Cli, tmp_path: Path) -> None:
    """The fuzzed files above are close to this one, which imports."""
    exported = tmp_path / "default.toml"
    cli_ok("stack", "export", "default", str(exported))
    cli_ok("stack", "import", str(exported), "--name", "copied")


def test_line_breaks_in_a_stack_file_stay_on_one_error_line(
    cli_fails: CliFails, acme_plugin: Path, tmp_path: Path
) -> None:
    """Found by the fuzzer: a secret name with a line break split the error in two."""
    path = tmp_path / "broken.toml"
    document = {
        "stack": {"name": "broken"},
        "components": {
            "orchestrator": {"name": "default", "flavor": "local"},
            "artifact_store": {"name": "default", "flavor": "local"},
            "experiment_tracker": {"name": "t", "flavor": "acme", "secrets": ["tok\nen\r"]},
        },
    }
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    _, line = cli_fails("stack", "import", str(path))
    assert "is not a secret key" in line
    assert "tok\\nen" in line
