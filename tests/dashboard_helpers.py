"""A home holding runs of hostile and ordinary pipelines, and `runstack dashboard` serving it,
shared by the dashboard's HTTP and browser tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNSTACK = str(Path(sys.executable).parent / "runstack")

# Markup where users can put text: each would set window.__xss and open a dialog if it ran.
IMG = '<img src=x onerror="window.__xss=1;alert(1)">'
SCRIPT = "<script>window.__xss=2;alert(2)</script>"

PIPELINES = f"""
from typing import Annotated

from runstack import get_step_context, pipeline, step


@step(name={IMG!r})
def load(text: str = "") -> Annotated[dict, {("out " + IMG)!r}]:
    print("a log line: " + {SCRIPT!r})
    get_step_context().add_metadata({{{("note " + IMG)!r}: {SCRIPT!r}}})
    return {{"said": text, "again": {SCRIPT!r}}}


@step
def count(data: dict) -> Annotated[int, "letters"]:
    return len(data["said"])


@pipeline(name={("flow " + IMG)!r})
def hostile(text: str = {SCRIPT!r}) -> None:
    count(load(text=text))


@step
def first(n: int = 3) -> Annotated[list, "numbers"]:
    print(f"making {{n}} numbers")
    return list(range(n))


@step
def double(numbers: list) -> Annotated[list, "doubled"]:
    return [2 * x for x in numbers]


@step
def square(numbers: list) -> Annotated[list, "squared"]:
    return [x * x for x in numbers]


@step
def total(doubled: list, squared: list) -> Annotated[int, "total"]:
    return sum(doubled) + sum(squared)


@pipeline
def diamond(n: int = 3) -> None:
    numbers = first(n=n)
    total(double(numbers), square(numbers))


@step
def tables() -> tuple[Annotated[object, "grid"], Annotated[object, "frame"]]:
    import numpy
    import pandas

    grid = numpy.arange(120).reshape(60, 2)
    return grid, pandas.DataFrame({{"name": ["a", {SCRIPT!r}], "score": [1.5, 2.5]}})


@pipeline
def arrays() -> None:
    tables()
"""


def environment(home: Path) -> dict[str, str]:
    return {**os.environ, "RUNSTACK_HOME": str(home)}


def runstack(home: Path, *arguments: str) -> str:
    """Run `runstack ARGS...` in a fresh process on `home`; its stdout."""
    done = subprocess.run(
        [RUNSTACK, *arguments],
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def seed_home(home: Path, seeded_runs: int = 0) -> None:
    """A stack `hostile` whose artifact store's path and label hold markup, a run of the hostile
    pipeline on it, two runs of `diamond` (the second cached), one of `arrays` (a numpy array
    and a pandas data frame), and `seeded_runs` more."""
    source = home.parent / f"{home.name}_pipelines.py"
    source.write_text(textwrap.dedent(PIPELINES), encoding="utf-8")
    store_path = home.parent / f"{home.name}_store" / SCRIPT
    runstack(
        home, "artifact-store", "register", "hostile", "--flavor=local", f"--path={store_path}"
    )
    runstack(
        home,
        "stack",
        "register",
        "hostile",
        "-o",
        "default",
        "-a",
        "hostile",
        f"--label=note={IMG}",
    )
    runstack(home, "pipeline", "run", f"{source}:hostile", "--stack", "hostile")
    for _ in range(2):
        runstack(home, "pipeline", "run", f"{source}:diamond")
    runstack(home, "pipeline", "run", f"{source}:arrays")
    if seeded_runs:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "workloads" / "seed_runs.py"),
                str(seeded_runs),
            ],
            env=environment(home),
            capture_output=True,
            check=True,
            timeout=300,
        )


@contextmanager
def dashboard(home: Path, *sites: Path, options: Sequence[str] = ()) -> Iterator[str]:
    """`runstack dashboard --port 0 [OPTIONS]` serving `home` (with the plugins installed in
    `sites`); its URL. Stopped with Ctrl-C (SIGINT), which must end it cleanly."""
    path = [*map(str, sites), *filter(None, [os.environ.get("PYTHONPATH")])]
    process = subprocess.Popen(
        [RUNSTACK, "dashboard", "--port", "0", *options],
        env={**environment(home), "PYTHONPATH": os.pathsep.join(path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    try:
        assert first.startswith("Dashboard at http://127.0.0.1:"), process.stderr.read()
        yield first.split()[2].rstrip("/")
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.strip() == "Dashboard stopped.", (out, err)
