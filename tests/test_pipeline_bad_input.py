"""Bad pipelines, run configs and targets: a clear `Error: ...`, a non-zero exit, and nothing
half-written (no run recorded when the mistake is found before the first step)."""

from __future__ import annotations

import shutil
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline_helpers import artifact_path, run_name_in
from runstack import BaseArtifactStore, Client, pipeline, step
from runstack.errors import AlreadyExistsError, ConfigError, NotFoundError
from runstack.materializers import MaterializerWarning
from runstack.pipelines.runner import PipelineRunError

Cli = Callable[..., str]
CliFails = Callable[..., tuple[str, str]]
WriteModule = Callable[..., Path]
Snapshot = Callable[[], dict[str, Any]]

STEPS = """
@step
def make() -> int:
    return 1


@step
def use(value: int) -> None:
    pass


"""


@pytest.fixture
def snapshot(cli_json: Callable[..., Any], runstack_home: Path) -> Snapshot:
    """What a run could leave behind: runs, pipelines, artifacts and files in artifact stores."""

    def take() -> dict[str, Any]:
        stores = runstack_home / "artifact_stores"
        return {
            "runs": cli_json("run", "list"),
            "pipelines": cli_json("pipeline", "list"),
            "artifacts": cli_json("artifact", "list"),
            "files": sorted(str(path) for path in stores.rglob("*")),
        }

    return take


def case(id: str, text: str, *says: str) -> Any:
    """A parametrized case: the (dedented) source or config, and what the error must say."""
    return pytest.param(textwrap.dedent(text), says, id=id)


PIPELINE_CASES = [
    case(
        "cycle-of-after-edges",
        """
        @pipeline
        def flow() -> None:
            first = make()
            second = use(first)
            first.after(second)
        """,
        "pipeline 'flow' has a cycle: ",
        "remove one of its .after() edges",
    ),
    case(
        "handle-from-another-pipeline",
        """
        leaked = []


        @pipeline
        def other() -> None:
            leaked.append(make())


        other.compile()


        @pipeline
        def flow() -> None:
            use(leaked[0])
        """,
        "step 'use': input 'value' is an output of another pipeline",
    ),
    case(
        "generator-input",
        """
        @pipeline
        def flow() -> None:
            use(value for value in range(3))
        """,
        "step 'use': input 'value' is a generator or iterator",
        "pass a list",
    ),
    case(
        "unserialisable-step-parameter",
        """
        @pipeline
        def flow() -> None:
            use(object())
        """,
        "step 'use': parameter 'value' is of type object, which is not JSON-serialisable",
    ),
    case(
        "unserialisable-pipeline-parameter",
        """
        @pipeline
        def flow(when: object = {1, 2}) -> None:
            use(1)
        """,
        "pipeline 'flow': parameter 'when' is of type set, which is not JSON-serialisable",
    ),
    case(
        "several-outputs-as-one-input",
        """
        @step
        def pair() -> tuple[int, int]:
            return 1, 2


        @pipeline
        def flow() -> None:
            use(pair())
        """,
        "step 'use': input 'value' is annotated int but is given 2 outputs, which the step "
        "receives as one tuple; annotate it as a tuple, or pass one output",
    ),
    case(
        "missing-step-argument",
        """
        @pipeline
        def flow() -> None:
            use()
        """,
        "step 'use': missing a required argument: 'value'",
    ),
    case(
        "no-step-called",
        """
        @pipeline
        def flow() -> None:
            pass
        """,
        "pipeline 'flow' calls no step",
    ),
    case(
        "step-with-star-args",
        """
        @step
        def gather(*values: int) -> int:
            return sum(values)
        """,
        "step 'gather' takes *values; steps need named parameters",
    ),
    case(
        "unresolvable-annotation",
        """
        @step
        def typed(frame: DataFrame) -> None:
            pass
        """,
        "step 'typed' has annotations that cannot be resolved",
        "name 'DataFrame' is not defined",
    ),
]


@pytest.mark.parametrize(("source", "says"), PIPELINE_CASES)
def test_a_bad_pipeline_is_rejected_before_it_runs(
    rejects: Cli, write_module: WriteModule, source: str, says: tuple[str, ...]
) -> None:
    flow = write_module(STEPS + source)
    message = rejects("pipeline", "run", f"{flow}:flow")
    for part in says:
        assert part in message


GOOD_PIPELINE = """
@pipeline
def flow(count: int = 1) -> None:
    use(make())
"""

CONFIG_CASES = [
    case("malformed-toml", "retries = ", "is not valid TOML"),
    case(
        "unknown-top-level-key",
        "retires = 2\n",
        "retires: unknown key; valid top-level keys: run_name, enable_cache, retries",
    ),
    case(
        "unknown-step-key",
        "[steps.use]\nretires = 2\n",
        "steps.use.retires: unknown key; valid keys for a step: enable_cache, retries",
    ),
    case("wrong-type", 'retries = "two"\n', "retries: Input should be a valid integer"),
    case("negative-retries", "retries = -1\n", "retries: must be >= 0, got -1"),
    case("unknown-step", "[steps.train]\nretries = 1\n", "unknown step 'train'", "has: make, use"),
    case(
        "unknown-step-parameter",
        "[steps.make.parameters]\nsize = 2\n",
        "sets 'size' for step 'make', which is not one of its parameters (none)",
    ),
    case(
        "unknown-pipeline-parameter",
        "[parameters]\ncounts = 2\n",
        "sets unknown pipeline parameter 'counts'; 'flow' takes: count",
    ),
    case(
        "a-toml-date-parameter",
        "[parameters]\ncount = 1979-05-27\n",
        "pipeline 'flow': parameter 'count' is of type date, which is not JSON-serialisable",
    ),
    case(
        "unknown-setting-key",
        "[settings.orchestrator]\nmax_paralel = 2\n",
        "unknown setting key 'max_paralel' for the orchestrator flavor 'local'",
        "valid keys: max_parallel",
    ),
    case(
        "unknown-step-setting-key",
        "[steps.use.settings.orchestrator]\nworkers = 2\n",
        "unknown setting key 'workers' for the orchestrator flavor 'local'",
    ),
    case(
        "invalid-setting-value",
        "[settings.orchestrator]\nmax_parallel = 0\n",
        "max_parallel: Input should be greater than or equal to 1",
    ),
    case(
        "unknown-component-type",
        "[settings.orchestrate]\nmax_parallel = 2\n",
        "unknown component type 'orchestrate'",
    ),
    case(
        "unknown-run-name-placeholder",
        'run_name = "nightly-{day}"\n',
        "run_name 'nightly-{day}' has an unknown placeholder",
        "use {date}, {time} or {stamp}",
    ),
]


@pytest.mark.parametrize(("config", "says"), CONFIG_CASES)
def test_a_bad_run_config_is_rejected_before_the_run(
    rejects: Cli, write_module: WriteModule, tmp_path: Path, config: str, says: tuple[str, ...]
) -> None:
    flow = write_module(STEPS + GOOD_PIPELINE)
    config_path = tmp_path / "run.toml"
    config_path.write_text(config, encoding="utf-8")
    message = rejects("pipeline", "run", f"{flow}:flow", "--config", str(config_path))
    for part in says:
        assert part in message


def test_a_missing_run_config_is_rejected(
    rejects: Cli, write_module: WriteModule, tmp_path: Path
) -> None:
    flow = write_module(STEPS + GOOD_PIPELINE)
    missing = tmp_path / "nope.toml"
    assert rejects("pipeline", "run", f"{flow}:flow", "--config", str(missing)) == (
        f"Error: no run config file at {missing}; check the path"
    )


TARGET_CASES = [
    case("no-colon", "{flow}", "is not MODULE:PIPELINE"),
    case("missing-file", "{folder}/nope.py:flow", "no Python file at", "nope.py"),
    case(
        "unknown-module", "surely_not_a_module.flows:flow", "cannot import", "ModuleNotFoundError"
    ),
    case("syntax-error", "{broken}:flow", "cannot import", "SyntaxError"),
    case("import-error-inside", "{imports}:flow", "No module named 'surely_not_installed'"),
    case("missing-attribute", "{flow}:nope", "has no attribute 'nope'; pipelines in it: flow"),
    case("not-a-pipeline", "{flow}:make", "'make' in ", "is of type Step, not a pipeline"),
]


@pytest.mark.parametrize(("target", "says"), TARGET_CASES)
def test_a_bad_pipeline_target_is_rejected(
    rejects: Cli, write_module: WriteModule, target: str, says: tuple[str, ...]
) -> None:
    flow = write_module(STEPS + GOOD_PIPELINE)
    broken = write_module("def broken(:\n")
    imports = write_module("import surely_not_installed\n")
    filled = target.format(flow=flow, folder=flow.parent, broken=broken, imports=imports)
    message = rejects("pipeline", "run", filled)
    for part in says:
        assert part in message


RUNTIME_CASES = [
    case(
        "wrong-type",
        """
        @step
        def bad() -> int:
            return "one"
        """,
        "step 'bad' output 'output' should be int, got str",
    ),
    case(
        "wrong-type-of-a-named-output",
        """
        @step
        def bad() -> tuple[int, Annotated[list[int], "rows"]]:
            return 1, {"a": 1}
        """,
        "step 'bad' output 'rows' should be list[int], got dict",
    ),
    case(
        "too-few-outputs",
        """
        @step
        def bad() -> tuple[int, int, int]:
            return 1, 2
        """,
        "step 'bad' must return 3 values (output_0, output_1, output_2), got tuple",
    ),
    case(
        "a-value-from-a-step-annotated-none",
        """
        @step
        def bad() -> None:
            return 1
        """,
        "step 'bad' returned a value of type int but is annotated '-> None'",
    ),
]


@pytest.mark.parametrize(("source", "says"), RUNTIME_CASES)
def test_wrong_step_outputs_fail_the_run_and_none_of_them_is_written(
    cli_fails: CliFails,
    write_module: WriteModule,
    source: str,
    says: tuple[str, ...],
) -> None:
    flow = write_module(
        STEPS + source + "\n\n@pipeline\ndef flow() -> None:\n    bad()\n    make()\n"
    )
    output, message = cli_fails("pipeline", "run", f"{flow}:flow")
    for part in says:
        assert part in message
    run = Client().runs.get(run_name_in(output))
    assert (run.status.value, run.steps["bad"].status.value) == ("failed", "failed")
    assert run.steps["bad"].outputs == {}
    written = artifact_path(run.steps["make"].outputs["output"]).parents[1]
    files = sorted(str(path.relative_to(written)) for path in written.rglob("*") if path.is_file())
    logs = [s.record.log_uri.split("/", 2)[2] for s in run.steps.values() if s.record.log_uri]
    assert files == sorted(["make/output/value.json", *logs])


def test_loading_an_artifact_whose_files_were_removed_names_its_uri() -> None:
    @step
    def make() -> list[int]:
        return [1, 2]

    @pipeline
    def keep() -> None:
        make()

    artifact = keep().steps["make"].outputs["output"]
    shutil.rmtree(artifact_path(artifact))
    with pytest.raises(NotFoundError, match="is missing from the artifact store") as raised:
        artifact.load()
    assert str(artifact_path(artifact)) in str(raised.value)
    assert artifact.id in str(raised.value)


def test_a_fixed_run_name_cannot_be_used_twice() -> None:
    @step
    def make() -> int:
        return 1

    @pipeline
    def named() -> None:
        make()

    named.with_options(run_name="release")()
    with pytest.raises(AlreadyExistsError, match="a run named 'release' already exists"):
        named.with_options(run_name="release")()
    assert [run.name for run in Client().runs.list()] == ["release"]


def test_bad_options_are_refused_when_declared() -> None:
    def one() -> int:
        return 1

    with pytest.raises(ConfigError, match=r"step 'one': .*unexpected keyword argument 'cache'"):
        step(one).with_options(cache=False)
    with pytest.raises(ConfigError, match="retries must be a whole number >= 0, got -1"):
        step(retries=-1)(one)
    with pytest.raises(ConfigError, match="retry_delay must be >= 0 seconds, got -1"):
        pipeline(one).with_options(retry_delay=-1)


def test_an_output_no_materializer_can_save_fails_its_step_and_leaves_no_files() -> None:
    @step
    def locked() -> tuple[int, Any]:
        return 1, threading.Lock()

    @pipeline
    def locking() -> None:
        locked()

    expected = (
        r"step 'locked' could not save output 'output_1' \(a lock\): TypeError: cannot pickle"
    )
    with (
        pytest.warns(MaterializerWarning),
        pytest.raises(PipelineRunError, match=expected) as raised,
    ):
        locking()
    run = raised.value.run
    assert run.steps["locked"].outputs == {}
    client = Client()
    store = client.build_component(client.active_stack.artifact_store)
    assert isinstance(store, BaseArtifactStore)
    written = Path(store.path(f"locking/{run.id}"))
    files = [str(path.relative_to(written)) for path in written.rglob("*") if path.is_file()]
    assert files == [f"locked/{run.steps['locked'].record.id}.log"]
