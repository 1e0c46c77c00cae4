"""Owners and sharing: two users (two homes naming different users, one store) see their own
stacks and components and the shared ones; only the owner changes them; runs are everyone's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline_helpers import run_name_in
from runstack import Client
from runstack.errors import InUseError, NotFoundError, PermissionDeniedError
from runstack.runs import RunRecord, RunStatus
from runstack.stacks import new_id, now
from runstack.store.sqlite import SqliteStore
from runstack.testing import parse_table

Cli = Callable[..., str]
CliJson = Callable[..., Any]
Become = Callable[[str], Path]

FLOW = """
@step
def count() -> int:
    return 3


@pipeline
def flow() -> None:
    count()
"""


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "team.db"


@pytest.fixture
def become(tmp_path: Path, store_path: Path, monkeypatch: pytest.MonkeyPatch) -> Become:
    """Switch to a user's own home, whose config names the user and the team's store; the home.

    Alice comes first in every test, so she opens the store and owns the default stack."""

    def switch(user: str) -> Path:
        home = tmp_path / f"home_{user}"
        if not home.exists():
            home.mkdir()
            (home / "config.toml").write_text(
                f'user = "{user}"\n\n[store]\npath = "{store_path}"\n', encoding="utf-8"
            )
        monkeypatch.setenv("RUNSTACK_HOME", str(home))
        return home

    return switch


@pytest.fixture
def alice_stack(become: Become, cli_ok: Cli, tmp_path: Path) -> str:
    """Alice's private stack `secret` with her private artifact store `vault`; the stack's id."""
    become("alice")
    cli_ok("artifact-store", "register", "vault", "--flavor=local", f"--path={tmp_path / 'vault'}")
    cli_ok("stack", "register", "secret", "-o", "default", "-a", "vault")
    return str(Client().get_stack("secret").id)


@pytest.fixture
def flow_file(write_module: Callable[..., Path]) -> Path:
    return write_module(FLOW)


def names(cli_ok: Cli, *command: str) -> dict[str, dict[str, str]]:
    column = "STACK NAME" if command[0] == "stack" else "NAME"
    return {row[column]: row for row in parse_table(cli_ok(*command, "list"))}


def test_a_private_stack_is_invisible_to_another_user_as_if_it_did_not_exist(
    become: Become, alice_stack: str, cli_ok: Cli, cli_error: Cli, flow_file: Path
) -> None:
    become("bob")
    assert set(names(cli_ok, "stack")) == {"default"}
    assert set(names(cli_ok, "artifact-store")) == {"default"}
    assert [s["name"] for s in json.loads(cli_ok("stack", "list", "--output", "json"))] == [
        "default"
    ]

    for wanted in ("secret", alice_stack[:8], alice_stack):
        for command in (
            ("stack", "describe", wanted),
            ("stack", "set", wanted),
            ("stack", "delete", wanted, "--yes"),
            ("stack", "share", wanted),
            ("stack", "rename", wanted, "mine"),
            ("stack", "update", wanted, "-a", "default"),
            ("stack", "copy", wanted, "mine"),
            ("stack", "export", wanted, str(flow_file.parent / "out.toml")),
        ):
            assert cli_error(*command) == cli_error(*command[:2], "nothing", *command[3:]).replace(
                "'nothing'", repr(wanted)
            ), command
        assert cli_error("pipeline", "run", f"{flow_file}:flow", "--stack", wanted) == (
            f"Error: no stack named {wanted!r}; registered: default (see 'runstack stack list')"
        )
    unknown = (
        "Error: no artifact store named 'vault'; registered: default "
        "(see 'runstack artifact-store list')"
    )
    assert cli_error("artifact-store", "describe", "vault") == unknown
    assert cli_error("stack", "register", "mine", "-o", "default", "-a", "vault") == unknown

    bob = Client()
    with pytest.raises(NotFoundError):
        bob.get_stack("secret")
    with pytest.raises(NotFoundError):
        bob.get_component("artifact_store", "vault")
    assert [stack.name for stack in bob.list_stacks()] == ["default"]


def test_a_name_another_user_holds_privately_is_taken_without_saying_more(
    become: Become, alice_stack: str, cli_ok: Cli, cli_error: Cli, tmp_path: Path
) -> None:
    become("bob")
    assert cli_error("stack", "register", "secret", "-o", "default", "-a", "default") == (
        "Error: a stack named 'secret' already exists; choose another name"
    )
    assert cli_error("artifact-store", "register", "vault", "--flavor=local") == (
        "Error: an artifact store named 'vault' already exists; choose another name"
    )
    cli_ok("stack", "register", "mine", "-o", "default", "-a", "default")
    assert cli_error("stack", "rename", "mine", "secret") == (
        "Error: a stack named 'secret' already exists; choose another name"
    )
    exported = tmp_path / "stack.toml"
    cli_ok("artifact-store", "register", "vault2", "--flavor=local", f"--path={tmp_path}")
    cli_ok("stack", "register", "exported", "-o", "default", "-a", "vault2")
    cli_ok("stack", "export", "exported", str(exported))
    exported.write_text(exported.read_text().replace("vault2", "vault"), encoding="utf-8")
    error = cli_error("stack", "import", str(exported), "--name", "imported")
    assert error == (
        f"Error: {exported}: the name 'vault' is taken by another user's artifact store; "
        "rename the component in the file, then import again"
    )
    assert str(tmp_path / "vault") not in error
    assert "imported" not in names(cli_ok, "stack")


def test_only_the_owner_changes_a_shared_stack_or_component_and_others_use_it(
    become: Become,
    alice_stack: str,
    cli_ok: Cli,
    cli_error: Cli,
    cli_json: CliJson,
    flow_file: Path,
) -> None:
    cli_ok("stack", "share", "secret")
    become("bob")
    before = cli_json("stack", "describe", "secret")
    assert before["owner"] == "alice" and before["shared"] is True
    refused = "Error: the stack 'secret' is owned by user 'alice'; only its owner may change it"
    for command in (
        ("stack", "rename", "secret", "mine"),
        ("stack", "update", "secret", "-a", "default"),
        ("stack", "remove-component", "secret", "experiment-tracker"),
        ("stack", "share", "secret"),
        ("stack", "delete", "secret", "--yes"),
    ):
        assert cli_error(*command) == refused, command
    vault = (
        "Error: the artifact store 'vault' is owned by user 'alice'; only its owner may change it"
    )
    assert cli_error("artifact-store", "update", "vault", "--path=/tmp/elsewhere") == vault
    assert cli_error("artifact-store", "rename", "vault", "mine") == vault
    assert cli_error("artifact-store", "share", "vault") == vault
    assert cli_error("artifact-store", "delete", "vault") == vault
    assert cli_json("stack", "describe", "secret") == before

    # Using is not changing: run on it, make it active, put its component in a stack of one's own.
    run = run_name_in(cli_ok("pipeline", "run", f"{flow_file}:flow", "--stack", "secret"))
    cli_ok("stack", "set", "secret")
    cli_ok("stack", "register", "bobs", "-o", "default", "-a", "vault")
    assert names(cli_ok, "stack")["bobs"]["OWNER"] == "bob"
    assert cli_ok("stack", "describe", "secret").splitlines()[-1] == (
        f"Stack 'secret' with id '{alice_stack}' is owned by user alice and is 'shared'."
    )
    assert cli_json("run", "describe", run)["owner"] == "bob"

    bob = Client()
    with pytest.raises(PermissionDeniedError, match="owned by user 'alice'"):
        bob.rename_stack("secret", "mine")
    with pytest.raises(PermissionDeniedError, match="owned by user 'alice'"):
        bob.store.stacks.delete(alice_stack)  # the store refuses too, whatever the client does
    with pytest.raises(PermissionDeniedError, match="owned by user 'alice'"):
        bob.update_component("artifact_store", "vault", {"path": "/tmp/elsewhere"})


def test_sharing_a_stack_shares_its_owners_components_for_every_user(
    become: Become, alice_stack: str, cli_ok: Cli, cli_error: Cli, tmp_path: Path
) -> None:
    cli_ok("artifact-store", "register", "drawer", "--flavor=local", f"--path={tmp_path / 'd'}")
    assert cli_ok("stack", "share", "secret").splitlines() == [
        f"Stack 'secret' with id '{alice_stack}' is owned by user alice and is 'shared'."
    ]
    become("bob")
    assert names(cli_ok, "stack")["secret"]["SHARED"] == "✔"
    assert set(names(cli_ok, "artifact-store")) == {"default", "vault"}
    assert cli_error("artifact-store", "describe", "drawer").startswith(
        "Error: no artifact store named 'drawer'"
    )

    # A shared stack stays whole for everyone: what its owner puts in it is shared with it.
    become("alice")
    cli_ok("stack", "update", "secret", "-a", "drawer")
    become("bob")
    assert names(cli_ok, "artifact-store")["drawer"]["SHARED"] == "✔"
    assert (
        cli_ok("artifact-store", "describe", "drawer")
        .splitlines()[-1]
        .endswith("is owned by user alice and is 'shared'.")
    )

    # So does registering it shared, and the stack it returns says so.
    become("alice")
    cli_ok("artifact-store", "register", "box", "--flavor=local", f"--path={tmp_path / 'b'}")
    members = {"orchestrator": "default", "artifact_store": "box"}
    assert Client().register_stack("open", members, shared=True).artifact_store.shared
    become("bob")
    assert names(cli_ok, "artifact-store")["box"]["OWNER"] == "alice"


def test_deleting_a_component_others_use_names_only_the_stacks_its_owner_sees(
    become: Become, alice_stack: str, cli_ok: Cli, cli_error: Cli, tmp_path: Path
) -> None:
    cli_ok("orchestrator", "register", "runner", "--flavor=local", "--share")
    become("bob")
    assert names(cli_ok, "orchestrator")["runner"]["OWNER"] == "alice"
    cli_ok("stack", "register", "bobs_private", "-o", "runner", "-a", "default")
    become("alice")
    cli_ok("stack", "register", "alices", "-o", "runner", "-a", "vault")
    assert cli_error("orchestrator", "delete", "runner") == (
        "Error: the orchestrator 'runner' is used by the stack(s) 'alices', 1 of other users; "
        "remove it from them or delete those stacks first"
    )


def test_the_default_stack_is_shared_usable_by_all_and_deleted_by_nobody(
    become: Become,
    alice_stack: str,
    cli_ok: Cli,
    cli_error: Cli,
    cli_json: CliJson,
    flow_file: Path,
) -> None:
    become("bob")
    (default,) = [s for s in cli_json("stack", "list") if s["name"] == "default"]
    assert (default["owner"], default["shared"], default["active"]) == ("alice", True, True)
    assert cli_ok("stack", "describe").splitlines()[-1] == (
        f"Stack 'default' with id '{default['id']}' is owned by user alice and is 'shared'."
    )
    run = run_name_in(cli_ok("pipeline", "run", f"{flow_file}:flow"))
    assert cli_error("stack", "delete", "default", "--yes") == (
        "Error: the default stack cannot be deleted; it is what every client starts on"
    )
    assert cli_error("orchestrator", "rename", "default", "mine") == (
        "Error: the orchestrator 'default' is owned by user 'alice'; only its owner may change it"
    )

    become("alice")
    assert cli_json("run", "describe", run)["owner"] == "bob"  # runs are everyone's to see
    assert [r["name"] for r in cli_json("run", "list")] == [run]
    with pytest.raises(InUseError, match="default stack cannot be deleted"):
        Client().store.stacks.delete(default["id"])


def test_a_store_acting_as_another_user_sees_and_records_as_that_user(
    store_path: Path, tmp_path: Path
) -> None:
    alice = SqliteStore(store_path, owner="alice")
    bob = alice.acting_as("bob")
    assert (bob.user, bob.location) == ("bob", alice.location)
    default = alice.stacks.get("default")
    private = Client(store=alice)
    private.register_component("artifact_store", "vault", "local", {"path": str(tmp_path)})
    private.register_stack("secret", {"orchestrator": "default", "artifact_store": "vault"})
    assert [s.name for s in bob.stacks.list()] == ["default"]
    with pytest.raises(NotFoundError):
        bob.stacks.get("secret")

    # Whatever owner a record names, the acting user owns what the store creates.
    run = RunRecord(
        id=new_id(),
        name="forged",
        pipeline_name="flow",
        status=RunStatus.RUNNING,
        stack_id=default.id,
        stack_name="default",
        artifact_store_id=default.artifact_store.id,
        owner="alice",
        config={},
        parameters={},
        started=now(),
    )
    bob.runs.create(run)
    assert alice.runs.get("forged").owner == "bob"
    created = bob.stacks.create(default.changed(id=new_id(), name="bobs", owner="alice"))
    assert (created.owner, alice.stacks.get("bobs").owner) == ("bob", "bob")
