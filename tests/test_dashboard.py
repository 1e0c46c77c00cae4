"""`runstack dashboard` served for real (a subprocess on 127.0.0.1), read over HTTP: every
page answers, links to the others, escapes what users wrote, pages through runs, and says
clearly what is wrong with a bad request."""

from __future__ import annotations

import html
import json
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from markupsafe import escape

from dashboard_helpers import IMG, SCRIPT, dashboard, runstack, seed_home
from runstack import Client
from runstack.testing import imported_by_command

SEEDED = 55  # more than one page of runs


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("dashboard") / "home"
    seed_home(home, seeded_runs=SEEDED)
    return home


@pytest.fixture(scope="module")
def site(home: Path) -> Iterator[httpx.Client]:
    with dashboard(home) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def page(site: httpx.Client) -> Callable[[str], str]:
    """The text of a page that must answer 200."""

    def get(path: str) -> str:
        response = site.get(path)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        return response.text

    return get


def links(text: str) -> list[str]:
    """Where a page's links lead, as paths (and queries) on the dashboard."""
    return [
        re.sub(r"^http://127\.0\.0\.1:\d+", "", html.unescape(link))
        for link in re.findall(r'href="([^"]+)"', text)
    ]


def runs_of(home: Path, pipeline: str) -> list[dict[str, Any]]:
    """The pipeline's runs as `run list` gives them, newest first."""
    listed = runstack(home, "run", "list", "--pipeline", pipeline, "--output", "json")
    return list(json.loads(listed))


def test_the_root_leads_to_the_stacks_with_the_active_one_marked(
    site: httpx.Client, page: Callable[[str], str]
) -> None:
    response = site.get("/", follow_redirects=True)
    assert response.url.path == "/stacks"
    text = page("/stacks")
    rows = re.findall(
        r"<tr( class=\"active\")?>\s*<td>(.*?)</td>\s*<td><a href=\"[^\"]+\">(\w+)</a>", text
    )
    assert [(bool(active), name) for active, _, name in rows] == [
        (True, "default"),
        (False, "hostile"),
    ]
    for header in ("Stack name", "Stack id", "Shared", "Owner", "Orchestrator", "Artifact store"):
        assert f"<th>{header}</th>" in text


def test_a_stack_page_shows_components_configuration_and_its_runs(
    page: Callable[[str], str],
) -> None:
    stacks = page("/stacks")
    stack_links = [link for link in links(stacks) if re.search(r"/stacks/[0-9a-f-]{36}$", link)]
    texts = [page(link) for link in stack_links]
    hostile = next(t for t in texts if "<h1>Stack hostile" in t)
    assert "<td>local</td>" in hostile and "<td>Artifact store</td>" in hostile
    assert html.escape(SCRIPT, quote=False) in hostile  # in the store's path, as text
    assert SCRIPT not in hostile
    assert "Runs 1 to 1 of 1" in hostile  # its one run, none of the default stack's
    default = next(t for t in texts if "<h1>Stack default" in t)
    assert f"Runs 1 to 50 of {SEEDED + 3}" in default
    assert 'rel="next"' in default


def test_runs_are_paged_newest_first_and_filtered(page: Callable[[str], str]) -> None:
    first = page("/runs")
    assert f"Runs 1 to 50 of {SEEDED + 4}" in first
    second = page("/runs?page=2")
    assert f"Runs 51 to {SEEDED + 4} of {SEEDED + 4}" in second
    names = re.findall(r'<td><a href="[^"]+/runs/[^"]+">([^<]+)</a></td>', first + second)
    assert len(names) == len(set(names)) == SEEDED + 4
    # the oldest (the hostile run, then diamond's) come last
    assert "flow" in html.unescape(names[-1])
    only_diamond = page("/runs?pipeline=diamond")
    assert "Runs 1 to 2 of 2" in only_diamond
    assert page("/runs?pipeline=diamond&status=failed").count("No runs") == 1
    by_stack = page("/runs?stack=hostile&page=1")
    assert "Runs 1 to 1 of 1" in by_stack
    assert "page=2" not in by_stack
    # the pager keeps the filters
    paged = page("/runs?pipeline=seeded")
    assert "pipeline=seeded&amp;page=2" in paged


def test_a_run_page_draws_its_steps_with_reasons_and_links_artifacts(
    home: Path, page: Callable[[str], str]
) -> None:
    text = page(f"/runs/{runs_of(home, 'diamond')[0]['id']}")  # the newest: every step cached
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert svg.count("<rect") == 4 and svg.count('class="edge"') == 4
    assert svg.count("status-cached") == 4
    assert "cached from run diamond-" in text
    for output in ("numbers", "doubled", "squared", "total"):
        assert f"<td>{output}</td>" in text
    assert "<h2>Parameters</h2>" in text and "<dt>n</dt><dd>3</dd>" in text
    artifact_links = [link for link in links(text) if "/artifacts/" in link]
    assert len(set(artifact_links)) == 4
    step_links = [link for link in links(text) if "/steps/" in link]
    assert {link.rsplit("/", 1)[1] for link in step_links} == {"first", "double", "square", "total"}


def test_a_step_page_shows_its_log_and_an_artifact_its_lineage_and_preview(
    home: Path, page: Callable[[str], str]
) -> None:
    newer, older = runs_of(home, "diamond")
    step = page(f"/runs/{older['id']}/steps/first")
    assert "making 3 numbers" in step
    numbers = next(link for link in links(step) if "/artifacts/" in link)
    artifact = page(numbers)
    assert "builtins.list" in artifact
    assert '<pre class="preview">[\n  0,\n  1,\n  2\n]</pre>' in artifact
    produced, reused, consumed = re.split(r"<h2>(?:Reused|Consumed)[^<]*</h2>", artifact)
    assert f"/runs/{older['name']}/steps/first" in links(produced)
    assert f"/runs/{newer['name']}/steps/first" in links(reused)
    assert consumed.count("as input numbers") == 4  # double and square, of both runs


def test_arrays_and_data_frames_preview_as_tables(home: Path, page: Callable[[str], str]) -> None:
    run = page(f"/runs/{runs_of(home, 'arrays')[0]['id']}")
    found = [link for link in links(run) if "/artifacts/" in link]
    shown = [page(link) for link in dict.fromkeys(found)]
    grid, frame = (
        next(p for p in shown if f"Artifact {name}</h1>" in p) for name in ("grid", "frame")
    )
    assert grid.count("<tr><td>") == 50 and "<tr><td>0</td><td>1</td></tr>" in grid
    assert "dtype int64, 60 x 2; showing the first 50 x 2" in grid
    assert "<th>name</th><th>score</th>" in frame and "<td>2.5</td>" in frame
    assert f"<td>{escape(SCRIPT)}</td>" in frame and SCRIPT not in frame


def test_user_text_is_escaped_everywhere(home: Path, page: Callable[[str], str]) -> None:
    run = runs_of(home, "flow " + IMG)[0]["id"]
    texts = [
        page(path)
        for path in (
            "/stacks",
            "/components",
            "/runs",
            f"/runs/{run}",
            f"/runs/{run}/steps/{quote(IMG, safe='')}",
        )
    ]
    for text in texts:
        assert IMG not in text and SCRIPT not in text
    assert escape("flow " + IMG) in texts[2] and escape(IMG) in texts[3]
    assert escape(SCRIPT) in texts[-1]  # the log line, as text
    # what the step recorded about itself (StepContext.add_metadata), as text too
    assert f"<dt>{escape('note ' + IMG)}</dt><dd>{escape(SCRIPT)}</dd>" in texts[-1]


def test_secrets_stay_masked_and_a_plugin_that_failed_shows_why(
    runstack_home: Path,
    acme_plugin: Path,
    install_plugin: Callable[..., Path],
    cli_ok: Callable[..., str],
) -> None:
    cli_ok(
        "experiment-tracker",
        "register",
        "tracker",
        "--flavor=acme",
        f"--url=https://acme.example/{SCRIPT}",
        "--token=s3cr3t-value",
        f"--label=team={IMG}",
    )
    cli_ok("stack", "register", "tracked", "-o", "default", "-a", "default", "-e", "tracker")
    broken = install_plugin(
        "acme-broken",
        {"acme_broken.plugin": "raise ImportError('no backend <b>here</b>')"},
        entry_points={"broken": "acme_broken.plugin"},
    )
    with dashboard(runstack_home, acme_plugin, broken) as url, httpx.Client(base_url=url) as site:
        tracked = f"/stacks/{Client().get_stack('tracked').id}"
        pages = [site.get(path).text for path in (tracked, "/components?type=experiment_tracker")]
        flavors = site.get("/flavors").text
    for text in pages:
        assert "s3cr3t-value" not in text
        assert "<dt>token</dt><dd>**********</dd>" in text
        assert f"<dt>url</dt><dd>{escape('https://acme.example/' + SCRIPT)}</dd>" in text
    assert f"team={escape(IMG)}" in pages[1]  # a component's label
    assert "<td>acme</td>" in flavors and "<td>acme-broken 1.0.0</td>" in flavors
    assert "failed" in flavors and escape("no backend <b>here</b>") in flavors


def test_bad_requests_get_a_page_saying_what_is_wrong(site: httpx.Client) -> None:
    for path, status, message in [
        ("/runs?page=0", 400, "page must be a whole number from 1, not &#39;0&#39;"),
        ("/runs?page=%C2%B2", 400, "not &#39;²&#39;"),
        ("/runs?page=99999999999999999999", 400, "page must be a whole number from 1"),
        ("/runs?status=lost", 400, "unknown run status &#39;lost&#39;"),
        ("/runs/no-such-run", 404, "no run named &#39;no-such-run&#39;"),
        ("/stacks/nope", 404, "nope"),
        ("/artifacts/ffffffff", 404, "ffffffff"),
        ("/components?type=teapot", 400, "teapot"),
        ("/nowhere", 404, "Not Found"),
    ]:
        response = site.get(path)
        assert response.status_code == status, path
        assert message in response.text, (path, response.text)


def test_a_port_in_use_is_one_line_naming_it_and_suggesting_another(
    home: Path, cli_error: Callable[..., str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = cli_error("dashboard", "--port", str(port))
    assert line == (
        f"Error: port {port} on 127.0.0.1 is in use; pick another with --port "
        f"(for example: runstack dashboard --port {port + 1})"
    )


def test_without_the_server_extra_the_command_says_what_to_install(
    cli_error: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    assert cli_error("dashboard") == (
        "Error: the dashboard needs runstack's server extra: pip install 'runstack[server]'"
    )


WEB_ONLY = {"fastapi", "starlette", "uvicorn", "jinja2", "httpx", "psycopg"}


@pytest.mark.parametrize("command", [["stack", "list"], ["--help"], ["dashboard", "--help"]])
def test_commands_that_serve_nothing_import_no_web_library(command: list[str]) -> None:
    assert imported_by_command(command, WEB_ONLY) == []


def test_open_shows_the_dashboard_in_the_browser_python_finds(
    runstack_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = tmp_path / "opened"
    monkeypatch.setenv("BROWSER", f"sh -c 'echo %s > {opened}'")  # what webbrowser runs
    with dashboard(runstack_home, options=["--open"]) as url:
        for _ in range(500):  # the browser is started just after the URL is printed
            if opened.exists() and opened.read_text():
                break
            time.sleep(0.02)
        assert opened.read_text().strip() == url + "/"
