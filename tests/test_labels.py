"""Labels: `--label KEY=VALUE` on stacks and components, shown, changed and filtered on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runstack import Client
from runstack.errors import ConfigError
from runstack.testing import parse_table

Cli = Callable[..., str]
CliJson = Callable[..., Any]
RunCli = Callable[..., Any]


@pytest.fixture
def labelled(cli_ok: Cli) -> None:
    cli_ok("artifact-store", "register", "nlp_store", "--flavor=local", "-l", "team=nlp")
    cli_ok(
        "artifact-store",
        "register",
        "cv_store",
        "--flavor=local",
        "--label",
        "team=cv",
        "--label",
        "env=prod",
    )
    cli_ok("stack", "register", "nlp", "-o", "default", "-a", "nlp_store", "-l", "team=nlp")
    cli_ok("stack", "register", "cv", "-o", "default", "-a", "cv_store", "-l", "team=cv")


def test_labels_are_shown_in_describe_and_json(
    labelled: None, cli_ok: Cli, cli_json: CliJson
) -> None:
    described = parse_table(cli_ok("artifact-store", "describe", "cv_store"))
    assert {"COMPONENT_PROPERTY": "LABELS", "VALUE": "env=prod, team=cv"} in described
    assert "Labels: team=nlp\n" in cli_ok("stack", "describe", "nlp")
    assert cli_json("stack", "describe", "cv")["labels"] == {"team": "cv"}
    assert cli_json("artifact-store", "describe", "cv_store")["labels"] == {
        "env": "prod",
        "team": "cv",
    }


def test_lists_filter_on_labels(labelled: None, cli_json: CliJson, run_cli: RunCli) -> None:
    def names(*command: str) -> list[str]:
        return [entry["name"] for entry in cli_json(*command)]

    assert names("stack", "list", "--label", "team=nlp") == ["nlp"]
    assert names("artifact-store", "list", "-l", "team=cv", "-l", "env=prod") == ["cv_store"]
    assert names("artifact-store", "list", "-l", "team=nlp", "-l", "env=prod") == []
    none = run_cli("stack", "list", "-l", "team=ops")
    assert (none.exit_code, none.stdout) == (0, "")
    assert none.stderr.startswith("No stacks with labels team=ops;")


def test_update_sets_and_removes_labels_keeping_the_others(
    labelled: None, cli_ok: Cli, cli_json: CliJson, run_cli: RunCli
) -> None:
    cli_ok("artifact-store", "update", "cv_store", "-l", "env=dev", "--remove-label", "team")
    assert cli_json("artifact-store", "describe", "cv_store")["labels"] == {"env": "dev"}
    cli_ok("stack", "update", "cv", "--label", "tier=gold")
    assert cli_json("stack", "describe", "cv")["labels"] == {"team": "cv", "tier": "gold"}
    missing = run_cli("stack", "update", "cv", "--remove-label", "nope")
    assert missing.exit_code == 1
    assert missing.stderr == "Error: there is no label 'nope' to remove; labels: team, tier\n"
    assert cli_json("stack", "describe", "cv")["labels"] == {"team": "cv", "tier": "gold"}


@pytest.mark.parametrize(
    ("label", "said"),
    [
        ("team", "label 'team' has no '='; give it as KEY=VALUE"),
        ("my team=nlp", "label key 'my team' is not allowed"),
        ("=nlp", "label key '' is not allowed"),
        ("team=a\tb", "label 'team' has a value that is not allowed"),
        ("team=" + "x" * 257, "label 'team' has a value that is not allowed"),
    ],
)
def test_a_bad_label_is_refused_and_nothing_is_registered(
    run_cli: RunCli, cli_json: CliJson, label: str, said: str
) -> None:
    result = run_cli("artifact-store", "register", "tagged", "--flavor=local", "-l", label)
    assert result.exit_code == 1
    assert said in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "tagged" not in [entry["name"] for entry in cli_json("artifact-store", "list")]


def test_the_python_api_takes_and_filters_labels() -> None:
    client = Client()
    client.register_component("artifact_store", "api_store", "local", labels={"team": "api"})
    client.register_stack(
        "api", {"orchestrator": "default", "artifact_store": "api_store"}, labels={"team": "api"}
    )
    assert [s.name for s in client.list_stacks(labels={"team": "api"})] == ["api"]
    assert client.relabel_stack("api", {"env": "prod"}).labels == {"team": "api", "env": "prod"}
    assert client.get_stack("api").labels == {"team": "api", "env": "prod"}
    with pytest.raises(ConfigError, match="label key"):
        client.relabel_component("artifact_store", "api_store", {"bad key": "x"})
