"""Pipeline and step parameters: checked against their annotations before any step runs,
given on the command line with `--param`, and import errors that say where they are."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline_helpers import run_name_in
from runstack import Client
from runstack.errors import ConfigError

Cli = Callable[..., str]
WriteModule = Callable[..., Path]

FLOW = """
from typing import Literal, Optional


@step
def double(k: int = 1, rate: float = 0.5) -> float:
    return k * 2 * rate


@step
def count(values: list[int], mode: Literal["sum", "len"] = "sum", limit: int = None) -> int:
    return sum(values) if mode == "sum" else len(values)


@step
def record(total: float, label: Optional[str] = None) -> str:
    return f"{label}: {total}"


@pipeline
def flow(k: int, values: list[int] = [1, 2], label: str = "total") -> None:
    record(double(k), label=label)
    count(values)
"""


@pytest.fixture
def flow_file(write_module: WriteModule) -> Path:
    return write_module(FLOW)


@pytest.fixture
def no_run_yet(cli_json: Callable[..., Any]) -> Callable[[], None]:
    def check() -> None:
        assert cli_json("run", "list") == []

    return check


def case(id: str, config: str, *says: str) -> Any:
    return pytest.param(textwrap.dedent(config), says, id=id)


BAD_CONFIGS = [
    case(
        "string-for-int",
        '[parameters]\nk = "abc"\n',
        "pipeline 'flow': parameter 'k' should be int, got 'abc'",
    ),
    case(
        "numeric-string-is-not-coerced",
        '[parameters]\nk = "3"\n',
        "pipeline 'flow': parameter 'k' should be int, got '3'",
    ),
    case(
        "item-of-a-list",
        '[parameters]\nk = 1\nvalues = [1, "x"]\n',
        "pipeline 'flow': parameter 'values' should be list[int], got [1, 'x']",
    ),
    case(
        "step-parameter",
        "[parameters]\nk = 1\n[steps.double.parameters]\nrate = true\n",
        "step 'double': parameter 'rate' should be float, got True",
    ),
    case(
        "literal",
        '[parameters]\nk = 1\n[steps.count.parameters]\nmode = "max"\n',
        "step 'count': parameter 'mode' should be Literal['sum', 'len'], got 'max'",
    ),
    case(
        "string-passed-on-to-a-step",
        "[parameters]\nk = 1\nlabel = 3\n",
        "pipeline 'flow': parameter 'label' should be str, got 3",
    ),
]


@pytest.mark.parametrize(("config", "says"), BAD_CONFIGS)
def test_a_parameter_of_the_wrong_type_is_refused_before_any_step_runs(
    cli_error: Cli,
    flow_file: Path,
    tmp_path: Path,
    no_run_yet: Callable[[], None],
    config: str,
    says: tuple[str, ...],
) -> None:
    config_path = tmp_path / "run.toml"
    config_path.write_text(config, encoding="utf-8")
    message = cli_error("pipeline", "run", f"{flow_file}:flow", "--config", str(config_path))
    for part in says:
        assert part in message, message
    no_run_yet()


def test_a_wrong_type_in_python_is_refused_the_same_way(
    import_module: Callable[[str], Any], no_run_yet: Callable[[], None]
) -> None:
    module = import_module(FLOW)
    with pytest.raises(ConfigError, match="parameter 'k' should be int, got 'abc'"):
        module.flow(k="abc")
    with pytest.raises(ConfigError, match=r"parameter 'values' should be list\[int\]"):
        module.flow(k=1, values=["a"])
    no_run_yet()


def test_a_wrong_type_for_a_step_in_the_pipeline_code_is_refused(
    import_module: Callable[[str], Any], no_run_yet: Callable[[], None]
) -> None:
    module = import_module(FLOW.replace("record(double(k), label=label)", 'double(k="x")'))
    with pytest.raises(ConfigError, match="step 'double': parameter 'k' should be int, got 'x'"):
        module.flow(k=1)
    no_run_yet()


def test_values_python_accepts_for_an_annotation_are_accepted(
    import_module: Callable[[str], Any], tmp_path: Path
) -> None:
    """An int for a float, None for an optional or a None default, JSON data for generics."""
    config = tmp_path / "run.toml"
    config.write_text("[steps.double.parameters]\nrate = 1\n", encoding="utf-8")
    run = import_module(FLOW).flow.with_options(config_path=config)(k=3, values=[4, 5])
    assert run.steps["record"].outputs["output"].load() == "total: 6"
    assert run.steps["count"].outputs["output"].load() == 9
    recorded = Client().runs.get(run.id).record.parameters
    assert recorded == {"k": 3, "values": [4, 5], "label": "total"}


def run_parameters(output: str) -> dict[str, Any]:
    parameters: dict[str, Any] = Client().runs.get(run_name_in(output)).record.parameters
    return parameters


def test_parameters_are_given_on_the_command_line(cli_ok: Cli, flow_file: Path) -> None:
    output = cli_ok(
        "pipeline", "run", f"{flow_file}:flow", "--param", "k=3", "--param", "values=[4, 5]",
        "--param", "label=sum of it",
    )  # fmt: skip
    assert run_parameters(output) == {"k": 3, "values": [4, 5], "label": "sum of it"}


@pytest.mark.parametrize(
    ("given", "read_as"),
    [
        pytest.param("k=3", ("k", 3), id="number"),
        pytest.param("values=[1, 2]", ("values", [1, 2]), id="list"),
        pytest.param('label="3"', ("label", "3"), id="quoted-json"),
        pytest.param("label='3'", ("label", "3"), id="quoted-toml"),
        pytest.param("label=x", ("label", "x"), id="word"),
        pytest.param("label=", ("label", ""), id="empty"),
        pytest.param("label=a=b", ("label", "a=b"), id="equals-sign-in-value"),
        pytest.param("label=2024", ("label", "2024"), id="number-for-a-str-parameter"),
        pytest.param("label=[1]", ("label", "[1]"), id="list-for-a-str-parameter"),
    ],
)
def test_a_param_value_is_a_toml_or_json_literal_or_else_a_string(
    cli_ok: Cli, flow_file: Path, given: str, read_as: tuple[str, Any]
) -> None:
    name, value = read_as
    required = () if name == "k" else ("--param", "k=1")
    output = cli_ok("pipeline", "run", f"{flow_file}:flow", *required, "--param", given)
    assert run_parameters(output)[name] == value


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param(
            (), ("needs a value for parameter 'k' (int)", "--param k=", "--config"), id="missing"
        ),
        pytest.param(("--param", "k=abc"), ("parameter 'k' should be int, got 'abc'",), id="type"),
        pytest.param(("--param", "k"), ("--param takes NAME=VALUE, got 'k'",), id="no-equals"),
        pytest.param(
            ("--param", "k=1", "--param", "size=2"),
            ("has no parameter 'size'", "takes: k, values, label"),
            id="unknown",
        ),
        pytest.param(
            ("--param", "k=1", "--param", "k=2"), ("--param 'k' is given twice",), id="twice"
        ),
        pytest.param(
            ("--param", "k=1", "--param", "values=" + "[" * 5000 + "]" * 5000),
            ("--param 'values': the value is nested too deeply to read",),
            id="nested-too-deeply",
        ),
    ],
)
def test_bad_params_are_refused_before_the_run(
    cli_error: Cli,
    flow_file: Path,
    no_run_yet: Callable[[], None],
    arguments: tuple[str, ...],
    says: tuple[str, ...],
) -> None:
    message = cli_error("pipeline", "run", f"{flow_file}:flow", *arguments)
    for part in says:
        assert part in message, message
    no_run_yet()


def test_a_parameter_given_both_as_param_and_in_the_run_config_is_refused(
    cli_error: Cli, flow_file: Path, tmp_path: Path, no_run_yet: Callable[[], None]
) -> None:
    config = tmp_path / "run.toml"
    config.write_text("[parameters]\nk = 2\n", encoding="utf-8")
    message = cli_error(
        "pipeline", "run", f"{flow_file}:flow", "--param", "k=1", "--config", str(config)
    )
    assert "parameter 'k' is given twice: 1 (in the call or --param) and 2 (in" in message
    no_run_yet()


# -- a pipeline file that fails to import ----------------------------------------------


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_an_error_importing_the_pipeline_file_names_its_file_and_line(
    cli_error: Cli, write_module: WriteModule
) -> None:
    broken = write_module(FLOW + "\nLIMIT = undefined_name + 1\n")
    message = cli_error("pipeline", "run", f"{broken}:flow")
    assert "NameError: name 'undefined_name' is not defined" in message, message
    assert f"{broken}, line {line_of(broken, 'undefined_name')}" in message, message
    assert "--debug" in message


def test_an_error_in_a_module_the_file_imports_names_that_module_and_line(
    cli_error: Cli, write_module: WriteModule
) -> None:
    flow = write_module(FLOW)
    helper = flow.parent / "settings_helper.py"
    helper.write_text("import os\n\nLIMIT = int('ten')\n", encoding="utf-8")
    flow.write_text(flow.read_text(encoding="utf-8") + "\nimport settings_helper\n")
    message = cli_error("pipeline", "run", f"{flow}:flow")
    assert "ValueError: invalid literal for int()" in message, message
    assert f"{helper}, line 3" in message, message


def test_a_syntax_error_names_the_file_and_line(cli_error: Cli, write_module: WriteModule) -> None:
    broken = write_module(FLOW + "\ndef broken(:\n")
    message = cli_error("pipeline", "run", f"{broken}:flow")
    assert "SyntaxError" in message and f"{broken}, line {line_of(broken, 'def broken')}" in message


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            "double()['total']", "TypeError: 'OutputHandle' object is not subscriptable", id="bug"
        ),
        pytest.param("sys.exit(0)", "SystemExit: 0", id="exits"),  # not a silent exit 0
    ],
)
def test_an_error_in_the_pipeline_function_names_its_file_and_line(
    cli_error: Cli, write_module: WriteModule, body: str, error: str
) -> None:
    broken = write_module(
        FLOW + f"\n\nimport sys\n\n\n@pipeline\ndef wired() -> None:\n    {body}\n"
    )
    message = cli_error("pipeline", "run", f"{broken}:wired")
    assert message.startswith(f"Error: cannot build pipeline 'wired': {error} ("), message
    assert f"{broken}, line {line_of(broken, body)}" in message, message
    assert "--debug" in message


@pytest.mark.parametrize("how", ["option", "environment"])
def test_debug_prints_the_traceback_before_the_one_line_error(
    run_cli: Callable[..., Any],
    write_module: WriteModule,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    broken = write_module(FLOW + "\nLIMIT = undefined_name + 1\n")
    arguments = ["pipeline", "run", f"{broken}:flow"]
    if how == "option":
        arguments.insert(0, "--debug")
    else:
        monkeypatch.setenv("RUNSTACK_DEBUG", "1")
    result = run_cli(*arguments)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):", result.stderr
    assert f'File "{broken}", line {line_of(broken, "undefined_name")}' in result.stderr
    assert lines[-1].startswith("Error: cannot import"), result.stderr


def test_without_debug_an_error_is_one_line(
    run_cli: Callable[..., Any], write_module: WriteModule, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNSTACK_DEBUG", "0")
    broken = write_module(FLOW + "\nLIMIT = undefined_name + 1\n")
    result = run_cli("pipeline", "run", f"{broken}:flow")
    assert len(result.stderr.splitlines()) == 1, result.stderr
