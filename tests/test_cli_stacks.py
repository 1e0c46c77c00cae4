"""`runstack stack ...` and the `runstack.Client` calls behind it."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runstack import Client, paths
from runstack.testing import imported_by_command, parse_table

if TYPE_CHECKING:
    from click.testing import Result

Cli = Callable[..., str]
CliJson = Callable[..., Any]

SECRET = "s3cr3t-t0ken"
BASE_HEADERS = ["ACTIVE", "STACK NAME", "STACK ID", "SHARED", "OWNER"]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def my_store(cli_ok: Cli, tmp_path: Path) -> str:
    """A second local artifact store, `my_artifact_store`."""
    path = tmp_path / "artifacts"
    cli_ok("artifact-store", "register", "my_artifact_store", "--flavor=local", f"--path={path}")
    return "my_artifact_store"


@pytest.fixture
def tracker(cli_ok: Cli, acme_plugin: Path) -> str:
    """An `acme` experiment tracker, `tracker`, with a secret token."""
    cli_ok(
        "experiment-tracker",
        "register",
        "tracker",
        "--flavor=acme",
        "--url=http://acme.test",
        "--retries=5",
        "--tags=a,b",
        f"--token={SECRET}",
    )
    return "tracker"


@pytest.fixture
def my_stack(cli_ok: Cli, my_store: str) -> str:
    """`my_stack`: the default orchestrator and `my_artifact_store`; not active."""
    cli_ok("stack", "register", "my_stack", "-o", "default", "-a", my_store)
    return "my_stack"


def stack_rows(cli_ok: Cli) -> dict[str, dict[str, str]]:
    return {row["STACK NAME"]: row for row in parse_table(cli_ok("stack", "list"))}


def active_stack(cli_ok: Cli) -> str:
    (active,) = [name for name, row in stack_rows(cli_ok).items() if row["ACTIVE"] == "👉"]
    return active


def members(cli_json: CliJson, stack: str, field: str = "name") -> dict[str, str]:
    """Component type -> component name (or id), as `stack describe --output json` shows them."""
    components = cli_json("stack", "describe", stack)["components"]
    return {kind: component[field] for kind, component in components.items()}


def member_ids(cli_json: CliJson, stack: str) -> dict[str, str]:
    return members(cli_json, stack, "id")


def described_rows(cli_ok: Cli, *stack: str) -> dict[str, str]:
    rows = parse_table(cli_ok("stack", "describe", *stack))
    return {row["COMPONENT_TYPE"]: row["COMPONENT_NAME"] for row in rows}


# -- list and describe -----------------------------------------------------------


def test_a_fresh_home_lists_the_active_default_stack(cli_ok: Cli, cli_json: CliJson) -> None:
    output = cli_ok("stack", "list")
    (listed,) = cli_json("stack", "list")

    assert parse_table(output) == [
        {
            "ACTIVE": "👉",
            "STACK NAME": "default",
            "STACK ID": listed["id"][:8],
            "SHARED": "✔",
            "OWNER": "default",
            "ARTIFACT_STORE": "default",
            "ORCHESTRATOR": "default",
        }
    ]
    assert list(parse_table(output)[0]) == [*BASE_HEADERS, "ARTIFACT_STORE", "ORCHESTRATOR"]
    assert (listed["name"], listed["active"], listed["shared"]) == ("default", True, True)


# What only runs need: `stack list` must not pay for importing it.
RUN_SIDE = {
    "runstack.runs",
    "runstack.processes",
    "runstack.store.sql_runs",
    "runstack.store.sql_step_runs",
    "runstack.store.sql_artifacts",
    "runstack.store.sql_crashes",
}


def test_stack_list_loads_nothing_that_only_runs_need(cli_ok: Cli) -> None:
    for _ in range(2):  # the first creates the store, the second only reads it
        assert imported_by_command(["stack", "list"], RUN_SIDE) == []
    assert "default" in cli_ok("stack", "list")


def test_describe_the_default_stack_as_the_docs_show(cli_ok: Cli, cli_json: CliJson) -> None:
    """As the docs show, except that it is shared: every user of a store runs on it."""
    output = cli_ok("stack", "describe")
    identifier = cli_json("stack", "describe")["id"]

    lines = output.splitlines()
    assert lines[0].strip() == "Stack Configuration"
    rows = parse_table(output)
    assert [(row["COMPONENT_TYPE"], row["COMPONENT_NAME"], row["FLAVOR"]) for row in rows] == [
        ("ARTIFACT_STORE", "default", "local"),
        ("ORCHESTRATOR", "default", "local"),
    ]
    assert lines[-2].strip() == "'default' stack (ACTIVE)"
    assert re.fullmatch(UUID, identifier)
    assert lines[-1] == (
        f"Stack 'default' with id '{identifier}' is owned by user default and is 'shared'."
    )
    assert cli_ok("stack", "describe", "default") == output


def test_an_optional_component_adds_a_column_to_the_list(
    cli_ok: Cli, cli_json: CliJson, my_store: str, tracker: str
) -> None:
    cli_ok(
        "stack",
        "register",
        "tracked",
        "--orchestrator",
        "default",
        "--artifact-store",
        my_store,
        "--experiment-tracker",
        tracker,
    )

    table = parse_table(cli_ok("stack", "list"))
    assert list(table[0]) == [
        *BASE_HEADERS,
        "ARTIFACT_STORE",
        "EXPERIMENT_TRACKER",
        "ORCHESTRATOR",
    ]
    rows = stack_rows(cli_ok)
    assert rows["tracked"]["EXPERIMENT_TRACKER"] == "tracker"
    assert rows["default"]["EXPERIMENT_TRACKER"] == ""
    assert members(cli_json, "tracked") == {
        "artifact_store": my_store,
        "experiment_tracker": tracker,
        "orchestrator": "default",
    }

    cli_ok("stack", "remove-component", "tracked", "experiment-tracker")

    assert "EXPERIMENT_TRACKER" not in parse_table(cli_ok("stack", "list"))[0]


def test_json_list_carries_what_the_table_shows(
    cli_ok: Cli, cli_json: CliJson, my_stack: str, tracker: str
) -> None:
    cli_ok("stack", "register", "tracked", "-o", "default", "-a", "default", "-e", tracker, "--set")
    cli_ok("stack", "share", my_stack)

    table = parse_table(cli_ok("stack", "list"))
    listed = cli_json("stack", "list")

    assert [row["STACK NAME"] for row in table] == [item["name"] for item in listed]
    for row, item in zip(table, listed, strict=True):
        assert row["STACK ID"] == item["id"][:8]
        assert row["ACTIVE"] == ("👉" if item["active"] else "")
        assert row["SHARED"] == ("✔" if item["shared"] else "➖")
        assert row["OWNER"] == item["owner"]
        for kind in ("artifact_store", "experiment_tracker", "orchestrator"):
            component = item["components"].get(kind)
            assert row[kind.upper()] == (component["name"] if component else "")
    assert [item["name"] for item in listed if item["active"]] == ["tracked"]


def test_json_describe_carries_what_the_table_shows(
    cli_ok: Cli, cli_json: CliJson, my_stack: str
) -> None:
    output = cli_ok("stack", "describe", my_stack)
    described = cli_json("stack", "describe", my_stack)

    assert described["active"] is False
    assert "'my_stack' stack\n" in output
    assert "(ACTIVE)" not in output
    assert described_rows(cli_ok, my_stack) == {
        kind.upper(): component["name"] for kind, component in described["components"].items()
    }
    assert f"Stack 'my_stack' with id '{described['id']}' is owned by user default" in output
    assert described["components"]["artifact_store"]["config"]["path"].endswith("artifacts")


@pytest.mark.parametrize("command", [["list"], ["describe"], ["describe", "default"]])
def test_short_output_option_gives_the_same_json(cli_ok: Cli, command: list[str]) -> None:
    assert cli_ok("stack", *command, "-o", "json") == cli_ok("stack", *command, "--output", "json")
    assert cli_ok("stack", *command, "-o", "json").lstrip()[0] in "[{"


# -- register, set and the active stack ------------------------------------------


def test_register_does_not_switch_the_active_stack(
    cli_ok: Cli, cli_json: CliJson, my_store: str
) -> None:
    output = cli_ok("stack", "register", "my_stack", "-o", "default", "-a", my_store)

    assert output == "Registered stack 'my_stack'.\n"
    assert members(cli_json, "my_stack") == {
        "artifact_store": my_store,
        "orchestrator": "default",
    }
    assert active_stack(cli_ok) == "default"
    assert stack_rows(cli_ok)["my_stack"]["ARTIFACT_STORE"] == my_store


def test_register_with_set_makes_it_active(cli_ok: Cli, my_store: str) -> None:
    output = cli_ok("stack", "register", "my_stack", "-o", "default", "-a", my_store, "--set")

    assert output == "Registered stack 'my_stack'.\nActive stack set to 'my_stack'.\n"
    assert active_stack(cli_ok) == "my_stack"


def test_the_active_stack_switch_shows_in_later_commands(
    cli_ok: Cli, cli_json: CliJson, my_stack: str
) -> None:
    assert cli_ok("stack", "set", my_stack) == "Active stack set to 'my_stack'.\n"

    assert active_stack(cli_ok) == my_stack
    described = cli_ok("stack", "describe")
    assert "'my_stack' stack (ACTIVE)" in described
    assert described_rows(cli_ok)["ARTIFACT_STORE"] == "my_artifact_store"
    assert "(ACTIVE)" not in cli_ok("stack", "describe", "default")
    stores = {row["NAME"]: row["ACTIVE"] for row in parse_table(cli_ok("artifact-store", "list"))}
    assert stores == {"default": "", "my_artifact_store": "👉"}
    assert Client().active_stack.name == my_stack

    cli_ok("stack", "set", "default")

    assert active_stack(cli_ok) == "default"
    assert cli_json("stack", "describe")["name"] == "default"


def test_set_accepts_the_short_id_the_list_shows(cli_ok: Cli, my_stack: str) -> None:
    short_id = stack_rows(cli_ok)[my_stack]["STACK ID"]

    cli_ok("stack", "set", short_id)

    assert active_stack(cli_ok) == my_stack


# -- update, remove-component ----------------------------------------------------


def test_update_swaps_a_component(
    cli_ok: Cli, cli_json: CliJson, my_stack: str, tracker: str
) -> None:
    before = cli_json("stack", "describe", my_stack)

    assert cli_ok("stack", "update", my_stack, "-a", "default") == "Updated stack 'my_stack'.\n"
    cli_ok("stack", "update", my_stack, "--experiment-tracker", tracker)

    after = cli_json("stack", "describe", my_stack)
    assert members(cli_json, my_stack) == {
        "artifact_store": "default",
        "experiment_tracker": tracker,
        "orchestrator": "default",
    }
    assert after["id"] == before["id"]
    assert stack_rows(cli_ok)[my_stack]["ARTIFACT_STORE"] == "default"


def test_remove_component_drops_an_optional_component(
    cli_ok: Cli, cli_json: CliJson, my_stack: str, tracker: str
) -> None:
    cli_ok("stack", "update", my_stack, "-e", tracker)

    output = cli_ok("stack", "remove-component", my_stack, "experiment_tracker")

    assert output == "Removed the experiment tracker from stack 'my_stack'.\n"
    assert set(members(cli_json, my_stack)) == {"artifact_store", "orchestrator"}
    assert "tracker" in {row["NAME"] for row in parse_table(cli_ok("experiment-tracker", "list"))}


# -- rename, copy, delete --------------------------------------------------------


def test_rename_keeps_id_components_and_the_active_mark(
    cli_ok: Cli, cli_json: CliJson, cli_error: Cli, my_stack: str
) -> None:
    cli_ok("stack", "set", my_stack)
    before = cli_json("stack", "describe", my_stack)

    assert cli_ok("stack", "rename", my_stack, "renamed") == (
        "Renamed stack 'my_stack' to 'renamed'.\n"
    )

    after = cli_json("stack", "describe", "renamed")
    assert (after["id"], after["components"]) == (before["id"], before["components"])
    assert active_stack(cli_ok) == "renamed"
    assert "no stack named 'my_stack'" in cli_error("stack", "describe", my_stack)


def test_copy_registers_a_stack_with_the_same_components(
    cli_ok: Cli, cli_json: CliJson, my_stack: str
) -> None:
    output = cli_ok("stack", "copy", my_stack, "copied")

    assert output == "Copied stack 'my_stack' to 'copied'.\n"
    assert member_ids(cli_json, "copied") == member_ids(cli_json, my_stack)
    assert (
        cli_json("stack", "describe", "copied")["id"]
        != cli_json("stack", "describe", my_stack)["id"]
    )
    assert active_stack(cli_ok) == "default"


def test_delete_with_yes_keeps_the_components(cli_ok: Cli, my_stack: str) -> None:
    assert cli_ok("stack", "delete", my_stack, "-y") == "Deleted stack 'my_stack'.\n"

    assert set(stack_rows(cli_ok)) == {"default"}
    stores = {row["NAME"] for row in parse_table(cli_ok("artifact-store", "list"))}
    assert stores == {"default", "my_artifact_store"}


def test_delete_asks_for_confirmation(cli_ok: Cli, my_stack: str) -> None:
    output = cli_ok("stack", "delete", my_stack, input="y\n")

    assert output == "Delete stack 'my_stack'? [y/N]: y\nDeleted stack 'my_stack'.\n"
    assert set(stack_rows(cli_ok)) == {"default"}


@pytest.mark.parametrize("answer", ["n\n", "\n", ""])
def test_delete_keeps_the_stack_unless_confirmed(
    run_cli: Callable[..., Result], cli_ok: Cli, my_stack: str, answer: str
) -> None:
    result = run_cli("stack", "delete", my_stack, input=answer)

    assert (result.exit_code, result.stderr) == (1, "Error: aborted\n")
    assert result.stdout.startswith("Delete stack 'my_stack'? [y/N]: ")

    assert set(stack_rows(cli_ok)) == {"default", my_stack}


# -- share -----------------------------------------------------------------------


def test_share_shares_the_stack_and_its_components(
    cli_ok: Cli, cli_json: CliJson, my_stack: str
) -> None:
    output = cli_ok("stack", "share", my_stack)

    identifier = cli_json("stack", "describe", my_stack)["id"]
    assert output == (
        f"Stack 'my_stack' with id '{identifier}' is owned by user default and is 'shared'.\n"
    )
    assert stack_rows(cli_ok)[my_stack]["SHARED"] == "✔"
    described = cli_json("stack", "describe", my_stack)
    assert described["shared"] is True
    assert all(component["shared"] for component in described["components"].values())
    stores = {row["NAME"]: row["SHARED"] for row in parse_table(cli_ok("artifact-store", "list"))}
    assert stores == {"default": "✔", "my_artifact_store": "✔"}
    assert "is 'shared'." in cli_ok("stack", "describe", my_stack)


# -- export and import -----------------------------------------------------------


@pytest.fixture
def exported(cli_ok: Cli, my_store: str, tracker: str, tmp_path: Path) -> Path:
    """`tracked` (default orchestrator, `my_artifact_store`, `tracker`) exported to a file."""
    cli_ok("stack", "register", "tracked", "-o", "default", "-a", my_store, "-e", tracker)
    target = tmp_path / "tracked.toml"
    assert cli_ok("stack", "export", "tracked", str(target)) == (
        f"Exported stack 'tracked' to {target}.\n"
    )
    return target


def test_export_writes_the_components_but_no_secret_value(exported: Path) -> None:
    text = exported.read_text(encoding="utf-8")
    document = tomllib.loads(text)

    assert SECRET not in text
    assert document["stack"] == {"name": "tracked"}
    tracker = document["components"]["experiment_tracker"]
    assert tracker == {
        "name": "tracker",
        "flavor": "acme",
        "secrets": ["token"],
        "config": {"url": "http://acme.test", "retries": 5, "tags": ["a", "b"]},
    }
    assert set(document["components"]) == {"artifact_store", "experiment_tracker", "orchestrator"}


def test_import_under_a_new_name_reuses_identical_components(
    cli_ok: Cli, cli_json: CliJson, exported: Path
) -> None:
    output = cli_ok("stack", "import", str(exported), "--name", "again")

    assert output == f"Imported stack 'again' from {exported}.\n"
    assert member_ids(cli_json, "again") == member_ids(cli_json, "tracked")
    assert len(cli_json("experiment-tracker", "list")) == 1


def test_export_and_import_round_trip_into_another_home(
    cli_ok: Cli, cli_json: CliJson, exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = cli_json("stack", "describe", "tracked")["components"]
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "other_home"))

    secret = ("--secret", "experiment_tracker.token=rotated")
    assert cli_ok("stack", "import", str(exported), *secret) == (
        f"Imported stack 'tracked' from {exported}.\n"
    )

    imported = cli_json("stack", "describe", "tracked")["components"]
    assert {kind: (c["name"], c["flavor"]) for kind, c in imported.items()} == {
        kind: (c["name"], c["flavor"]) for kind, c in original.items()
    }
    assert imported["experiment_tracker"]["config"] == original["experiment_tracker"]["config"]
    assert imported["artifact_store"]["config"] == original["artifact_store"]["config"]
    assert {c["id"] for c in imported.values()}.isdisjoint({c["id"] for c in original.values()})
    assert set(stack_rows(cli_ok)) == {"default", "tracked"}


# -- the Python API --------------------------------------------------------------


def test_client_registers_and_switches_stacks_the_cli_sees(
    cli_ok: Cli, cli_json: CliJson, tmp_path: Path
) -> None:
    client = Client()
    client.register_component("artifact_store", "py_store", "local", {"path": str(tmp_path)})
    stack = client.register_stack(
        "py_stack", {"orchestrator": "default", "artifact_store": "py_store"}
    )
    client.set_active_stack("py_stack")

    assert active_stack(cli_ok) == "py_stack"
    assert cli_json("stack", "describe")["id"] == stack.id
    assert Client().active_stack.artifact_store.config == {"path": str(tmp_path)}


def test_client_sees_what_the_cli_registers(cli_ok: Cli, my_stack: str) -> None:
    cli_ok("stack", "set", my_stack)

    client = Client()
    assert [s.name for s in client.list_stacks()] == ["default", my_stack]
    assert client.active_stack.name == my_stack
    assert client.get_stack(my_stack).artifact_store.name == "my_artifact_store"
    assert client.get_stack().orchestrator.name == "default"


def test_client_renames_copies_shares_and_deletes(cli_ok: Cli, my_stack: str) -> None:
    client = Client()

    client.rename_stack(my_stack, "renamed")
    copied = client.copy_stack("renamed", "copied")
    shared = client.share_stack("copied")
    client.delete_stack("renamed")

    assert set(stack_rows(cli_ok)) == {"default", "copied"}
    assert shared.shared and all(c.shared for c in shared.components.values())
    assert copied.artifact_store.name == "my_artifact_store"
    assert stack_rows(cli_ok)["copied"]["SHARED"] == "✔"


def test_client_updates_and_removes_components(cli_ok: Cli, my_stack: str, tracker: str) -> None:
    client = Client()

    client.update_stack(my_stack, {"experiment_tracker": tracker, "artifact_store": "default"})
    assert stack_rows(cli_ok)[my_stack]["EXPERIMENT_TRACKER"] == tracker
    client.update_stack(my_stack, {"experiment_tracker": None})

    assert set(client.get_stack(my_stack).components) == {"orchestrator", "artifact_store"}
    assert stack_rows(cli_ok)[my_stack]["ARTIFACT_STORE"] == "default"


def test_client_export_and_import(cli_json: CliJson, my_stack: str, tmp_path: Path) -> None:
    client = Client()
    target = tmp_path / "exported.toml"

    client.export_stack(my_stack, target)
    imported = client.import_stack(target, name="imported")

    assert imported.name == "imported"
    assert member_ids(cli_json, "imported") == member_ids(cli_json, my_stack)
