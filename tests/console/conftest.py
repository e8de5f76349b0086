"""Fixtures for the console's browser tests: one headless Chromium per session, a new tab per test.

The browser is the one ``make setup`` extracts into ``.build/chromium/`` (see
:mod:`tests.console.browser`); without it the tests fail and say so, they are not skipped.
When a test fails, its page is saved as ``.build/console-tests/<test>.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from .browser import ROOT, SETUP_HINT, Browser, Page, default_executable

SCREENSHOTS = ROOT / ".build" / "console-tests"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = default_executable()
    if not executable.is_file():
        pytest.fail(f"no headless Chromium at {executable}: {SETUP_HINT}", pytrace=False)
    with Browser.launch(executable) as running:
        yield running


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    tab = browser.new_page(width=1280, height=800)
    yield tab
    report = getattr(request.node, "charter_call_report", None)
    if report is not None and report.failed and not tab.crashed:
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        try:
            saved = tab.screenshot(SCREENSHOTS / f"{name}.png")
            print(f"screenshot of the failed test's page: {saved}")
        except Exception as error:  # the failure itself matters more
            print(f"no screenshot of the failed test's page: {error}")
    tab.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.charter_call_report = report  # type: ignore[attr-defined]
    return report
