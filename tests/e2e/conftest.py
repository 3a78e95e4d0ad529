"""Browser tests: Playwright drives Debian's Chromium against gunicorn serving a fresh
database with the demo data, on the demo day.

The browser is never downloaded: Playwright launches ``/usr/bin/chromium`` (or
``CASEFLOW_CHROMIUM``). Where it is missing every test here is skipped with the reason, and
``make test`` says so. axe-core and the Nu HTML Checker come from ``tests/e2e/node_modules``
(``npm ci --prefix tests/e2e``); the tests that need them are skipped with the reason where
they are missing, and CI installs both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from caseflow.demo.context import DEMO_TODAY
from tests.e2e.browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, REQUIRE_E2E, shot
from tests.live_server import fresh_database, gunicorn, run_cli, server_environment

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder is an ``e2e`` test; without Chromium, each is skipped."""
    absent = None if CHROMIUM.exists() else f"Chromium fehlt ({CHROMIUM}): Browser-Tests aus"
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
            if absent and not REQUIRE_E2E:
                item.add_marker(pytest.mark.skip(reason=absent))


@dataclass(frozen=True)
class Server:
    """A running caseflow: its base URL, its process environment and its instance folder."""

    base: str
    env: dict[str, str]
    instance: Path

    def url(self, path: str) -> str:
        return self.base + path


# Package scope: the server and the browser end with the last browser test. Playwright's
# sync API keeps an event loop running while it is open, which would stop later tests from
# using asyncio.run (the benchmark's load generator).
@pytest.fixture(scope="package")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn (2 workers) on a fresh, migrated database with the demo data, on the demo day."""
    folder = tmp_path_factory.mktemp("e2e")
    instance = folder / "instance"
    with fresh_database(database_url, folder) as url:
        env = server_environment(url, instance, CASEFLOW_TODAY=DEMO_TODAY.isoformat())
        run_cli(env, "db", "upgrade")
        run_cli(env, "demo")
        with gunicorn(env, workers=2, threads=2) as base:
            yield Server(base, env, instance)


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser, server: Server, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context (no cookies) in German, on a desktop-sized window; when the
    test fails, a screenshot of where it stood (``failed-<test>.png``)."""
    context = browser.new_context(
        base_url=server.base,
        locale="de-DE",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
        if request.node.stash.get(_FAILED, False):
            shot(page, f"failed-{request.node.name}")
    finally:
        context.close()


@pytest.fixture(scope="session", autouse=True)
def _artifacts_folder() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
