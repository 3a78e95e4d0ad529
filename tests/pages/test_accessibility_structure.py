"""WCAG 2.1 AA structure of the intake pages, read from the rendered HTML: one h1 and no
skipped heading levels, an error summary nested in the section of its form, named scroll
regions, a label for every control, tables with a caption and header cells with a scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from caseflow import clock
from caseflow.intake.models import ApplicationStatus
from caseflow.intake.tokens import issue_token
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token

TODAY = date(2025, 1, 15)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# Elements whose own tabindex is expected: they are controls, not scroll containers.
INTERACTIVE = {"a", "button", "input", "select", "textarea", "summary", "details"}
# Input types that are buttons (named by their value), not fields that need a label.
BUTTON_INPUTS = {"hidden", "submit", "reset", "button", "image"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


@dataclass
class Heading:
    level: int
    text: str = ""
    in_error_summary: bool = False


@dataclass
class TableInfo:
    attrs: dict[str, str]
    caption: str | None = None
    header_cells: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)


class _Structure(HTMLParser):
    """Collects what the checks below need from one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[Heading] = []
        self.scroll_containers: list[dict[str, str]] = []
        self.controls: list[tuple[str, dict[str, str]]] = []
        self.label_texts: dict[str, str] = {}
        self.texts_by_id: dict[str, str] = {}
        self.tables: list[TableInfo] = []
        self.error_summaries = 0
        self._open: list[_Open] = []
        self._tables: list[TableInfo] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if values.get("tabindex") == "0" and tag not in INTERACTIVE:
            self.scroll_containers.append(values)
        if tag in ("select", "textarea") or (
            tag == "input" and values.get("type", "text").lower() not in BUTTON_INPUTS
        ):
            self.controls.append((tag, values))
        if tag == "table":
            self._tables.append(TableInfo(values))
        elif tag == "th" and self._tables:
            self._tables[-1].header_cells.append(values)
        if "error-summary" in values.get("class", "").split():
            self.error_summaries += 1
        if tag in HEADINGS:
            inside_summary = any(
                "error-summary" in item.attrs.get("class", "").split() for item in self._open
            )
            self.headings.append(Heading(HEADINGS[tag], in_error_summary=inside_summary))
        if tag not in VOID:
            self._open.append(_Open(tag, values))

    def handle_endtag(self, tag: str) -> None:
        if not any(item.tag == tag for item in self._open):
            return  # a stray end tag
        while self._open:
            item = self._open.pop()
            self._close(item)
            if item.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for item in self._open:
            item.text.append(data)

    def _close(self, item: _Open) -> None:
        text = " ".join("".join(item.text).split())
        if "id" in item.attrs:
            self.texts_by_id[item.attrs["id"]] = text
        if item.tag == "label" and "for" in item.attrs:
            self.label_texts[item.attrs["for"]] = text
        if item.tag in HEADINGS:  # headings do not nest: this is the last one opened
            self.headings[-1].text = text
        if item.tag == "caption" and self._tables:
            self._tables[-1].caption = text
        if item.tag == "table" and self._tables:
            self.tables.append(self._tables.pop())


def parse(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    return parser


def structure(response: TestResponse) -> _Structure:
    return parse(response.get_data(as_text=True))


def _named_by(page: _Structure, attrs: dict[str, str]) -> str:
    """The accessible name that aria-label or aria-labelledby give (empty if none)."""
    if attrs.get("aria-label", "").strip():
        return attrs["aria-label"].strip()
    ids = attrs.get("aria-labelledby", "").split()
    return " ".join(page.texts_by_id.get(id_, "") for id_ in ids).strip()


def heading_problems(page: _Structure) -> list[str]:
    problems = []
    h1s = [heading.text for heading in page.headings if heading.level == 1]
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} h1 headings: {h1s}")
    previous = 0  # so the first heading must be the h1
    for heading in page.headings:
        if heading.level > previous + 1:
            problems.append(
                f"h{heading.level} {heading.text!r} follows h{previous} (skips a level)"
            )
        previous = heading.level
    for before, heading in zip(page.headings, page.headings[1:], strict=False):
        # An error summary belongs to the section of its form, right below its heading.
        if heading.in_error_summary and heading.level != before.level + 1:
            problems.append(
                f"error summary h{heading.level} {heading.text!r} is not nested under "
                f"h{before.level} {before.text!r}"
            )
    return problems


def scroll_container_problems(page: _Structure) -> list[str]:
    problems = []
    for attrs in page.scroll_containers:
        if not attrs.get("role"):
            problems.append(f"focusable container without a role: {attrs}")
        if not _named_by(page, attrs):
            problems.append(f"focusable container without an accessible name: {attrs}")
    return problems


def label_problems(page: _Structure) -> list[str]:
    problems = []
    for tag, attrs in page.controls:
        by_label = page.label_texts.get(attrs.get("id", ""), "")
        if not (by_label or _named_by(page, attrs)):
            problems.append(f"<{tag}> without a label: {attrs}")
    return problems


def table_problems(page: _Structure) -> list[str]:
    problems = []
    for table in page.tables:
        if not (table.caption or _named_by(page, table.attrs)):
            problems.append(f"table without a caption or name: {table.attrs}")
        for cell in table.header_cells:
            if cell.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
                problems.append(f"<th> without a scope in table {table.caption!r}: {cell}")
    return problems


def assert_accessible(response: TestResponse) -> _Structure:
    """Every structural check on one page; returns the parsed page for further asserts."""
    page = structure(response)
    problems = (
        heading_problems(page)
        + scroll_container_problems(page)
        + label_problems(page)
        + table_problems(page)
    )
    assert not problems, "\n".join(problems)
    return page


# -- the checks themselves -------------------------------------------------------------------


def test_the_checks_find_what_they_are_meant_to_find():
    bad = parse(
        "<h1>A</h1><h3>skipped</h3><h1>second</h1>"
        "<h3>Form</h3><div class='error-summary'><h2>Errors</h2></div>"
        '<div class="table-wrap" tabindex="0"><table><tr><th>x</th></tr></table></div>'
        '<input id="a" name="a"><select name="b"></select><input type="hidden" name="c">'
        '<label for="d"></label><textarea id="d"></textarea>'
    )
    assert len(heading_problems(bad)) == 4
    assert len(scroll_container_problems(bad)) == 2
    assert len(label_problems(bad)) == 3
    assert len(table_problems(bad)) == 2

    good = parse(
        "<h1>A</h1><h2>B</h2><h3>C</h3><div class='error-summary'><h4>Errors</h4></div><h2>D</h2>"
        '<div tabindex="0" role="region" aria-labelledby="cap">'
        '<table><caption id="cap">Liste</caption><tr><th scope="col">x</th></tr></table></div>'
        '<label for="a">A</label><input id="a"><select aria-label="B"></select>'
        '<span id="c-label">C</span><textarea aria-labelledby="c-label"></textarea>'
        '<input type="submit" value="Los"><a href="#" tabindex="0">ok</a>'
    )
    assert heading_problems(good) == []
    assert scroll_container_problems(good) == []
    assert label_problems(good) == []
    assert table_problems(good) == []


# -- public pages ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def open_round(session):
    return factories.make_round(
        session, name="Runde 2025", opens_on=date(2024, 12, 1), closes_on=date(2025, 3, 31)
    )


@pytest.mark.parametrize("path", ["/", "/datenschutz", "/barrierefreiheit"])
def test_public_information_pages(client, open_round, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_accessible(response)


def test_public_form(client, open_round):
    response = client.get("/apply")
    assert response.status_code == 200
    page = assert_accessible(response)
    assert len(page.controls) > 10  # the form itself was checked


def test_public_form_with_errors(client, session, open_round):
    data = factories.application_form(organisation_name="", desired_start="2025-02-30")
    data["csrf_token"] = csrf_token(client, "/apply")
    response = client.post("/apply", data=data)
    assert response.status_code == 422
    page = assert_accessible(response)
    assert page.error_summaries == 1


def test_status_page_and_withdrawal(app: Flask, client, session, open_round):
    application = factories.make_application(session, round=open_round)
    token = issue_token(application, app.config["SECRET_KEY"])
    session.flush()
    response = client.get(f"/apply/status/{token}")
    assert response.status_code == 200
    assert_accessible(response)
    response = client.get(f"/apply/status/{token}/withdraw")
    assert response.status_code == 200
    assert_accessible(response)


def test_login_with_errors(client):
    response = client.post(
        "/login", data={"email": "", "password": "", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 422
    assert structure(response).error_summaries == 1
    assert_accessible(response)


# -- staff pages -----------------------------------------------------------------------------


def test_application_list(client, session, logged_in, open_round):
    me = logged_in(Role.LEAD)
    first = factories.make_application(session, round=open_round)
    factories.make_application(session, round=open_round, status=ApplicationStatus.IN_PRUEFUNG)
    factories.make_review(session, first, me)
    response = client.get("/applications")
    assert response.status_code == 200
    page = assert_accessible(response)
    assert len(page.scroll_containers) == 1
    assert len(page.controls) >= 6  # the filters


@pytest.fixture
def talked(session, open_round):
    """An application after its preliminary talk: every form of the page is offered to a
    lead, and it has a review and a history (both tables)."""
    application = factories.make_application(
        session,
        round=open_round,
        status=ApplicationStatus.VORGESPRAECH,
        preliminary_talk_on=date(2025, 1, 20),
    )
    factories.make_review(session, application, factories.make_staff_member(session))
    factories.make_audit_event(
        session,
        object_type="application",
        object_id=application.id,
        action="application.submitted",
    )
    return application


def test_application_page(client, logged_in, talked):
    logged_in(Role.LEAD)
    response = client.get(f"/applications/{talked.id}")
    assert response.status_code == 200
    page = assert_accessible(response)
    assert len(page.scroll_containers) == 2  # reviews and history
    levels = [heading.level for heading in page.headings]
    assert 4 in levels  # the action forms sit below "Nächste Schritte"


@pytest.mark.parametrize(
    ("action", "values"),
    [
        ("review", {"score_leadership": "9", "score_resources": "3"}),
        ("move", {"target": "vorgespraech", "talk_on": "2025-02-30"}),
        ("waitlist", {"note": "x" * 2001}),
        ("decline", {"reason": "  "}),
    ],
)
def test_application_page_with_a_form_error(client, logged_in, talked, action, values):
    logged_in(Role.LEAD)
    data = {f"{action}-csrf_token": csrf_token(client, "/applications")}
    data.update({f"{action}-{key}": value for key, value in values.items()})
    response = client.post(f"/applications/{talked.id}/{action}", data=data)
    assert response.status_code == 422
    page = assert_accessible(response)
    assert page.error_summaries == 1
    [summary] = [heading for heading in page.headings if heading.in_error_summary]
    assert summary.level > 3  # inside the section of its form, not a new top-level one


def test_accept_page_and_its_errors(client, session, logged_in, talked):
    logged_in(Role.LEAD)
    pia = factories.make_measure3_consultant(session, name="Pia Prozess")
    path = f"/applications/{talked.id}/accept"
    response = client.get(path)
    assert response.status_code == 200
    assert_accessible(response)

    data = {
        "csrf_token": csrf_token(client, path),
        "organisation": "neu",
        "start_date": "2025-03-01",
        "duration_months": "19",
        "lead": str(pia.id),
    }
    response = client.post(path, data=data)
    assert response.status_code == 422
    page = assert_accessible(response)
    assert page.error_summaries == 1


def test_rounds_and_round_form(client, session, logged_in, open_round):
    logged_in(Role.LEAD)
    factories.make_application(session, round=open_round)
    response = client.get("/applications/rounds")
    assert response.status_code == 200
    page = assert_accessible(response)
    assert len(page.scroll_containers) == 1

    path = "/applications/rounds/new"
    response = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "name": "", "first_day": "2025-13-01"},
    )
    assert response.status_code == 422
    page = assert_accessible(response)
    assert page.error_summaries == 1


def test_organisation_page_with_its_applications(client, session, logged_in, open_round):
    me = logged_in(Role.CONSULTANT)
    organisation = factories.make_organisation(session)
    factories.make_contact(session, organisation)
    factories.make_engagement(session, lead=me, organisation=organisation)
    factories.make_application(session, round=open_round, organisation=organisation)
    response = client.get(f"/organisations/{organisation.id}")
    assert response.status_code == 200
    page = assert_accessible(response)
    assert len(page.scroll_containers) >= 3  # contacts, engagements, applications


# -- every template --------------------------------------------------------------------------


def test_every_focusable_scroll_wrapper_in_the_templates_is_a_named_region():
    """Pages not rendered above are covered here: in the template source, a non-interactive
    element with tabindex="0" has a role and a name (aria-label, or aria-labelledby naming an
    id the same template defines)."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        page = parse(path.read_text(encoding="utf-8"))
        defined = page.texts_by_id.keys()
        for attrs in page.scroll_containers:
            name = attrs.get("aria-label", "").strip()
            ids = attrs.get("aria-labelledby", "").split()
            if not attrs.get("role") or not (name or (ids and set(ids) <= defined)):
                problems.append(f"{path.relative_to(TEMPLATES)}: {attrs}")
    assert not problems, "\n".join(problems)
