"""The dashboard in a real browser (Debian's chromium, driven by Playwright): clicked through
from the stacks to an artifact, and shown hostile names, logs and values as text, never run.

Screenshots of each page land in tests/artifacts/ (not kept in git) for a person to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dashboard_helpers import IMG, SCRIPT, dashboard, seed_home

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("browsed") / "home"
    seed_home(home)
    with dashboard(home) as served:
        yield served


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed ('make test' installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
        )
        yield context
        context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    """A fresh tab that records every dialog a script would open (and dismisses it)."""
    tab = browser.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs  # type: ignore[attr-defined]
    yield tab
    tab.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def visible(page: Page) -> str:
    """What a person reads on the page."""
    return page.locator("main").inner_text()


def graph_text(page: Page) -> str:
    """The text drawn in the run's graph (SVG text, which `inner_text` does not read)."""
    return "\n".join(page.locator("svg.dag text").all_text_contents())


def no_script_ran(page: Page) -> None:
    flag: Any = page.evaluate("() => window.__xss")
    assert flag is None, f"a script from user text ran on {page.url}"
    assert page.dialogs == [], f"a dialog opened on {page.url}"  # type: ignore[attr-defined]


def test_click_from_the_stacks_to_a_step_log_and_an_artifact(url: str, page: Page) -> None:
    page.goto(url)
    assert page.locator("h1").inner_text() == "Stacks"
    assert "active" in page.locator("tr.active").inner_text()
    shot(page, "1-stacks")

    page.get_by_role("link", name="default", exact=True).first.click()
    assert page.locator("h1").inner_text().startswith("Stack default")
    text = visible(page)
    assert "Orchestrator" in text and "Artifact store" in text and "Runs 1 to 3 of 3" in text
    shot(page, "2-stack")

    runs = page.locator("table.runs tbody tr")
    runs.nth(2).get_by_role("link").first.click()  # diamond's first run (the newest: arrays)
    assert page.locator("h1").inner_text().startswith("Run diamond-")
    assert page.locator("svg.dag").is_visible()
    drawn = graph_text(page)
    for step in ("first", "double", "square", "total"):
        assert step in drawn
    assert "no earlier run" in visible(page)
    shot(page, "3-run")

    page.get_by_role("link", name="logs of first").click()
    assert page.locator("h1").inner_text() == "Step first"
    assert "making 3 numbers" in page.locator("pre.logs").inner_text()
    shot(page, "4-step-logs")

    page.get_by_role("link", name="numbers").click()
    assert page.locator("h1").inner_text() == "Artifact numbers"
    text = visible(page)
    assert "Produced by" in text and "builtins.list" in text
    assert page.locator("pre.preview").inner_text() == "[\n  0,\n  1,\n  2\n]"
    shot(page, "5-artifact")
    no_script_ran(page)


def test_hostile_text_shows_as_text_and_runs_no_script(url: str, page: Page) -> None:
    page.goto(f"{url}/stacks")
    page.get_by_role("link", name="hostile", exact=True).first.click()
    assert SCRIPT in visible(page) and IMG in visible(page)  # a config value, a label
    no_script_ran(page)

    page.locator("table.runs tbody a").first.click()
    text = visible(page)
    assert f"Run flow {IMG}-" in text  # the run and pipeline names
    assert f"out {IMG}" in text  # an output name
    assert SCRIPT in text  # a parameter's value
    assert IMG[:20] in graph_text(page)  # a step name, in the graph
    shot(page, "6-hostile-run")
    no_script_ran(page)

    page.get_by_role("link", name=f"logs of {IMG}").click()
    assert f"a log line: {SCRIPT}" in page.locator("pre.logs").inner_text()
    no_script_ran(page)

    page.get_by_role("link", name=f"out {IMG}").first.click()
    assert SCRIPT in page.locator("pre.preview").inner_text()  # the value, in the preview
    shot(page, "7-hostile-artifact")
    no_script_ran(page)

    for path in ("/components", f"/runs?pipeline=flow+{IMG}"):
        page.goto(url + path)
        assert IMG in visible(page) or SCRIPT in visible(page)
        no_script_ran(page)
