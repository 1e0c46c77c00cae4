"""Secrets kept out of the store, the shell history and `ps`: references and a hidden prompt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from runstack import Client
from runstack.errors import ConfigError

Cli = Callable[..., str]
CliFails = Callable[..., tuple[str, str]]

SECRET = "acme-secret-7f3c9e21b8d4"
RUNSTACK = str(Path(sys.executable).parent / "runstack")


def stored_bytes(home: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(home.glob("runstack.db*")))


def built_token(name: str = "tracker") -> str:
    client = Client()
    built = client.build_component(client.get_component("experiment_tracker", name))
    token = built.config.token  # type: ignore[attr-defined]
    assert isinstance(token, SecretStr)
    return token.get_secret_value()


def register(cli_ok: Cli, *config: str, name: str = "tracker") -> str:
    return cli_ok(
        "experiment-tracker", "register", name, "--flavor=acme", "--url=http://acme.test", *config
    )


@pytest.mark.parametrize("reference", ["{{env.ACME_TOKEN}}", "{{env:ACME_TOKEN}}"])
def test_an_environment_reference_is_stored_as_written_and_read_when_built(
    cli_ok: Cli,
    acme_plugin: Path,
    runstack_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    reference: str,
) -> None:
    monkeypatch.setenv("ACME_TOKEN", SECRET)
    register(cli_ok, f"--token={reference}")

    assert SECRET.encode() not in stored_bytes(runstack_home)
    described = json.loads(cli_ok("experiment-tracker", "describe", "tracker", "-o", "json"))
    assert described["config"]["token"] == reference  # a reference is no secret
    assert reference in cli_ok("experiment-tracker", "describe", "tracker")
    assert built_token() == SECRET

    monkeypatch.setenv("ACME_TOKEN", "rotated")  # read afresh each time it is built
    assert built_token() == "rotated"


def test_a_file_reference_reads_the_file_when_built(
    cli_ok: Cli, acme_plugin: Path, runstack_home: Path, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(SECRET + "\n", encoding="utf-8")
    register(cli_ok, f"--token={{{{file:{token_file}}}}}")

    assert SECRET.encode() not in stored_bytes(runstack_home)
    assert built_token() == SECRET  # the trailing line break is not part of it


def test_a_relative_file_reference_is_made_absolute_at_registration_and_shown(
    cli_ok: Cli, acme_plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read when the component is built, a relative path would depend on where a pipeline
    runs from; like a relative --path, it is anchored where it was given."""
    (tmp_path / "token").write_text(SECRET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    output = register(cli_ok, "--token={{file:token}}")
    anchored = f"{{{{file:{tmp_path / 'token'}}}}}"
    assert output == (
        "Registered experiment tracker 'tracker' (flavor 'acme'); token '{{file:token}}' "
        f"is stored as {anchored!r}.\n"
    )
    monkeypatch.chdir(tmp_path.parent)
    assert built_token() == SECRET
    output = cli_ok("experiment-tracker", "update", "tracker", "--token={{file:token}}")
    moved = f"{{{{file:{tmp_path.parent / 'token'}}}}}"
    assert output == (
        "Updated experiment tracker 'tracker'; token '{{file:token}}' "
        f"is stored as {moved!r}.\n"
    )


def test_a_reference_that_cannot_be_read_is_one_clear_error_when_built(
    cli_ok: Cli, acme_plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_UNSET", raising=False)
    register(cli_ok, "--token={{env.ACME_UNSET}}", name="by-env")
    register(cli_ok, f"--token={{{{file:{tmp_path / 'missing'}}}}}", name="by-file")

    with pytest.raises(ConfigError) as unset:
        built_token("by-env")
    assert str(unset.value) == (
        "the experiment tracker 'by-env': its secret 'token' refers to the environment "
        "variable ACME_UNSET, which is not set; set it, or change the secret with "
        "'runstack experiment-tracker update by-env --token'"
    )
    with pytest.raises(ConfigError) as unreadable:
        built_token("by-file")
    message = str(unreadable.value)
    assert message.startswith("the experiment tracker 'by-file': its secret 'token' refers to ")
    assert f"the file {tmp_path / 'missing'}, which cannot be read (No such file" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "written", ["{{ env.ACME_TOKEN }}", "{{evn.ACME_TOKEN}}", "{{env.}}", "{{file:}}"]
)
def test_a_secret_written_like_a_reference_but_not_one_is_refused(
    cli_ok: Cli, cli_fails: CliFails, acme_plugin: Path, runstack_home: Path, written: str
) -> None:
    """Stored as a value, a mistyped reference would be kept as the secret in plain text and
    sent as the token: refused instead, without echoing what may be a secret."""
    _, error = cli_fails(
        "experiment-tracker",
        "register",
        "tracker",
        "--flavor=acme",
        "--url=http://a.test",
        f"--token={written}",
    )
    assert error == (
        "Error: secret 'token' is written like a reference ({{...}}) but is not one; "
        "write {{env.NAME}} or {{file:PATH}}"
    )
    assert written.encode() not in stored_bytes(runstack_home)
    register(cli_ok, "--token={{env.ACME_TOKEN}}")
    _, error = cli_fails("experiment-tracker", "update", "tracker", f"--token={written}")
    assert "is written like a reference" in error
    described = json.loads(cli_ok("experiment-tracker", "describe", "tracker", "-o", "json"))
    assert described["config"]["token"] == "{{env.ACME_TOKEN}}"


def test_a_secret_key_without_a_value_and_no_terminal_says_how_to_pass_it(
    cli_ok: Cli, cli_fails: CliFails, acme_plugin: Path
) -> None:
    for arguments in (
        ["experiment-tracker", "register", "t", "--flavor=acme", "--url=u", "--token"],
        ["experiment-tracker", "register", "t", "--flavor=acme", "--token", "--url=u"],
    ):
        _, error = cli_fails(*arguments)
        assert "--token is a secret and has no value, and there is no terminal to ask" in error
        assert "--token='{{env.NAME}}'" in error and "--token='{{file:PATH}}'" in error
    assert json.loads(cli_ok("experiment-tracker", "list", "-o", "json")) == []

    register(cli_ok, "--token=kept")
    _, error = cli_fails("experiment-tracker", "update", "tracker", "--token")
    assert "--token is a secret and has no value" in error
    assert built_token() == "kept"
    # A key that is not secret still reads a bare flag as true.
    cli_ok("experiment-tracker", "update", "tracker", "--verbose")
    assert json.loads(cli_ok("experiment-tracker", "describe", "tracker", "-o", "json"))["config"][
        "verbose"
    ]


def test_a_secret_key_without_a_value_is_asked_for_without_echo(
    acme_plugin: Path, runstack_home: Path
) -> None:
    leader, follower = os.openpty()
    env = {
        **os.environ,
        "RUNSTACK_HOME": str(runstack_home),
        "PYTHONPATH": os.pathsep.join([str(acme_plugin), os.environ.get("PYTHONPATH", "")]),
    }
    command = [RUNSTACK, "experiment-tracker", "register", "t", "--flavor=acme", "--url=u"]
    process = subprocess.Popen(
        [*command, "--token"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,  # no controlling terminal but the pseudo-terminal we hold
    )
    os.close(follower)
    seen = read_until(leader, b"token: ")
    os.write(leader, SECRET.encode() + b"\n")
    assert process.wait(timeout=20) == 0
    seen += read_until(leader, None)
    os.close(leader)
    assert b"Registered experiment tracker 't'" in seen
    assert SECRET.encode() not in seen
    assert built_token("t") == SECRET


def read_until(terminal: int, marker: bytes | None) -> bytes:
    """What the other side of a pseudo-terminal wrote up to `marker` (None: until it closes)."""
    seen = b""
    deadline = time.monotonic() + 20
    while marker is None or marker not in seen.lower():
        assert time.monotonic() < deadline, seen
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # EIO: the other side has closed
            chunk = b""
        if not chunk:
            assert marker is None, f"closed before asking: {seen!r}"
            return seen
        seen += chunk
    return seen


# -- stack import: the secrets an export leaves out ---------------------------------


@pytest.fixture
def exported_with_a_secret(cli_ok: Cli, acme_plugin: Path, tmp_path: Path) -> Path:
    """A stack file whose tracker had a token; the original stack and tracker are gone."""
    register(cli_ok, f"--token={SECRET}")
    cli_ok("stack", "register", "tracked", "-o", "default", "-a", "default", "-e", "tracker")
    exported = tmp_path / "tracked.toml"
    cli_ok("stack", "export", "tracked", str(exported))
    cli_ok("stack", "delete", "tracked", "--yes")
    cli_ok("experiment-tracker", "delete", "tracker")
    return exported


def listed(cli_ok: Cli) -> tuple[list[str], list[str]]:
    stacks = json.loads(cli_ok("stack", "list", "-o", "json"))
    trackers = json.loads(cli_ok("experiment-tracker", "list", "-o", "json"))
    return [s["name"] for s in stacks], [t["name"] for t in trackers]


def test_importing_a_stack_without_the_secrets_it_needs_is_refused_naming_them(
    cli_ok: Cli, cli_fails: CliFails, exported_with_a_secret: Path
) -> None:
    before = listed(cli_ok)
    _, error = cli_fails("stack", "import", str(exported_with_a_secret), "--name", "copy")
    assert error == (
        f"Error: {exported_with_a_secret}: the stack file leaves out secrets its components "
        "need: experiment_tracker.token; give each with --secret "
        "experiment_tracker.token='{{env.NAME}}' (or '{{file:PATH}}', or the value), "
        "then import again"
    )
    assert listed(cli_ok) == before

    for wrong, problem in (
        (
            ["--secret", "orchestrator.token=x"],
            "'token' is not a secret key of the orchestrator 'default'",
        ),
        (["--secret", "experiment_tracker.url=x"], "'url' is not a secret key of"),
        (["--secret", "token=x"], "--secret takes TYPE.KEY=VALUE"),
        (
            ["--secret", "experiment_tracker.token={{evn.ACME_TOKEN}}"],
            "--secret experiment_tracker.token: secret 'token' is written like a reference",
        ),
        (  # no value, and no terminal to ask on
            ["--secret", "experiment_tracker.token"],
            "--secret experiment_tracker.token is a secret and has no value",
        ),
    ):
        given = ["--secret", "experiment_tracker.token=x"]
        _, error = cli_fails(
            "stack", "import", str(exported_with_a_secret), "--name", "copy", *given, *wrong
        )
        assert problem in error, error
        assert listed(cli_ok) == before


def test_importing_a_stack_with_its_secrets_given_creates_it(
    cli_ok: Cli, exported_with_a_secret: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_TOKEN", SECRET)
    cli_ok(
        "stack",
        "import",
        str(exported_with_a_secret),
        "--secret",
        "experiment-tracker.token={{env.ACME_TOKEN}}",
    )
    assert listed(cli_ok) == (["default", "tracked"], ["tracker"])
    assert built_token() == SECRET
    # Importing it again reuses the identical tracker, secret included.
    cli_ok(
        "stack",
        "import",
        str(exported_with_a_secret),
        "--name",
        "again",
        "--secret",
        "experiment_tracker.token={{env.ACME_TOKEN}}",
    )
    assert listed(cli_ok) == (["again", "default", "tracked"], ["tracker"])
    # ... and without it: an existing component keeps the secret it has.
    cli_ok("stack", "import", str(exported_with_a_secret), "--name", "third")
    assert listed(cli_ok) == (["again", "default", "third", "tracked"], ["tracker"])
    assert built_token() == SECRET


def test_a_stack_exported_with_a_secret_reference_imports_anywhere_without_secrets(
    cli_ok: Cli,
    acme_plugin: Path,
    runstack_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reference names where the secret is, it is not the secret: the file keeps it, so
    the stack imports with no --secret and reads the secret where it is imported."""
    register(cli_ok, "--token={{env.ACME_TOKEN}}")
    cli_ok("stack", "register", "tracked", "-o", "default", "-a", "default", "-e", "tracker")
    exported = tmp_path / "tracked.toml"
    cli_ok("stack", "export", "tracked", str(exported))
    assert "{{env.ACME_TOKEN}}" in exported.read_text(encoding="utf-8")

    assert cli_ok("stack", "import", str(exported), "--name", "again")  # reuses the tracker
    monkeypatch.setenv("RUNSTACK_HOME", str(tmp_path / "elsewhere"))
    cli_ok("stack", "import", str(exported))
    monkeypatch.setenv("ACME_TOKEN", SECRET)
    assert built_token() == SECRET
