"""Bad input: one `Error: ...` line on stderr, a non-zero exit code, and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., str]
Snapshot = Callable[[], dict[str, Any]]

GROUPS = ("orchestrator", "artifact-store", "experiment-tracker")
ACME_KEYS = "valid keys: url, token, retries, tags, verbose"


@pytest.fixture(autouse=True)
def world(cli_ok: Cli, acme_plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`my_stack` (active) and `other` share `my_artifact_store`; `my_stack` has `tracker`.

    The working directory is an empty folder, so a file written by mistake shows up.
    """
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    cli_ok("artifact-store", "register", "my_artifact_store", "--flavor=local", "--path=store")
    cli_ok("experiment-tracker", "register", "tracker", "--flavor=acme", "--url=http://acme.test")
    cli_ok(
        "stack", "register", "my_stack", "-o", "default", "-a", "my_artifact_store", "-e", "tracker"
    )
    cli_ok("stack", "register", "other", "-o", "default", "-a", "my_artifact_store")
    cli_ok("stack", "set", "my_stack")


@pytest.fixture
def snapshot(cli_json: Callable[..., Any], runstack_home: Path) -> Snapshot:
    """Everything a command could change: the listings, the client config and the files."""

    def take() -> dict[str, Any]:
        folders = {"cwd": Path.cwd(), "home": runstack_home}
        return {
            "stacks": cli_json("stack", "list"),
            **{group: cli_json(group, "list") for group in GROUPS},
            "config": (runstack_home / "config.toml").read_text(encoding="utf-8"),
            **{
                name: sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
                for name, folder in folders.items()
            },
        }

    return take


def case(id: str, *arguments: str, says: tuple[str, ...]) -> Any:
    return pytest.param(arguments, says, id=id)


COMPONENT_CASES = [
    case(
        "unknown-flavor",
        *("artifact-store", "register", "x", "--flavor=loca"),
        says=("unknown flavor 'loca' for artifact_store", "installed: local"),
    ),
    case(
        "unknown-third-party-flavor",
        *("experiment-tracker", "register", "x", "--flavor=mlflow", "--url=u"),
        says=("unknown flavor 'mlflow'", "installed: acme"),
    ),
    case(
        "flavor-of-another-type",
        *("orchestrator", "register", "x", "--flavor=acme"),
        says=("unknown flavor 'acme' for orchestrator", "installed: local"),
    ),
    case(
        "describe-unknown-flavor",
        *("orchestrator", "flavor", "describe", "kubernetes"),
        says=("unknown flavor 'kubernetes'", "installed: local"),
    ),
    case(
        "missing-flavor-option",
        *("orchestrator", "register", "x"),
        says=("Missing option '--flavor'",),
    ),
    case(
        "unknown-key",
        *("artifact-store", "register", "x", "--flavor=local", "--pth=/tmp"),
        says=("unknown config key 'pth'", "artifact store flavor 'local'", "valid keys: path"),
    ),
    case(
        "unknown-key-on-update",
        *("experiment-tracker", "update", "tracker", "--urll=http://x"),
        says=("unknown config key 'urll'", ACME_KEYS),
    ),
    case(
        "not-an-int",
        *("orchestrator", "register", "x", "--flavor=local", "--max_parallel=many"),
        says=("invalid config", "max_parallel:", "valid integer", "'many'"),
    ),
    case(
        "a-float-for-an-int",
        *("experiment-tracker", "register", "x", "--flavor=acme", "--url=u", "--retries=1.5"),
        says=("retries:", "valid integer", "'1.5'"),
    ),
    case(
        "below-the-minimum",
        *("orchestrator", "register", "x", "--flavor=local", "--max_parallel=0"),
        says=("max_parallel:", "greater than or equal to 1"),
    ),
    case(
        "not-a-bool",
        *("experiment-tracker", "register", "x", "--flavor=acme", "--url=u", "--verbose=maybe"),
        says=("verbose:", "valid boolean", "'maybe'"),
    ),
    case(
        "malformed-json-list",
        *("experiment-tracker", "register", "x", "--flavor=acme", "--url=u", "--tags=[a"),
        says=("tags:", "valid list"),
    ),
    case(
        "wrong-type-on-update",
        *("experiment-tracker", "update", "tracker", "--retries=-1"),
        says=("retries:", "greater than or equal to 0", "'-1'"),
    ),
    case(
        "missing-required",
        *("experiment-tracker", "register", "x", "--flavor=acme", "--retries=2"),
        says=("experiment tracker flavor 'acme'", "url: required, but not given"),
    ),
    case(
        "duplicate-component",
        *("artifact-store", "register", "my_artifact_store", "--flavor=local"),
        says=("an artifact store named 'my_artifact_store' already exists",),
    ),
    case(
        "rename-onto-a-taken-name",
        *("artifact-store", "rename", "my_artifact_store", "default"),
        says=("an artifact store named 'default' already exists",),
    ),
    case(
        "delete-a-component-in-use",
        *("artifact-store", "delete", "my_artifact_store"),
        says=("'my_artifact_store' is used by the stack(s) 'my_stack', 'other'",),
    ),
    case(
        "delete-the-default-orchestrator",
        *("orchestrator", "delete", "default"),
        says=("used by the stack(s) 'default', 'my_stack', 'other'",),
    ),
    case(
        "describe-an-unknown-component",
        *("experiment-tracker", "describe", "nope"),
        says=("no experiment tracker named 'nope'", "registered: tracker"),
    ),
    case(
        "update-an-unknown-component",
        *("orchestrator", "update", "nope", "--max_parallel=2"),
        says=("no orchestrator named 'nope'", "registered: default"),
    ),
    case(
        "option-without-key",
        *("orchestrator", "register", "x", "--flavor=local", "--=4"),
        says=("config option '--=4' has no key", "--KEY=VALUE"),
    ),
    case(
        "stray-argument",
        *("orchestrator", "register", "x", "--flavor=local", "stray"),
        says=("unexpected argument 'stray'", "--KEY=VALUE"),
    ),
    case(
        "single-dash-option",
        *("orchestrator", "register", "x", "--flavor=local", "-p", "4"),
        says=("unexpected argument '-p'",),
    ),
    case(
        "key-given-twice",
        *("orchestrator", "register", "x", "-f", "local", "--max_parallel=2", "--max-parallel=3"),
        says=("config key 'max_parallel' is given twice",),
    ),
    case(
        "update-without-values",
        *("orchestrator", "update", "default"),
        says=("give at least one config value as --KEY=VALUE",),
    ),
    case(
        "update-with-a-stray-argument",
        *("experiment-tracker", "update", "tracker", "4"),
        says=("unexpected argument '4'",),
    ),
    case(
        "unknown-output-format",
        *("artifact-store", "list", "--output", "yaml"),
        says=("'yaml' is not one of 'table', 'json'",),
    ),
]

STACK_CASES = [
    case(
        "duplicate-stack",
        *("stack", "register", "my_stack", "-o", "default", "-a", "default"),
        says=("a stack named 'my_stack' already exists",),
    ),
    case(
        "copy-onto-a-taken-name",
        *("stack", "copy", "other", "my_stack"),
        says=("a stack named 'my_stack' already exists",),
    ),
    case(
        "rename-onto-a-taken-name",
        *("stack", "rename", "other", "my_stack"),
        says=("a stack named 'my_stack' already exists",),
    ),
    case(
        "delete-the-active-stack",
        *("stack", "delete", "my_stack", "-y"),
        says=("the stack 'my_stack' is active", "runstack stack set default"),
    ),
    case(
        "delete-the-active-stack-asks-nothing",
        *("stack", "delete", "my_stack"),
        says=("the stack 'my_stack' is active",),
    ),
    case(
        "delete-the-default-stack",
        *("stack", "delete", "default", "-y"),
        says=("the default stack cannot be deleted",),
    ),
    case(
        "delete-the-default-stack-asks-nothing",
        *("stack", "delete", "default"),
        says=("the default stack cannot be deleted",),
    ),
    case(
        "rename-the-default-stack",
        *("stack", "rename", "default", "main"),
        says=("the default stack cannot be renamed",),
    ),
    case(
        "set-an-unknown-stack",
        *("stack", "set", "nope"),
        says=("no stack named 'nope'", "registered: default, my_stack, other"),
    ),
    case("describe-an-unknown-stack", *("stack", "describe", "nope"), says=("no stack named",)),
    case("delete-an-unknown-stack", *("stack", "delete", "nope"), says=("no stack named",)),
    case("share-an-unknown-stack", *("stack", "share", "nope"), says=("no stack named",)),
    case(
        "export-an-unknown-stack",
        *("stack", "export", "nope", "nope.toml"),
        says=("no stack named 'nope'",),
    ),
    case(
        "export-onto-a-folder",
        *("stack", "export", "other", "."),
        says=("is a directory",),
    ),
    case(
        "no-orchestrator",
        *("stack", "register", "s", "-a", "default"),
        says=("a stack needs an orchestrator", "-o/--orchestrator"),
    ),
    case(
        "no-artifact-store",
        *("stack", "register", "s", "-o", "default"),
        says=("a stack needs an artifact store", "-a/--artifact-store"),
    ),
    case(
        "artifact-store-as-orchestrator",
        *("stack", "register", "s", "-o", "my_artifact_store", "-a", "default"),
        says=("'my_artifact_store' is an artifact store, not an orchestrator", "-a/--artifact"),
    ),
    case(
        "artifact-store-as-tracker",
        *("stack", "register", "s", "-o", "default", "-a", "default", "-e", "my_artifact_store"),
        says=("'my_artifact_store' is an artifact store, not an experiment tracker",),
    ),
    case(
        "tracker-as-orchestrator-on-update",
        *("stack", "update", "other", "-o", "tracker"),
        says=("'tracker' is an experiment tracker, not an orchestrator", "-e/--experiment"),
    ),
    case(
        "unknown-component",
        *("stack", "register", "s", "-o", "default", "-a", "nope"),
        says=("no artifact store named 'nope'", "registered: default, my_artifact_store"),
    ),
    case(
        "update-without-components",
        *("stack", "update", "other"),
        says=("name at least one component to change",),
    ),
    case(
        "remove-a-required-component",
        *("stack", "remove-component", "other", "orchestrator"),
        says=("needs an orchestrator, so it cannot be removed", "stack update other -o NAME"),
    ),
    case(
        "remove-a-component-the-stack-lacks",
        *("stack", "remove-component", "other", "experiment-tracker"),
        says=("the stack 'other' has no experiment tracker",),
    ),
    case(
        "remove-an-unknown-type",
        *("stack", "remove-component", "other", "widget"),
        says=("unknown component type 'widget'", "known types: orchestrator, artifact-store"),
    ),
    case(
        "unknown-option",
        *("stack", "register", "s", "-o", "default", "-a", "default", "--bogus"),
        says=("No such option '--bogus'",),
    ),
    case(
        "unknown-output-format",
        *("stack", "describe", "-o", "yaml"),
        says=("'yaml' is not one of 'table', 'json'",),
    ),
]


@pytest.mark.parametrize(("arguments", "says"), COMPONENT_CASES + STACK_CASES)
def test_bad_input_is_rejected_and_nothing_is_written(
    rejects: Cli, arguments: tuple[str, ...], says: tuple[str, ...]
) -> None:
    message = rejects(*arguments)

    assert all(fragment in message for fragment in says), message


# -- names -----------------------------------------------------------------------

BAD_NAMES = ["bad name", "bad/name", ".hidden", "x" * 65, "naïve", ""]
NAMING_COMMANDS = {
    "component-register": (("orchestrator", "register", "--flavor=local"), "orchestrator"),
    "component-rename": (("artifact-store", "rename", "my_artifact_store"), "artifact store"),
    "stack-register": (("stack", "register", "-o", "default", "-a", "default"), "stack"),
    "stack-rename": (("stack", "rename", "other"), "stack"),
    "stack-copy": (("stack", "copy", "other"), "stack"),
}


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("command", NAMING_COMMANDS)
def test_invalid_names_are_rejected(rejects: Cli, command: str, name: str) -> None:
    arguments, what = NAMING_COMMANDS[command]

    message = rejects(*arguments, name)

    assert message.startswith(f"Error: invalid {what} name {name!r}: use letters, digits")


def test_the_longest_valid_name_is_accepted(cli_ok: Cli) -> None:
    cli_ok("stack", "copy", "other", "x" * 64)


# -- stack files -----------------------------------------------------------------

STACK = '[stack]\nname = "s"\n'
ORCHESTRATOR = '\n[components.orchestrator]\nname = "default"\nflavor = "local"\n'
ARTIFACT_STORE = '\n[components.artifact_store]\nname = "default"\nflavor = "local"\n'
NEW_TRACKER = '\n[components.experiment_tracker]\nname = "new_tracker"\nflavor = "acme"\n'

FILE_CASES = [
    case("malformed", "not = [toml", says=("is not valid TOML",)),
    case("empty", "", says=("missing or invalid [stack] table",)),
    case("no-stack-table", ORCHESTRATOR, ARTIFACT_STORE, says=("invalid [stack] table",)),
    case("no-components-table", STACK, says=("missing or invalid [components] table",)),
    case("no-stack-name", "[stack]\n", ORCHESTRATOR, says=("stack.name must be",)),
    case(
        "unknown-component-type",
        STACK,
        ORCHESTRATOR.replace("orchestrator", "widget"),
        says=("[components.widget]", "unknown component type 'widget'"),
    ),
    case(
        "unknown-flavor",
        STACK,
        ORCHESTRATOR.replace("local", "kubernetes"),
        ARTIFACT_STORE,
        says=("the orchestrator 'default'", "unknown flavor 'kubernetes'", "installed: local"),
    ),
    case(
        "component-without-flavor",
        STACK,
        ORCHESTRATOR.replace('flavor = "local"', ""),
        ARTIFACT_STORE,
        says=("components.orchestrator.flavor must be a non-empty string",),
    ),
    case(
        "unknown-key-in-a-component",
        STACK,
        ORCHESTRATOR,
        ARTIFACT_STORE,
        'colour = "red"\n',
        says=("unknown key 'colour' in [components.artifact_store]",),
    ),
    case(
        "secrets-not-a-list",
        STACK,
        ORCHESTRATOR,
        ARTIFACT_STORE,
        'secrets = "token"\n',
        says=("components.artifact_store.secrets must be a list",),
    ),
    case(
        "no-artifact-store",
        STACK,
        ORCHESTRATOR,
        says=("a stack needs an artifact store", "[components.artifact_store]"),
    ),
    case(
        "invalid-config",
        STACK,
        ORCHESTRATOR,
        'config = { max_parallel = "many" }\n',
        ARTIFACT_STORE,
        says=("the orchestrator 'default'", "max_parallel:", "valid integer"),
    ),
    case(
        "required-value-was-a-secret",
        STACK,
        ORCHESTRATOR,
        ARTIFACT_STORE,
        NEW_TRACKER,
        'secrets = ["token"]\n',
        says=(
            "leaves out secrets its components need: experiment_tracker.token",
            "--secret experiment_tracker.token=",
        ),
    ),
    case(
        "same-name-other-config",
        STACK,
        NEW_TRACKER,
        'config = { url = "http://new" }\n',
        ORCHESTRATOR,
        ARTIFACT_STORE.replace("default", "my_artifact_store"),
        says=("an artifact store named 'my_artifact_store' already exists with another",),
    ),
    case(
        "taken-stack-name",
        STACK.replace('"s"', '"my_stack"'),
        ORCHESTRATOR,
        ARTIFACT_STORE,
        says=("a stack named 'my_stack' already exists",),
    ),
]


@pytest.mark.parametrize(("parts", "says"), FILE_CASES)
def test_bad_stack_files_are_rejected_and_nothing_is_written(
    rejects: Cli, parts: tuple[str, ...], says: tuple[str, ...]
) -> None:
    Path("stack.toml").write_text("".join(parts), encoding="utf-8")

    message = rejects("stack", "import", "stack.toml")

    assert all(fragment in message for fragment in says), message
    assert "stack.toml" in message


def test_a_missing_stack_file_is_named(rejects: Cli) -> None:
    assert "no stack file at missing.toml" in rejects("stack", "import", "missing.toml")


def test_an_invalid_name_for_an_import_is_rejected(rejects: Cli) -> None:
    Path("stack.toml").write_text(STACK + ORCHESTRATOR + ARTIFACT_STORE, encoding="utf-8")

    assert "invalid stack name 'bad name'" in rejects(
        "stack", "import", "stack.toml", "--name", "bad name"
    )
