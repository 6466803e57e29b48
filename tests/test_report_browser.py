"""The HTML report in a real browser (Chromium driven by Playwright) at laptop and phone sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import journeykit as jk
from helpers import CHROMIUM, CHROMIUM_ARGS
from journeykit.report import render_report

VIEWPORTS = {"laptop": (1366, 768), "phone": (390, 844)}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    demo = jk.datasets.load_demo()
    journeys = jk.assemble(demo.records)
    models = ["first_touch", "last_touch", "linear", "time_decay", "position_based", "markov"]
    comparison = jk.compare(journeys, models)
    chosen = comparison["markov"]
    page = render_report(
        title="journeykit demo: which touches won the deals?",
        comparison=comparison,
        split=jk.analytics.split(chosen, measure="value"),
        handoff=jk.analytics.handoff(journeys, chosen),
        funnel=jk.analytics.funnel(demo.records, by="segment"),
        diagnosis=jk.analytics.diagnose(demo.records, by="segment"),
        truth=demo.truth.shares(),
        model="markov",
    )
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Any:
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
    )
    with sync_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_the_report_fits_the_screen_without_errors(
    browser: Any, report: Path, tmp_path: Path, screen: str
) -> None:
    width, height = VIEWPORTS[screen]
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requests: list[str] = []
    page.on(
        "request",
        lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None,
    )
    page.goto(report.as_uri())
    page.screenshot(path=str(tmp_path / f"report-{screen}.png"), full_page=True)
    assert problems == []
    assert requests == []  # self-contained: nothing fetched
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a {screen} screen"
    # no element pokes out of the page either (a scrolling table keeps its overflow inside)
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => !e.closest('.scroll') && e.getBoundingClientRect().right > innerWidth + 1)
            .map(e => e.tagName + '.' + e.className)"""
    )
    assert wide == []
    text = page.inner_text("main")
    assert "truth" in text  # the truth is in the figure's legend and the table
    assert "smb: a marketing problem at the lead stage" in text
    assert "95% interval" in text
    assert "Split(" not in text  # sentences, not reprs
    assert "Handoff(" not in text
    truth_marks = page.locator("#credit .truth").count()
    assert truth_marks == page.locator("#credit .chart .row .track").count() > 0
    page.close()
