"""`runstack <component-type> ...`: list, describe, register, update, rename, share, flavors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runstack import Client
from runstack.testing import parse_table

Cli = Callable[..., str]
CliJson = Callable[..., Any]
RunCli = Callable[..., Any]

SECRET = "s3cr3t-t0ken"
MASK = "**********"
LIST_HEADERS = ["ACTIVE", "NAME", "COMPONENT ID", "FLAVOR", "SHARED", "OWNER"]

# What each group needs to register a component: its flavor and a valid config.
REGISTER_ARGS = {
    "orchestrator": ["--flavor=local", "--max_parallel=2"],
    "artifact-store": ["--flavor=local"],
    "experiment-tracker": ["--flavor=acme", "--url=http://acme.test"],
}
GROUPS = list(REGISTER_ARGS)


@pytest.fixture(autouse=True)
def _acme(acme_plugin: Path) -> None:
    """Every test here may use the third-party `acme` experiment tracker."""


@pytest.fixture
def register(cli_ok: Cli) -> Callable[[str, str], str]:
    """Register a component of a group under `name` with a valid config; the command's output."""

    def run(group: str, name: str) -> str:
        return cli_ok(group, "register", name, *REGISTER_ARGS[group])

    return run


def rows_by_name(cli_ok: Cli, group: str) -> dict[str, dict[str, str]]:
    return {row["NAME"]: row for row in parse_table(cli_ok(group, "list"))}


def register_tracker(cli_ok: Cli, *config: str, name: str = "tracker") -> str:
    return cli_ok("experiment-tracker", "register", name, "--flavor=acme", *config)


def config_of(cli_json: CliJson, group: str, name: str) -> dict[str, Any]:
    config: dict[str, Any] = cli_json(group, "describe", name)["config"]
    return config


# -- list ------------------------------------------------------------------------


@pytest.mark.parametrize("group", ["orchestrator", "artifact-store"])
def test_a_fresh_home_lists_the_active_default_component(
    cli_ok: Cli, cli_json: CliJson, group: str
) -> None:
    output = cli_ok(group, "list")
    (listed,) = cli_json(group, "list")
    assert output.splitlines()[1].startswith("┃ ACTIVE │ NAME")
    assert parse_table(output) == [
        {
            "ACTIVE": "👉",
            "NAME": "default",
            "COMPONENT ID": listed["id"][:8],
            "FLAVOR": "local",
            "SHARED": "✔",
            "OWNER": "default",
        }
    ]
    assert listed["active"] is True


def test_a_type_with_nothing_registered_says_so(run_cli: RunCli, cli_json: CliJson) -> None:
    listed = run_cli("experiment-tracker", "list")
    assert (listed.exit_code, listed.stdout) == (0, "")
    assert listed.stderr.startswith("No experiment trackers registered.")
    assert cli_json("experiment-tracker", "list") == []


@pytest.mark.parametrize("group", GROUPS)
def test_list_shows_a_registered_component_and_json_matches_the_table(
    cli_ok: Cli, cli_json: CliJson, register: Callable[[str, str], str], group: str
) -> None:
    register(group, "mine")
    table = parse_table(cli_ok(group, "list"))
    listed = cli_json(group, "list")

    assert list(table[0]) == LIST_HEADERS
    assert [row["NAME"] for row in table] == [item["name"] for item in listed]
    mine = next(item for item in listed if item["name"] == "mine")
    assert re.fullmatch(r"[0-9a-f]{8}", rows_by_name(cli_ok, group)["mine"]["COMPONENT ID"])
    assert rows_by_name(cli_ok, group)["mine"] == {
        "ACTIVE": "",
        "NAME": "mine",
        "COMPONENT ID": mine["id"][:8],
        "FLAVOR": REGISTER_ARGS[group][0].removeprefix("--flavor="),
        "SHARED": "➖",
        "OWNER": "default",
    }
    assert (mine["active"], mine["shared"], mine["owner"]) == (False, False, "default")
    assert mine["type"] == group.replace("-", "_")


def test_active_markers_follow_the_active_stack(
    cli_ok: Cli, register: Callable[[str, str], str]
) -> None:
    register("artifact-store", "mine")
    cli_ok("stack", "register", "my_stack", "-o", "default", "-a", "mine", "--set")

    stores = rows_by_name(cli_ok, "artifact-store")
    assert (stores["mine"]["ACTIVE"], stores["default"]["ACTIVE"]) == ("👉", "")
    assert rows_by_name(cli_ok, "orchestrator")["default"]["ACTIVE"] == "👉"


# -- describe --------------------------------------------------------------------


def test_describe_shows_the_properties_and_config(cli_ok: Cli, cli_json: CliJson) -> None:
    cli_ok("orchestrator", "register", "fast", "--flavor=local", "--max_parallel=4")
    described = cli_json("orchestrator", "describe", "fast")
    output = cli_ok("orchestrator", "describe", "fast")

    assert output.splitlines()[0].strip() == "ORCHESTRATOR Component Configuration"
    properties = {row["COMPONENT_PROPERTY"]: row["VALUE"] for row in parse_table(output)}
    assert properties == {
        "NAME": "fast",
        "COMPONENT_ID": described["id"],
        "TYPE": "ORCHESTRATOR",
        "FLAVOR": "local",
        "SHARED": "➖",
        "OWNER": "default",
        "CREATED": described["created"][:19] + "+00:00",
        "UPDATED": described["updated"][:19] + "+00:00",
        "config.max_parallel": "4",
    }
    assert "'fast' orchestrator\n" in output
    assert (
        f"Orchestrator 'fast' with id '{described['id']}' is owned by user default "
        "and is 'private'." in output
    )
    assert described["active"] is False


def test_describe_marks_a_component_of_the_active_stack(cli_ok: Cli, cli_json: CliJson) -> None:
    output = cli_ok("artifact-store", "describe", "default")

    assert output.splitlines()[0].strip() == "ARTIFACT_STORE Component Configuration (ACTIVE)"
    assert "'default' artifact store (ACTIVE)" in output
    assert cli_json("artifact-store", "describe", "default")["active"] is True


def test_describe_accepts_the_short_id_the_list_shows(cli_ok: Cli, cli_json: CliJson) -> None:
    short_id = rows_by_name(cli_ok, "orchestrator")["default"]["COMPONENT ID"]

    assert cli_json("orchestrator", "describe", short_id)["name"] == "default"


def test_secrets_are_masked_in_every_output(cli_ok: Cli, cli_json: CliJson) -> None:
    register_tracker(cli_ok, "--url=http://acme.test", f"--token={SECRET}")
    cli_ok("stack", "register", "tracked", "-o", "default", "-a", "default", "-e", "tracker")

    table = cli_ok("experiment-tracker", "describe", "tracker")
    properties = {row["COMPONENT_PROPERTY"]: row["VALUE"] for row in parse_table(table)}
    assert properties["config.token"] == MASK
    assert config_of(cli_json, "experiment-tracker", "tracker")["token"] == MASK
    outputs = [
        table,
        cli_ok("experiment-tracker", "describe", "tracker", "-o", "json"),
        cli_ok("experiment-tracker", "list", "-o", "json"),
        cli_ok("stack", "describe", "tracked", "-o", "json"),
        cli_ok("stack", "list", "-o", "json"),
    ]
    assert all(SECRET not in output for output in outputs)
    assert Client().get_component("experiment_tracker", "tracker").secrets == {"token": SECRET}


# -- register --------------------------------------------------------------------


def test_register_a_local_artifact_store_with_a_path(
    cli_ok: Cli, cli_json: CliJson, tmp_path: Path
) -> None:
    output = cli_ok(
        "artifact-store", "register", "--flavor=local", "my_artifact_store", f"--path={tmp_path}"
    )

    assert output == "Registered artifact store 'my_artifact_store' (flavor 'local').\n"
    assert config_of(cli_json, "artifact-store", "my_artifact_store") == {"path": str(tmp_path)}
    assert set(rows_by_name(cli_ok, "artifact-store")) == {"default", "my_artifact_store"}


def test_the_flavor_model_makes_a_relative_path_absolute(
    cli_ok: Cli, cli_json: CliJson, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cli_ok("artifact-store", "register", "relative", "-f", "local", "--path", "artifacts")

    assert config_of(cli_json, "artifact-store", "relative") == {
        "path": str(tmp_path / "artifacts")
    }


def test_register_parses_values_with_the_flavor_config_model(
    cli_ok: Cli, cli_json: CliJson
) -> None:
    register_tracker(
        cli_ok, "--url", "http://acme.test", "--retries", "5", "--tags=a, b", "--verbose"
    )

    config = config_of(cli_json, "experiment-tracker", "tracker")
    assert config == {"url": "http://acme.test", "retries": 5, "tags": ["a", "b"], "verbose": True}
    assert type(config["retries"]) is int
    assert Client().get_component("experiment_tracker", "tracker").config["retries"] == 5


@pytest.mark.parametrize(
    ("argument", "stored"),
    [
        ('--tags=["x, y", "z"]', ["x, y", "z"]),
        ("--tags=solo", ["solo"]),
        ("--tags=[]", []),
    ],
)
def test_list_values_come_as_json_or_comma_separated(
    cli_ok: Cli, cli_json: CliJson, argument: str, stored: list[str]
) -> None:
    register_tracker(cli_ok, "--url=http://acme.test", argument)

    assert config_of(cli_json, "experiment-tracker", "tracker")["tags"] == stored


@pytest.mark.parametrize(("text", "value"), [("true", True), ("no", False), ("1", True)])
def test_bool_values_are_parsed(cli_ok: Cli, cli_json: CliJson, text: str, value: bool) -> None:
    register_tracker(cli_ok, "--url=http://acme.test", f"--verbose={text}")

    assert config_of(cli_json, "experiment-tracker", "tracker")["verbose"] is value


def test_dashes_in_keys_become_underscores(cli_ok: Cli, cli_json: CliJson) -> None:
    cli_ok("orchestrator", "register", "dashed", "--flavor=local", "--max-parallel=3")

    assert config_of(cli_json, "orchestrator", "dashed") == {"max_parallel": 3}


def test_only_the_values_given_are_stored(cli_ok: Cli, cli_json: CliJson) -> None:
    register_tracker(cli_ok, "--url=http://acme.test")

    assert config_of(cli_json, "experiment-tracker", "tracker") == {"url": "http://acme.test"}


def test_register_shared(cli_ok: Cli, cli_json: CliJson) -> None:
    cli_ok("orchestrator", "register", "team", "--flavor=local", "--share")

    assert rows_by_name(cli_ok, "orchestrator")["team"]["SHARED"] == "✔"
    assert cli_json("orchestrator", "describe", "team")["shared"] is True


# -- update ----------------------------------------------------------------------


def test_update_merges_into_the_config_and_keeps_secrets(cli_ok: Cli, cli_json: CliJson) -> None:
    register_tracker(cli_ok, "--url=http://acme.test", "--retries=5", f"--token={SECRET}")
    before = cli_json("experiment-tracker", "describe", "tracker")

    output = cli_ok("experiment-tracker", "update", "tracker", "--retries", "7", "--verbose")

    after = cli_json("experiment-tracker", "describe", "tracker")
    assert output == "Updated experiment tracker 'tracker'.\n"
    assert after["config"] == {
        "url": "http://acme.test",
        "retries": 7,
        "verbose": True,
        "token": MASK,
    }
    assert Client().get_component("experiment_tracker", "tracker").secrets == {"token": SECRET}
    assert (after["id"], after["created"]) == (before["id"], before["created"])


def test_update_with_null_clears_an_optional_value(cli_ok: Cli, cli_json: CliJson) -> None:
    cli_ok("orchestrator", "register", "fast", "--flavor=local", "--max_parallel=4")

    cli_ok("orchestrator", "update", "fast", "--max_parallel=null")

    assert config_of(cli_json, "orchestrator", "fast").get("max_parallel") is None
    properties = parse_table(cli_ok("orchestrator", "describe", "fast"))
    assert {"COMPONENT_PROPERTY": "config.max_parallel", "VALUE": ""} in properties


def test_update_with_null_clears_a_secret(cli_ok: Cli, cli_json: CliJson) -> None:
    register_tracker(cli_ok, "--url=http://acme.test", f"--token={SECRET}")

    cli_ok("experiment-tracker", "update", "tracker", "--token=null")

    assert config_of(cli_json, "experiment-tracker", "tracker") == {"url": "http://acme.test"}
    assert Client().get_component("experiment_tracker", "tracker").secrets == {}


def test_update_through_the_python_api_is_seen_by_the_cli(cli_json: CliJson) -> None:
    client = Client()
    client.register_component("experiment_tracker", "tracker", "acme", {"url": "http://a"})
    client.update_component("experiment_tracker", "tracker", {"retries": "9", "tags": ["t"]})

    config = config_of(cli_json, "experiment-tracker", "tracker")
    assert config == {"url": "http://a", "retries": 9, "tags": ["t"]}


# -- rename, share, delete -------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS)
def test_rename_keeps_the_id(
    cli_ok: Cli,
    cli_json: CliJson,
    cli_error: Cli,
    register: Callable[[str, str], str],
    group: str,
) -> None:
    register(group, "before")
    identifier = cli_json(group, "describe", "before")["id"]

    output = cli_ok(group, "rename", "before", "after")

    noun = group.replace("-", " ")
    assert output == f"Renamed {noun} 'before' to 'after'.\n"
    assert cli_json(group, "describe", "after")["id"] == identifier
    assert "no " + noun + " named 'before'" in cli_error(group, "describe", "before")


def test_a_stack_keeps_using_a_renamed_component(cli_ok: Cli, cli_json: CliJson) -> None:
    cli_ok("orchestrator", "rename", "default", "laptop")

    stack = cli_json("stack", "describe", "default")
    assert stack["components"]["orchestrator"]["name"] == "laptop"
    rows = parse_table(cli_ok("stack", "describe"))
    assert ("ORCHESTRATOR", "laptop") in [(r["COMPONENT_TYPE"], r["COMPONENT_NAME"]) for r in rows]


@pytest.mark.parametrize("group", GROUPS)
def test_share_makes_a_component_shared(
    cli_ok: Cli, cli_json: CliJson, register: Callable[[str, str], str], group: str
) -> None:
    register(group, "mine")

    output = cli_ok(group, "share", "mine")

    assert output == f"{group.replace('-', ' ').capitalize()} 'mine' is now shared.\n"
    assert rows_by_name(cli_ok, group)["mine"]["SHARED"] == "✔"
    assert cli_json(group, "describe", "mine")["shared"] is True
    assert "is 'shared'." in cli_ok(group, "describe", "mine")


@pytest.mark.parametrize("group", GROUPS)
def test_delete_removes_an_unused_component(
    cli_ok: Cli, cli_json: CliJson, register: Callable[[str, str], str], group: str
) -> None:
    register(group, "mine")

    output = cli_ok(group, "delete", "mine")

    assert output == f"Deleted {group.replace('-', ' ')} 'mine'.\n"
    assert "mine" not in [row["name"] for row in cli_json(group, "list")]


def test_a_component_is_free_to_delete_once_its_stack_is_gone(
    cli_ok: Cli, cli_json: CliJson
) -> None:
    register_tracker(cli_ok, "--url=http://acme.test")
    cli_ok("stack", "register", "tracked", "-o", "default", "-a", "default", "-e", "tracker")
    cli_ok("stack", "delete", "tracked", "-y")

    cli_ok("experiment-tracker", "delete", "tracker")

    assert cli_json("experiment-tracker", "list") == []


# -- flavors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "package"),
    [
        ("orchestrator", "runstack-local-orchestrator"),
        ("artifact-store", "runstack-local-artifact-store"),
        ("experiment-tracker", "acme-runstack"),
    ],
)
def test_flavor_list_names_the_package(
    cli_ok: Cli, cli_json: CliJson, group: str, package: str
) -> None:
    (row,) = parse_table(cli_ok(group, "flavor", "list"))
    (listed,) = cli_json(group, "flavor", "list")

    flavor = REGISTER_ARGS[group][0].removeprefix("--flavor=")
    assert (row["FLAVOR"], row["TYPE"]) == (flavor, group.replace("-", "_"))
    assert row["PACKAGE"].split() == [package, listed["version"]]
    assert row["DESCRIPTION"] == listed["description"] != ""
    assert (listed["name"], listed["distribution"]) == (flavor, package)


def test_flavor_describe_shows_every_key(cli_ok: Cli) -> None:
    output = cli_ok("experiment-tracker", "flavor", "describe", "acme")

    assert output.startswith(
        "experiment tracker flavor 'acme': Tracks experiments on an Acme server.\n"
    )
    assert parse_table(output) == [
        {
            "KEY": "url",
            "TYPE": "str",
            "DEFAULT": "(required)",
            "DESCRIPTION": "Where the tracking server listens.",
        },
        {
            "KEY": "token",
            "TYPE": "SecretStr | None (secret)",
            "DEFAULT": "",
            "DESCRIPTION": "API token.",
        },
        {
            "KEY": "retries",
            "TYPE": "int",
            "DEFAULT": "3",
            "DESCRIPTION": "How often to retry a request.",
        },
        {
            "KEY": "tags",
            "TYPE": "list[str]",
            "DEFAULT": "[]",
            "DESCRIPTION": "Tags added to every run.",
        },
        {"KEY": "verbose", "TYPE": "bool", "DEFAULT": "False", "DESCRIPTION": "Log every request."},
    ]


def test_flavor_describe_as_json(cli_json: CliJson) -> None:
    described = cli_json("experiment-tracker", "flavor", "describe", "acme")

    assert (described["name"], described["type"], described["local"]) == (
        "acme",
        "experiment_tracker",
        False,
    )
    keys = {field["key"]: field for field in described["config"]}
    assert list(keys) == ["url", "token", "retries", "tags", "verbose"]
    assert (keys["url"]["required"], keys["url"]["default"]) == (True, None)
    assert (keys["retries"]["type"], keys["retries"]["default"]) == ("int", 3)
    assert [name for name, field in keys.items() if field["secret"]] == ["token"]
    assert all(field["description"] for field in described["config"])


def test_flavor_describe_of_the_local_orchestrator(cli_ok: Cli) -> None:
    row = parse_table(cli_ok("orchestrator", "flavor", "describe", "local"))[0]

    assert (row["KEY"], row["TYPE"], row["DEFAULT"]) == ("max_parallel", "int | None", "")
    assert "How many steps may run at once" in row["DESCRIPTION"]
    described = json.loads(cli_ok("orchestrator", "flavor", "describe", "local", "-o", "json"))
    mode = described["config"][1]
    assert (mode["key"], mode["default"]) == ("mode", "threads")
    assert "processes" in mode["type"] and "worker processes" in mode["description"]


def test_describe_without_a_name_shows_the_active_stacks_component(
    cli_ok: Cli, cli_json: CliJson, run_cli: RunCli
) -> None:
    register_tracker(cli_ok, "--url=http://acme.test")
    cli_ok("stack", "register", "tracked", "-o", "default", "-a", "default", "-e", "tracker")
    assert cli_json("orchestrator", "describe")["name"] == "default"
    missing = run_cli("experiment-tracker", "describe")
    assert missing.exit_code == 2
    assert "the active stack 'default' has no experiment tracker; name one" in missing.stderr
    cli_ok("stack", "set", "tracked")
    described = cli_json("experiment-tracker", "describe")
    assert (described["name"], described["active"]) == ("tracker", True)
