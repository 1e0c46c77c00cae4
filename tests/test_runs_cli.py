"""The run metadata CLI: `pipeline run/list`, `run list/describe/logs/delete`,
`artifact list/describe`, and running one pipeline unchanged on another stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy
import pytest

from pipeline_helpers import artifact_path, run_name_in
from runstack import Client, pipeline, step
from runstack.errors import ConfigError
from runstack.testing import parse_table

Cli = Callable[..., str]
CliFails = Callable[..., tuple[str, str]]
CliJson = Callable[..., Any]
RunCli = Callable[..., Any]
RunFlow = Callable[..., str]

FLOW = """
import logging


@step
def load(n: int = 3) -> list[int]:
    print(f"loading {n} rows")
    logging.getLogger("flow").warning("slow disk")
    return list(range(n))


@step
def train(values: list[int], rate: float = 0.5) -> Annotated[float, "model"]:
    return sum(values) * rate


@step
def report(model: float) -> None:
    print(f"model is {model}")


@pipeline
def flow(n: int = 3) -> None:
    report(train(load(n=n)))


@step
def broken() -> int:
    raise RuntimeError("no data")


@pipeline
def fails() -> None:
    broken()


not_a_pipeline = load
"""


@pytest.fixture
def flow_file(write_module: Callable[..., Path]) -> Path:
    return write_module(FLOW)


@pytest.fixture
def run_flow(cli_ok: Cli, flow_file: Path) -> RunFlow:
    """`runstack pipeline run <flow file>:flow [OPTIONS]`, which must succeed; the run name."""

    def run(*options: str) -> str:
        return run_name_in(cli_ok("pipeline", "run", f"{flow_file}:flow", *options))

    return run


@pytest.fixture
def other_stack(cli_ok: Cli, tmp_path: Path) -> Path:
    """Register the stack `other` with its own artifact store folder; that folder."""
    folder = tmp_path / "other_store"
    cli_ok("artifact-store", "register", "other_store", "--flavor=local", f"--path={folder}")
    cli_ok("stack", "register", "other", "-o", "default", "-a", "other_store")
    return folder


def test_pipeline_run_prints_the_stack_the_run_and_each_step(cli_ok: Cli, flow_file: Path) -> None:
    output = cli_ok("pipeline", "run", f"{flow_file}:flow")
    run = Client().runs.get(run_name_in(output))
    assert output.startswith(
        "Running pipeline 'flow' on stack 'default' "
        "(orchestrator 'default', artifact store 'default').\n"
        f"Run '{run.name}' (id {run.id}).\n"
    )
    for step_name in ("load", "train", "report"):
        assert f"  ✔ {step_name} completed (" in output
    assert "model is 1.5" in output
    assert run.status.value == "completed"


def test_pipeline_run_imports_a_dotted_module_from_the_working_directory(
    cli_ok: Cli, write_module: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    package = write_module(FLOW, name="training").parent
    (package / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.chdir(package.parent)
    name = run_name_in(cli_ok("pipeline", "run", f"{package.name}.training:flow"))
    assert Client().runs.get(name).record.pipeline_name == "flow"


def test_pipeline_run_applies_a_run_config(run_flow: RunFlow, tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text('run_name = "configured"\n[parameters]\nn = 5\n', encoding="utf-8")
    assert run_flow("--config", str(config)) == "configured"
    run = Client().runs.get("configured")
    assert run.record.parameters == {"n": 5}
    assert run.steps["train"].outputs["model"].load() == 5.0


def test_pipeline_list_counts_the_runs_of_each_pipeline(
    run_flow: RunFlow, cli_fails: CliFails, flow_file: Path, cli_ok: Cli, cli_json: CliJson
) -> None:
    run_flow()
    run_flow()
    cli_fails("pipeline", "run", f"{flow_file}:fails")
    result = cli_json("pipeline", "list")
    assert [(p["name"], p["runs"]) for p in result] == [("fails", 1), ("flow", 2)]
    assert all(p["last_run"] and p["created"] and p["id"] for p in result)
    rows = parse_table(cli_ok("pipeline", "list"))
    assert [(row["PIPELINE"], row["RUNS"]) for row in rows] == [("fails", "1"), ("flow", "2")]


def test_run_list_filters_by_pipeline_stack_and_status(
    run_flow: RunFlow,
    cli_fails: CliFails,
    flow_file: Path,
    other_stack: Path,
    cli_ok: Cli,
    cli_json: CliJson,
) -> None:
    first = run_flow()
    failed = run_name_in(cli_fails("pipeline", "run", f"{flow_file}:fails")[0])
    elsewhere = run_flow("--stack", "other")
    assert Client().get_stack().name == "default"

    def names(*filters: str) -> list[str]:
        return [run["name"] for run in cli_json("run", "list", *filters)]

    assert names() == [elsewhere, failed, first]
    assert names("--pipeline", "flow") == [elsewhere, first]
    assert names("--status", "failed") == [failed]
    assert names("--stack", "other") == [elsewhere]
    assert names("--stack", "default", "--pipeline", "flow") == [first]
    rows = parse_table(cli_ok("run", "list", "--status", "completed", "--stack", "other"))
    assert [(r["RUN NAME"], r["PIPELINE"], r["STATUS"], r["STACK"]) for r in rows] == [
        (elsewhere, "flow", "completed", "other")
    ]


def test_run_describe_shows_steps_status_duration_reason_and_outputs(
    run_flow: RunFlow, cli_ok: Cli, cli_json: CliJson
) -> None:
    first = run_flow()
    second = run_flow()
    rows = parse_table(cli_ok("run", "describe", second))
    assert [(r["STEP"], r["STATUS"], r["WHY"]) for r in rows] == [
        ("load", "cached", f"cached from run {first}"),
        ("train", "cached", f"cached from run {first}"),
        ("report", "cached", f"cached from run {first}"),
    ]
    assert all(row["DURATION"].endswith("s") for row in rows)
    assert rows[1]["OUTPUTS"].startswith("model (")
    described = cli_json("run", "describe", first)
    assert (described["name"], described["pipeline"], described["status"]) == (
        first,
        "flow",
        "completed",
    )
    assert described["stack"]["name"] == "default"
    train = described["steps"][1]
    assert (train["name"], train["reason"], train["cached_from"]) == (
        "train",
        "no earlier run",
        None,
    )
    assert train["duration"] >= 0
    assert train["inputs"]["values"]["uri"] == f"flow/{described['id']}/load/output"
    model = train["outputs"]["model"]
    assert (model["type"], model["materializer"]) == ("builtins.float", "json")


def test_run_logs_prints_what_each_step_printed_and_logged(run_flow: RunFlow, cli_ok: Cli) -> None:
    name = run_flow()
    everything = cli_ok("run", "logs", name)
    assert everything.startswith("==> load (completed) <==\nloading 3 rows\n")
    assert "WARNING flow: slow disk" in everything
    assert "==> train (completed) <==\n(no output)\n" in everything
    assert "==> report (completed) <==\nmodel is 1.5\n" in everything
    assert cli_ok("run", "logs", name, "report") == "==> report (completed) <==\nmodel is 1.5\n"


def test_run_logs_of_a_cached_step_show_the_run_that_made_its_outputs(
    run_flow: RunFlow, cli_ok: Cli
) -> None:
    first = run_flow()
    second = run_flow()
    logs = cli_ok("run", "logs", second, "load")
    assert logs.splitlines()[:3] == [
        "==> load (cached) <==",
        f"Its outputs come from run {first}, where the step printed:",
        "loading 3 rows",
    ]
    assert "slow disk" in logs


def test_run_describe_shows_the_parameters_and_which_one_changed(
    run_flow: RunFlow, cli_ok: Cli
) -> None:
    run_flow()
    second = run_flow("--param", "n=5")
    described = cli_ok("run", "describe", second)
    assert "Parameters: n=5\n" in described
    rows = {row["STEP"]: row["WHY"] for row in parse_table(described)}
    assert rows["load"] == "parameter changed: n 3 -> 5"
    assert rows["train"] == "input changed: values"


def test_run_logs_of_a_failed_step_hold_the_full_traceback(
    cli_fails: CliFails, flow_file: Path, cli_ok: Cli
) -> None:
    output, error = cli_fails("pipeline", "run", f"{flow_file}:fails")
    name = run_name_in(output)
    assert error == (
        f"Error: run '{name}' failed: step 'broken' raised RuntimeError: no data "
        f"(full log: runstack run logs {name} broken)"
    )
    logs = cli_ok("run", "logs", name, "broken")
    assert "runstack/pipelines/execution.py" in logs
    assert logs.rstrip().endswith("RuntimeError: no data")


def test_run_delete_asks_then_removes_the_run_and_its_files(
    run_flow: RunFlow,
    cli_ok: Cli,
    cli_fails: CliFails,
    cli_error: Cli,
    cli_json: CliJson,
) -> None:
    name = run_flow()
    files = artifact_path(Client().runs.get(name).steps["load"].outputs["output"])
    assert cli_fails("run", "delete", name, input="n\n")[1] == "Error: aborted"
    assert files.exists()
    assert cli_ok("run", "delete", name, "-y") == f"Deleted run '{name}'.\n"
    assert not files.exists()
    assert cli_json("run", "list") == []
    assert cli_json("artifact", "list") == []
    assert cli_error("run", "describe", name) == (
        f"Error: no run named '{name}'; see 'runstack run list'"
    )


def test_deleting_runs_keeps_files_another_run_reuses_until_the_last_goes(
    run_flow: RunFlow, cli_ok: Cli, cli_json: CliJson
) -> None:
    first, second = run_flow(), run_flow()
    shared = Client().runs.get(second).steps["train"].outputs["model"]
    cli_ok("run", "delete", first, "--yes")
    assert shared.load() == 1.5
    assert len(cli_json("artifact", "list")) == 2
    cli_ok("run", "delete", second, "--yes")
    assert not artifact_path(shared).exists()
    assert cli_json("artifact", "list") == []


def test_artifact_list_shows_type_materializer_and_size(
    run_flow: RunFlow, cli_ok: Cli, cli_json: CliJson
) -> None:
    run = Client().runs.get(run_flow())
    rows = parse_table(cli_ok("artifact", "list"))
    assert sorted((r["NAME"], r["VERSION"], r["TYPE"], r["MATERIALIZER"]) for r in rows) == [
        ("flow::load::output", "1", "builtins.list", "json"),
        ("model", "1", "builtins.float", "json"),
    ]
    listed = {a["name"]: a for a in cli_json("artifact", "list")}
    model = listed["model"]
    assert model["uri"] == f"flow/{run.id}/train/model"
    assert (
        model["size"]
        == artifact_path(run.steps["train"].outputs["model"]).joinpath("value.json").stat().st_size
    )
    assert model["producer_step_run_id"] == run.steps["train"].record.id


def test_artifact_describe_shows_its_lineage(
    run_flow: RunFlow, cli_ok: Cli, cli_json: CliJson
) -> None:
    first, second = run_flow(), run_flow()
    values = Client().runs.get(first).steps["load"].outputs["output"].id
    text = cli_ok("artifact", "describe", values[:8])
    assert f"Produced by step 'load' (output 'output') of run {first}." in text
    assert f"Reused from the cache by step 'load' of run {second}." in text
    assert f"Read by step 'train' (input 'values') of run {first}." in text
    lineage = cli_json("artifact", "describe", values)
    assert lineage["artifact"]["id"] == values
    assert lineage["produced_by"] == [{"run": first, "step": "load", "output": "output"}]
    assert lineage["reused_by"] == [{"run": second, "step": "load", "output": "output"}]
    assert lineage["consumed_by"] == [
        {"run": name, "step": "train", "input": "values"} for name in (first, second)
    ]


def test_artifact_list_filters_by_run_pipeline_and_step_and_shows_sizes_with_units(
    run_flow: RunFlow, cli_ok: Cli, cli_json: CliJson
) -> None:
    first = run_flow()
    second = run_flow("--param", "n=4")

    def names(*filters: str) -> list[str]:
        return sorted(a["name"] for a in cli_json("artifact", "list", *filters))

    assert names("--run", first) == ["flow::load::output", "model"]
    assert names("--step", "train") == ["model"] * 2
    assert names("--pipeline", "flow", "--step", "load", "-n", "1") == ["flow::load::output"]
    assert names("--pipeline", "other") == []
    [newest] = cli_json("artifact", "list", "--step", "load", "-n", "1")
    assert newest["id"] == Client().runs.get(second).steps["load"].outputs["output"].id
    sizes = [row["SIZE"] for row in parse_table(cli_ok("artifact", "list"))]
    assert sizes and all(size.endswith(" B") for size in sizes)


def test_artifact_load_prints_json_values_and_exports_in_natural_formats(
    run_flow: RunFlow, run_cli: RunCli, cli_ok: Cli, tmp_path: Path
) -> None:
    run = Client().runs.get(run_flow())
    values = run.steps["load"].outputs["output"].id
    assert json.loads(cli_ok("artifact", "load", values[:8])) == [0, 1, 2]
    target = tmp_path / "values.json"
    cli_ok("artifact", "export", values, "-o", str(target))
    assert json.loads(target.read_text(encoding="utf-8")) == [0, 1, 2]

    wrong = run_cli("artifact", "load", values, "-o", str(tmp_path / "values.npy"))
    assert wrong.exit_code != 0
    assert "written as .json: name the file values.json" in wrong.stderr
    assert not (tmp_path / "values.npy").exists()

    saved = numpy.arange(6).reshape(2, 3)

    @step
    def make() -> numpy.ndarray:
        return saved

    @pipeline
    def arrays() -> None:
        make()

    made = arrays().steps["make"].outputs["output"].id
    printed = run_cli("artifact", "load", made)
    assert printed.exit_code != 0
    assert "holds a numpy.ndarray, which is not printed; write it to a file: -o FILE.npy" in (
        printed.stderr
    )
    cli_ok("artifact", "load", made, "-o", str(tmp_path / "made.npy"))
    assert numpy.array_equal(numpy.load(tmp_path / "made.npy"), saved)


def test_a_run_is_found_by_name_id_or_id_prefix(run_flow: RunFlow) -> None:
    name = run_flow()
    run = Client().runs.get(name)
    assert Client().runs.get(run.id).name == name
    assert Client().runs.get(run.id[:8]).name == name


def test_the_same_pipeline_runs_unchanged_on_another_stack(
    run_flow: RunFlow, other_stack: Path, cli_ok: Cli, cli_json: CliJson
) -> None:
    on_default = run_flow()
    cli_ok("stack", "set", "other")
    on_other = run_flow()
    run = Client().runs.get(on_other)
    assert {step_run.record.reason for step_run in run.steps.values()} == {"no earlier run"}
    assert sorted(path.name for path in other_stack.iterdir()) == ["flow"]
    assert (other_stack / "flow" / run.id / "train" / "model" / "value.json").is_file()
    assert [r["name"] for r in cli_json("run", "list", "--stack", "other")] == [on_other]
    assert [r["name"] for r in cli_json("run", "list", "--stack", "default")] == [on_default]
    assert [r.name for r in Client().runs.list(stack="other")] == [on_other]
    assert run.steps["train"].outputs["model"].load() == 1.5


def test_run_list_shows_the_newest_runs_and_says_how_many_it_left_out(
    run_cli: Callable[..., Any],
) -> None:
    @step
    def one(index: int) -> int:
        return index

    @pipeline(name="counted", enable_cache=False)
    def counted(index: int = 0) -> None:
        one(index=index)

    names = [counted(index=index).name for index in range(3)]
    limited = run_cli("run", "list", "--limit", "2", "-o", "json")
    assert limited.exit_code == 0
    assert [r["name"] for r in json.loads(limited.stdout)] == names[::-1][:2]
    assert "Showing the 2 newest of 3 runs; use --limit N or --all." in limited.stderr
    everything = run_cli("run", "list", "--all", "-o", "json")
    assert [r["name"] for r in json.loads(everything.stdout)] == names[::-1]
    assert everything.stderr == ""


def test_run_compare_shows_parameters_steps_and_outputs_that_differ_by_content(
    run_flow: RunFlow, cli_ok: Cli, tmp_path: Path
) -> None:
    first = run_flow()
    changed = run_flow("--param", "n=5")
    config = tmp_path / "no_cache.toml"
    config.write_text("enable_cache = false\n", encoding="utf-8")
    again = run_flow("--config", str(config))

    compared = json.loads(cli_ok("run", "compare", first, changed, "-o", "json"))
    assert compared["parameters"] == [
        {"name": "n", "a": 3, "b": 5, "in_a": True, "in_b": True, "differs": True}
    ]
    steps = {s["name"]: s for s in compared["steps"]}
    assert steps["load"]["outputs"] == {"output": "different"}
    assert (steps["load"]["a"]["status"], steps["load"]["b"]["status"]) == (
        "completed",
        "completed",
    )
    # Made again from scratch, the same values: new artifacts, the same content.
    rerun = json.loads(cli_ok("run", "compare", first, again, "-o", "json"))
    assert {s["name"]: s["outputs"] for s in rerun["steps"]} == {
        "load": {"output": "same"},
        "train": {"model": "same"},
        "report": {},
    }
    assert rerun["steps"][0]["a"]["outputs"] != rerun["steps"][0]["b"]["outputs"]

    table = cli_ok("run", "compare", first, changed)
    assert f"Run A: {first} (completed, stack default)" in table
    steps_table = table[table.rindex("┏") :]
    rows = {row["STEP"]: row for row in parse_table(steps_table)}
    assert rows["train"]["OUTPUTS"] == "model: different"


def test_results_have_short_reprs_and_dir_shows_the_public_names(run_flow: RunFlow) -> None:
    import runstack

    assert {"Client", "pipeline", "step", "PipelineRun", "__version__"} <= set(dir(runstack))
    run = Client().runs.get(run_flow())
    shown = [repr(run), repr(run.steps["train"]), repr(run.steps["train"].outputs["model"])]
    assert shown[0] == f"<PipelineRun {run.name} of flow completed, steps: load, train, report>"
    assert shown[1] == "<StepRun train completed, outputs: model>"
    assert shown[2].startswith("<Artifact model v1 (builtins.float, ")
    assert all(len(text) < 200 for text in shown)


def test_the_client_reads_runs_and_artifacts_as_the_readme_shows(run_flow: RunFlow) -> None:
    client = Client()
    name = run_flow()
    run = client.get_run(name)
    model = run.steps["train"].outputs["model"]
    assert client.get_artifact(model.id[:8]).load() == model.load() == 1.5
    assert client.get_run(run.id[:8]).name == name
    [listed] = client.artifacts.list(run=name, step="train")
    assert listed.id == model.id


def test_runs_are_read_a_page_at_a_time_with_limit_and_offset(
    run_flow: RunFlow, other_stack: Path
) -> None:
    newest_first = [run_flow() for _ in range(4)][::-1]
    run_flow("--stack", "other")
    runs = Client().runs
    assert [r.name for r in runs.list(stack="default", limit=2, offset=1)] == newest_first[1:3]
    assert [r.name for r in runs.list(stack="default", offset=3)] == newest_first[3:]
    assert [r.name for r in runs.list(limit=2, offset=4)] == newest_first[3:]
    assert runs.list(limit=2, offset=5) == []
    with pytest.raises(ConfigError, match="offset must be 0 or more, not -1"):
        runs.list(offset=-1)
