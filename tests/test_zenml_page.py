"""docs/zenml.md promises that every name it lists imports from `runstack`, and that its
`sed` line converts a ZenML project's imports; both are checked here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import runstack

PAGE = Path(__file__).parents[1] / "docs" / "zenml.md"
ROW = re.compile(r"^\| `from (zenml[\w.]*) import (\w+)` \| `(\w+)` \|")


def page_rows() -> list[tuple[str, str, str]]:
    """(ZenML module, ZenML name, runstack name) of every row of the page's tables."""
    matches = [ROW.match(line) for line in PAGE.read_text().splitlines()]
    return [(found[1], found[2], found[3]) for found in matches if found]


def sed_line() -> str:
    [command] = re.findall(r"^sed .*$", PAGE.read_text(), flags=re.MULTILINE)
    return command.split(" $(")[0]


def test_every_name_the_page_lists_imports_from_runstack_under_its_zenml_name() -> None:
    rows = page_rows()
    assert len(rows) >= 5
    assert [row for row in rows if row[1] != row[2]] == []
    assert [name for _, name, _ in rows if not hasattr(runstack, name)] == []
    assert {name for _, name, _ in rows} <= set(runstack.__all__)


def test_the_readme_links_the_page() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "(docs/zenml.md)" in readme


def test_the_sed_line_turns_every_listed_import_into_one_from_runstack(tmp_path: Path) -> None:
    rows = page_rows()
    source = tmp_path / "pipeline.py"
    lines = [f"from {module} import {name}" for module, name, _ in rows]
    untouched = ["    from zenml.client import Client", "x = 'from zenml'"]
    source.write_text("\n".join([*lines, *untouched]))
    subprocess.run(["bash", "-c", f"{sed_line()} {source}"], check=True)
    converted = source.read_text().splitlines()
    assert converted[: len(rows)] == [f"from runstack import {name}" for _, name, _ in rows]
    assert converted[len(rows) :] == ["    from runstack import Client", untouched[1]]
