"""WCAG 2.1 AA in a real browser: axe-core on every page people use, the Nu HTML Checker on
the HTML the server sent, a keyboard walk through each page, and reflow at 320 px.

One tour (``tour``) visits every page once, as the public and as the project lead, keeps the
HTML the server sent (``artifacts/e2e/html``) and what axe found; the tests then judge it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import (
    axe_violations,
    keyboard_walk,
    log_in,
    save_html,
    shot,
    validator_errors,
)

PUBLIC = (
    "startseite",
    "formular-leer",
    "formular-mit-fehlern",
    "formular-eingegangen",
    "statusseite",
    "anmeldung",
    "datenschutz",
    "barrierefreiheit",
    "selbstcheck-start",
    "selbstcheck-fragebogen",
    "einblick",
)
STAFF = (
    "dashboard",
    "bewerbungen",
    "bewerbung",
    "prozessbegleitungen",
    "prozessbegleitung",
    "zeitleiste",
    "auslastung",
    "berichte",
    "organisationen",
    "team",
    "mein-konto",
    "selbstcheck-ergebnis",
    "selbstcheck-vergleich",
    "barrieren-einblicke",
    "dokumente",
)


@dataclass
class Visit:
    url: str
    html: Path
    violations: list[str]


def _apply(page: Any, organisation: str, *, valid: bool) -> Any:
    """Fill in the public form (with mistakes unless ``valid``) and send it; the answer."""
    page.goto("/apply")
    page.fill("#organisation_name", organisation)
    page.fill("#contact_name", "Mika Sommer")
    page.fill("#contact_email", "mika.sommer@amt.example.org" if valid else "mika@")
    page.fill("#motivation", "Wir wollen unsere Bürgerämter zugänglicher machen.")
    if valid:
        page.select_option("#sector", "buergerdienst")
        page.select_option("#subtype", "buergeramt")
        page.select_option("#district", "spandau")
        page.check("#leadership_support-0")
        page.fill("#desired_start", "2026-01-12")
        page.fill("#desired_duration_months", "6")
        page.check("#consent")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Bewerbung absenden").click()
    return navigation.value


def _first_link(page: Any, list_url: str, pattern: str) -> str:
    page.goto(list_url)
    return page.locator("main table a[href]").evaluate_all(
        "(links, pattern) => links.map(a => a.getAttribute('href'))"
        ".find(href => new RegExp(pattern).test(href))",
        pattern,
    )


@pytest.fixture(scope="module")
def tour(browser, server) -> dict[str, Visit]:
    """Every page, visited once; a tour that broke down fails each test with its reason
    (instead of being retried, slowly, for each)."""
    if isinstance(_broken_tour.get("error"), BaseException):
        pytest.fail(f"the tour of the pages broke down: {_broken_tour['error']!r}")
    try:
        return _take_tour(browser, server)
    except Exception as error:
        _broken_tour["error"] = error
        raise


_broken_tour: dict[str, BaseException] = {}


def _take_tour(browser: Any, server: Any) -> dict[str, Visit]:
    visits: dict[str, Visit] = {}

    def record(page: Any, name: str, response: Any) -> None:
        assert response.ok or response.status == 422, (name, response.status)
        html = save_html(name, response.text())
        shot(page, f"seite-{name}")
        visits[name] = Visit(page.url, html, axe_violations(page, name))

    def go(page: Any, name: str, url: str) -> None:
        record(page, name, page.goto(url))

    context = browser.new_context(base_url=server.base, locale="de-DE")
    page = context.new_page()
    pages: dict[str, Callable[[], None]] = {
        "startseite": lambda: go(page, "startseite", "/"),
        "formular-leer": lambda: go(page, "formular-leer", "/apply"),
        "formular-mit-fehlern": lambda: record(
            page, "formular-mit-fehlern", _apply(page, "Bürgeramt Spandau", valid=False)
        ),
        "formular-eingegangen": lambda: record(
            page, "formular-eingegangen", _apply(page, "Bürgeramt Spandau", valid=True)
        ),
        "statusseite": lambda: go(
            page, "statusseite", page.locator(".status-link a").get_attribute("href")
        ),
        "anmeldung": lambda: go(page, "anmeldung", "/login"),
        "datenschutz": lambda: go(page, "datenschutz", "/datenschutz"),
        "barrierefreiheit": lambda: go(page, "barrierefreiheit", "/barrierefreiheit"),
    }
    for visit in pages.values():
        visit()

    log_in(page, "leitung@example.org")
    application = _first_link(page, "/applications", r"^/applications/\d+$")
    engagement = _first_link(page, "/engagements", r"^/engagements/\d+$")
    for name, url in {
        "dashboard": "/dashboard",
        "bewerbungen": "/applications",
        "bewerbung": application,
        "prozessbegleitungen": "/engagements",
        "prozessbegleitung": engagement,
        "zeitleiste": "/timeline",
        "auslastung": "/capacity",
        "berichte": "/reports",
        "organisationen": "/organisations",
        "team": "/staff",
        "mein-konto": "/account/security",
        "barrieren-einblicke": "/insights",
    }.items():
        go(page, name, url)
    _selfcheck_pages(page, go, record)
    context.close()
    return visits


def _selfcheck_pages(page: Any, go: Callable[..., None], record: Callable[..., None]) -> None:
    """The Selbstcheck of a completed demo engagement: its results and comparison as the
    lead, then its public questionnaire (in a context without the lead's session)."""
    engagement = _first_link(page, "/engagements?status=abgeschlossen", r"^/engagements/\d+$")
    go(page, "selbstcheck-ergebnis", f"{engagement}/selbstcheck/vorher")
    go(page, "dokumente", f"{engagement}/dokumente")
    go(page, "selbstcheck-vergleich", f"{engagement}/selbstcheck/vergleich")
    page.goto(engagement)
    link = page.locator("#selfcheck-link-nachher").input_value()
    public = page.context.browser.new_context(locale="de-DE")
    visitor = public.new_page()
    try:
        go(visitor, "selbstcheck-start", link)
        visitor.get_by_label("Ihre Funktion oder Ihr Arbeitsbereich (freiwillig)").fill("Empfang")
        with visitor.expect_navigation():
            visitor.get_by_role("button", name="Selbstcheck beginnen").click()
        go(visitor, "selbstcheck-fragebogen", visitor.url)
        # The client view: the lead creates the engagement's link, a visitor opens it.
        page.get_by_role("button", name="Link für die Organisation erzeugen").click()
        page.wait_for_load_state()
        go(visitor, "einblick", page.locator("#client-view-address").input_value())
    finally:
        public.close()


@pytest.mark.parametrize("name", PUBLIC + STAFF)
def test_axe_finds_no_wcag_21_aa_violation(tour: dict[str, Visit], name: str) -> None:
    assert tour[name].violations == [], "\n".join(tour[name].violations)


def test_the_nu_html_checker_finds_no_error(tour: dict[str, Visit]) -> None:
    files = [visit.html for visit in tour.values()]
    assert len(files) == len(PUBLIC + STAFF)
    errors = validator_errors(files)
    assert errors == {}, "\n".join(
        f"{name}: {message}" for name, messages in errors.items() for message in messages
    )


# ----- keyboard --------------------------------------------------------------------------------

KEYBOARD_PAGES = {
    "startseite": "/",
    "formular-leer": "/apply",
    "anmeldung": "/login",
    "datenschutz": "/datenschutz",
    "dashboard": "/dashboard",
    "prozessbegleitung": None,  # the tour's engagement
    "zeitleiste": "/timeline",
    "berichte": "/reports",
    "selbstcheck-start": None,
}


@pytest.mark.parametrize("name", KEYBOARD_PAGES)
def test_tab_reaches_every_control_in_order_with_a_visible_focus(
    page, tour: dict[str, Visit], name: str
) -> None:
    if name in STAFF:
        log_in(page, "leitung@example.org")
    page.goto(KEYBOARD_PAGES[name] or tour[name].url)
    expected, stops = keyboard_walk(page)
    assert expected, "the page has nothing to focus"
    # The skip link comes first, so keyboard users need not tab through the header.
    assert stops[0].label == "Zum Inhalt springen"
    # Every control, none skipped, in the order they stand on the page (no tabindex > 0).
    marks = [entry.split("#")[1].split(" ")[0] for entry in expected]
    reached = [stop.walk for stop in stops]
    skipped = [entry for entry, mark in zip(expected, marks, strict=True) if mark not in reached]
    assert skipped == [], f"Tab never reached: {skipped}"
    assert reached == marks, "Tab does not follow the order of the page"
    assert all(stop.tabindex <= 0 for stop in stops)
    unseen = [f"{stop.tag} „{stop.label}“" for stop in stops if not stop.visible]
    assert unseen == [], f"no visible focus on: {unseen}"


# ----- reflow ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_reflow_at_320_px_without_sideways_scrolling(
    browser, server, tour: dict[str, Visit], name: str
) -> None:
    context = browser.new_context(
        base_url=server.base, locale="de-DE", viewport={"width": 320, "height": 640}
    )
    page = context.new_page()
    try:
        if name == "formular-mit-fehlern":
            _apply(page, "Bürgeramt Spandau (schmal)", valid=False)
        elif name == "formular-eingegangen":
            _apply(page, "Bürgeramt Spandau (schmal)", valid=True)
        else:
            page.goto(tour[name].url)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        shot(page, f"320px-{name}")
        assert width <= 320, f"{name}: {width} px wide at a 320 px viewport"
    finally:
        context.close()
