"""`runstack pipeline ...`: list pipelines, run one from its module."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path

import click

from runstack.cli.output import echo_json, echo_table, output_option, timestamp
from runstack.cli.params import parse_params
from runstack.client import Client
from runstack.errors import ConfigError, RunstackError
from runstack.pipelines import Pipeline
from runstack.user_code import is_user_file


@click.group("pipeline")
def pipeline() -> None:
    """List and run pipelines."""


@pipeline.command("list")
@output_option()
def list_pipelines(output: str) -> None:
    """List the pipelines that have run, with their number of runs."""
    pipelines = Client().runs.pipelines()
    if output == "json":
        echo_json(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "runs": p.runs,
                    "created": p.created.isoformat(),
                    "last_run": p.last_run.isoformat() if p.last_run else None,
                }
                for p in pipelines
            ]
        )
        return
    echo_table(
        ["PIPELINE", "RUNS", "LAST RUN", "CREATED"],
        [[p.name, str(p.runs), timestamp(p.last_run), timestamp(p.created)] for p in pipelines],
        empty="No pipeline has run yet. 'runstack pipeline run FILE.py:PIPELINE' runs one.",
    )


@pipeline.command("run")
@click.argument("target", metavar="MODULE:PIPELINE")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A run config file: parameters, caching, settings; TOML, or ZenML's YAML shape "
    "(.yaml, .yml).",
)
@click.option("--stack", help="Run on this stack instead of the active one (which stays active).")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A pipeline parameter, repeatable; VALUE is read as a TOML or JSON value "
    "(3, 0.5, true, [1, 2], 'text'), and as a plain string if it is none.",
)
def run(target: str, config_path: Path | None, stack: str | None, params: tuple[str, ...]) -> None:
    """Run a pipeline: `runstack pipeline run my_project.pipelines:training`.

    MODULE is a dotted module name importable from the current folder, or a path
    to a .py file.
    """
    from runstack.pipelines.runner import run_pipeline

    chosen = load_pipeline(target)
    parameters = parse_params(params, chosen.parameter_annotations)
    configured = chosen.with_options(config_path=config_path, stack=stack)
    try:
        compiled = configured.compile(**parameters)
    except BaseException as error:  # mostly the pipeline function's own code, sys.exit too
        if isinstance(error, (RunstackError, KeyboardInterrupt)):
            raise
        raise ConfigError(
            f"cannot build pipeline {chosen.name!r}: {import_problem(error)}"
        ) from error
    run_pipeline(compiled)


def load_pipeline(target: str) -> Pipeline:
    """Import `module:name` (or `path/to/file.py:name`) and return the pipeline it names."""
    module_name, _, attribute = target.rpartition(":")
    if not module_name or not attribute:
        raise ConfigError(
            f"{target!r} is not MODULE:PIPELINE; for example 'my_project.pipelines:training'"
        )
    try:
        module = _import(module_name)
    except ConfigError:
        raise
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        raise ConfigError(f"cannot import {module_name!r}: {import_problem(error)}") from error
    found = getattr(module, attribute, None)
    if not isinstance(found, Pipeline):
        available = sorted(
            name for name, value in vars(module).items() if isinstance(value, Pipeline)
        )
        problem = (
            f"{module_name!r} has no attribute {attribute!r}"
            if found is None
            else f"{attribute!r} in {module_name!r} is of type {type(found).__name__}, "
            "not a pipeline"
        )
        raise ConfigError(f"{problem}; pipelines in it: {', '.join(available) or 'none'}")
    return found


def import_problem(error: BaseException) -> str:
    """The error, where it happened (the user's deepest line) and how to see the traceback."""
    if isinstance(error, SyntaxError):
        message, path, line = error.msg, error.filename, error.lineno
    else:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if is_user_file(f.filename)]
        message = str(error)
        path, line = (frames[-1].filename, frames[-1].lineno) if frames else (None, None)
    where = f" ({path}, line {line})" if path else ""
    return (
        f"{type(error).__name__}: {message}{where}; "
        "runstack --debug (or RUNSTACK_DEBUG=1) shows the traceback"
    )


def _import(module_name: str) -> object:
    path = Path(module_name)
    if path.suffix == ".py" or "/" in module_name or "\\" in module_name:
        if not path.is_file():
            raise ConfigError(f"no Python file at {module_name}; check the path")
        sys.path.insert(0, str(path.resolve().parent))
        name = path.stem
        if name in sys.modules or name in sys.stdlib_module_names:
            name = f"runstack_target_{name}"  # never shadow `json` with a user's json.py
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    sys.path.insert(0, str(Path.cwd()))
    return importlib.import_module(module_name)
