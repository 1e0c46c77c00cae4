"""`runstack plugin init`: a new plugin distribution that installs, registers its flavor and
runs the contract kit, failing only where the author has something to fill in."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunCli = Callable[..., Any]

# (name, type, what its tests say before anything is filled in)
PLUGINS = [
    ("minio", "artifact_store", "not implemented yet: MinioArtifactStore.filesystem"),
    ("farm", "orchestrator", "not implemented yet: FarmOrchestrator.execute"),
    ("tally", "experiment_tracker", "not implemented yet: TallyExperimentTracker.prepare_step_run"),
    ("pager", "alerter", "not implemented yet: PagerAlerter.post"),
    ("labeler", "annotator", ""),
]


def clean_environment(home: Path) -> dict[str, str]:
    """The environment of a new shell: no settings of this test session's runstack."""
    kept = {key: value for key, value in os.environ.items() if not key.startswith("RUNSTACK_")}
    return {**kept, "RUNSTACK_HOME": str(home)}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The three plugins written by `plugin init` and `pip install -e`d into a fresh venv that
    sees this one's packages; (the venv's python, the folder holding the plugins)."""
    folder = tmp_path_factory.mktemp("plugins")
    runstack = Path(sys.executable).parent / "runstack"
    for name, kind, _ in PLUGINS:
        subprocess.run(
            [str(runstack), "plugin", "init", name, "--type", kind, "-d", str(folder)],
            env=clean_environment(folder / "home"),
            check=True,
            capture_output=True,
        )
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    packages = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = site.getsitepackages()[0]
    Path(packages, "_runstack_dev.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n", encoding="utf-8"
    )
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    editable = [f"-e{folder / ('runstack-' + name)}" for name, _, _ in PLUGINS]
    subprocess.run(
        [*pip, "--no-deps", "--no-build-isolation", *editable],
        check=True,
        capture_output=True,
    )
    return python, folder


def runstack_in(python: Path, home: Path, *arguments: str) -> str:
    code = "import sys; from runstack.cli.main import main; sys.argv[0] = 'runstack'; main()"
    return subprocess.run(
        [str(python), "-c", code, *arguments],
        env=clean_environment(home),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def pytest_in(python: Path, project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
        env=clean_environment(project / ".home"),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_an_installed_new_plugin_shows_its_flavor(installed: tuple[Path, Path]) -> None:
    python, folder = installed
    for name, kind, _ in PLUGINS:
        listed = runstack_in(python, folder / "home", "flavor", "list", "--type", kind)
        assert f"runstack-{name} 0.1.0" in listed, listed


@pytest.mark.parametrize(("name", "kind", "unfinished"), PLUGINS, ids=[p[1] for p in PLUGINS])
def test_its_tests_pass_except_what_is_marked_to_fill_in(
    installed: tuple[Path, Path], name: str, kind: str, unfinished: str
) -> None:
    python, folder = installed
    ran = pytest_in(python, folder / f"runstack-{name}")
    if unfinished:
        assert ran.returncode == 1, ran.stdout
        assert "1 failed, 1 passed" in ran.stdout
        assert unfinished in ran.stdout
    else:
        assert ran.returncode == 0, ran.stdout
        assert "2 passed" in ran.stdout


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("Bad-Name", "--type", "orchestrator"), "plugin name 'Bad-Name' must be"),
        (("ok", "--type", "orchestrator", "--flavor", "9x"), "flavor name '9x' must be"),
        (("ok", "--type", "teapot"), "teapot"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    run_cli: RunCli, tmp_path: Path, arguments: tuple[str, ...], said: str
) -> None:
    result = run_cli("plugin", "init", *arguments, "-d", str(tmp_path))
    assert result.exit_code != 0
    assert said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "runstack-minio").mkdir()
    (tmp_path / "runstack-minio" / "mine.txt").write_text("keep", encoding="utf-8")
    result = run_cli("plugin", "init", "minio", "--type", "artifact_store", "-d", str(tmp_path))
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert [p.name for p in (tmp_path / "runstack-minio").iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runstack-minio"]
