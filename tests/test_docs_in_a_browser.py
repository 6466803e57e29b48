"""The documentation site as a reader sees it: built, opened in a real Chromium, offline.

Every request the pages make must stay on the local server (MathJax is bundled), the formulas
must be typeset, no page may log a console error, and nothing may overflow a phone's screen.
Skips where no browser or Playwright is installed, except in CI, where that is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _needs(what: str, available: bool) -> None:
    if not available:
        if IN_CI:
            pytest.fail(f"CI installs {what}; it is missing")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python", "playwright"):
        try:
            __import__(module)
        except ImportError:
            _needs(module, available=False)
    _needs("chromium", CHROMIUM is not None)
    folder = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # the base's name
        pass


PAGES = ["", "models/", "getting-started/", "marketing-or-sales/", "accuracy/", "api/"]


def _watched_page(
    browser: Any, site: str, width: int, height: int
) -> tuple[Any, list[str], list[str]]:
    """A page that records console errors and refuses (and records) requests to other hosts."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(route: Any, request: Any) -> None:
        if request.url.startswith((site, "data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(request.url)
            route.abort()

    page.route("**/*", route)
    return page, errors, elsewhere


@pytest.mark.slow
def test_pages_render_offline_without_errors(site: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width, height in ((1280, 800), (390, 844)):  # a laptop and a phone
                page, errors, elsewhere = _watched_page(browser, site, width, height)
                for path in PAGES:
                    page.goto(f"{site}/{path}", wait_until="networkidle")
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    assert overflow <= 1, f"{path or 'home'} overflows {width}px by {overflow}px"
                page.goto(f"{site}/models/", wait_until="networkidle")
                page.wait_for_selector("mjx-container", timeout=10_000)
                typeset = page.locator("mjx-container").count()
                assert typeset > 5, "the model reference's formulas were not typeset"
                page.screenshot(path=str(tmp_path / f"models-{width}.png"), full_page=False)
                assert not elsewhere, f"pages asked for other hosts: {sorted(set(elsewhere))}"
                assert not errors, errors
                page.close()
        finally:
            browser.close()
