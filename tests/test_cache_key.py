"""What a step's cache key sees of its code: the step, and the user code it reaches."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from pipeline_helpers import reasons
from runstack.history.results import PipelineRun

ImportFlow = Callable[[str], ModuleType]

FLOW = """
import json

FACTOR = 2
LABELS = ("a", "b")
CHOICES = frozenset({"x", "y", "z"})


def scale(value: int) -> int:
    return value * FACTOR + offset()


def offset() -> int:
    return 1 if is_even(2) else 0


def is_even(n: int) -> bool:  # mutually recursive with is_odd: the walk must stop
    return n == 0 or is_odd(n - 1)


def is_odd(n: int) -> bool:
    return n != 0 and is_even(n - 1)


class Scaler:
    def apply(self, value: int) -> int:
        return value + 1


@step
def compute(n: int = 3) -> str:
    return json.dumps([scale(n), Scaler().apply(n), LABELS, sorted(CHOICES)])


def unrelated() -> int:
    return 1


@pipeline
def flow() -> None:
    compute()
"""


def code_reason(import_module: ImportFlow, source: str) -> str:
    """Run FLOW, then `source`; why `compute` ran (or where it was cached from) the second time."""
    first: PipelineRun = import_module(FLOW).flow()
    second: PipelineRun = import_module(source).flow()
    reason = reasons(second)["compute"]
    return "cached" if reason == f"cached from run {first.name}" else reason


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        pytest.param("FACTOR = 2", "FACTOR = 3", "code changed", id="constant"),
        pytest.param('LABELS = ("a", "b")', 'LABELS = ("a", "c")', "code changed", id="tuple"),
        pytest.param("value * FACTOR", "value * FACTOR * 1", "code changed", id="helper"),
        pytest.param("return 1 if", "return 2 if", "code changed", id="helper-of-a-helper"),
        pytest.param("n != 0 and", "n > 0 and", "code changed", id="recursive-helper"),
        pytest.param("return value + 1", "return value + 2", "code changed", id="method"),
        pytest.param("return 1\n", "return 2\n", "cached", id="function-it-does-not-call"),
        pytest.param("\nimport json\n", "\nimport json\nimport os\n", "cached", id="import"),
        pytest.param("# mutually recursive", "# recursive", "cached", id="a-comment"),
    ],
)
def test_a_change_reruns_the_step_only_if_the_step_reaches_it(
    import_module: ImportFlow, old: str, new: str, reason: str
) -> None:
    assert FLOW.count(old) == 1
    assert code_reason(import_module, FLOW.replace(old, new)) == reason


HELPERS = """
RATE = 0.5


def double(value: int) -> float:
    return value * 2 * RATE
"""

USES_HELPERS = """
from __future__ import annotations

import helpers
from runstack import pipeline, step


@step
def compute(n: int = 3) -> float:
    return helpers.double(n)


@pipeline
def flow() -> None:
    compute()
"""


def run_with_helpers(folder: Path, helpers: str) -> PipelineRun:
    """Run USES_HELPERS next to a `helpers.py` module, both imported afresh from `folder`."""
    folder.mkdir()
    (folder / "helpers.py").write_text(textwrap.dedent(helpers), encoding="utf-8")
    (folder / "flow.py").write_text(USES_HELPERS, encoding="utf-8")
    for name in ("helpers", "flow"):
        sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    try:
        import flow  # type: ignore[import-not-found]

        run: PipelineRun = flow.flow()
    finally:
        sys.path.remove(str(folder))
    return run


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("RATE = 0.5", "RATE = 0.25", id="constant"),
        pytest.param("value * 2 * RATE", "value * 3 * RATE", id="function"),
    ],
)
def test_a_change_in_a_module_of_the_user_that_the_step_reaches_reruns_it(
    tmp_path: Path, old: str, new: str
) -> None:
    first = run_with_helpers(tmp_path / "first", HELPERS)
    assert reasons(run_with_helpers(tmp_path / "same", HELPERS)) == {
        "compute": f"cached from run {first.name}"
    }
    changed = run_with_helpers(tmp_path / "changed", HELPERS.replace(old, new))
    assert reasons(changed) == {"compute": "code changed"}


SET_LITERALS = """
from runstack import pipeline, step

KNOWN = frozenset({"alpha", "beta", "gamma", "delta", "epsilon"})


@step
def check(name: str = "beta") -> bool:
    return name in {"one", "two", "three", "four", "five"} or name in KNOWN


@pipeline
def flow() -> None:
    check()
"""


def test_the_key_is_the_same_in_every_process_whatever_the_string_hashing(
    tmp_path: Path, runstack_home: Path
) -> None:
    """Sets of strings iterate in an order that changes between processes; the key must not."""
    path = tmp_path / "flow.py"
    path.write_text(SET_LITERALS, encoding="utf-8")
    runstack = Path(sys.executable).parent / "runstack"
    outputs = [
        subprocess.run(
            [str(runstack), "pipeline", "run", f"{path}:flow"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "RUNSTACK_HOME": str(runstack_home), "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert "↺ check cached" in outputs[1], outputs


def test_objects_whose_attributes_fail_are_keyed_by_type(import_module: ImportFlow) -> None:
    """A lazy proxy the step reaches (its attributes raise until loaded) does not break the key."""
    source = """
    class Lazy:
        def __getattr__(self, name: str) -> None:
            raise RuntimeError("not loaded yet")

        def __bool__(self) -> bool:
            return True


    PROXY = Lazy()


    @step
    def uses() -> int:
        return 1 if PROXY else 0


    @pipeline
    def flow() -> None:
        uses()
    """
    first = import_module(source).flow()
    assert reasons(import_module(source).flow()) == {"uses": f"cached from run {first.name}"}
