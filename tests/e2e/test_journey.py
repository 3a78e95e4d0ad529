"""The programme's way through caseflow, in a real browser, in the order it happens: an
authority applies (keyboard only), the project lead reviews, talks and accepts, the consultant
works the new engagement, and the lead sees it on the timeline and in the report.

The tests share one server and run in file order; each later step uses what the earlier one
made (``journey``), and is skipped, saying why, when the earlier step did not get there.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.browser import log_in, shot

ORGANISATION = "Bezirksamt Lichtenberg – Jugendamt (Browsertest)"
CONTACT = "Dilara Şahin"
EMAIL = "d.sahin@jugendamt-lichtenberg.example.org"
MOTIVATION = "Eltern ohne Deutschkenntnisse finden den Weg zu unseren Beratungen kaum."


@pytest.fixture(scope="module")
def journey() -> dict[str, Any]:
    """What each step leaves for the next: reference, status URL, application and engagement."""
    return {}


def _needs(journey: dict[str, Any], *keys: str) -> None:
    missing = [key for key in keys if key not in journey]
    if missing:
        pytest.skip(f"an earlier step of the journey did not finish ({', '.join(missing)})")


def _focused(page: Any, selector: str) -> bool:
    return page.evaluate("s => !!document.activeElement?.matches(s)", selector)


def _tab_to(page: Any, selector: str, path: list[str], limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus; record every element passed on the way."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        path.append(page.evaluate("() => document.activeElement.id || 'ohne-id'"))
        if _focused(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector}; passed {path[-limit:]}")


def _choose(page: Any, value: str, limit: int = 40) -> None:
    """Pick ``value`` in the focused <select> with the arrow keys, as a keyboard user does."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"arrow keys never reached {value!r}")


def _type_date(page: Any, day: int, month: int, year: int) -> None:
    """Type a date into the focused date field in the order the browser's field takes it.

    A German Chromium takes day, month, year; a browser with the default locale, month first.
    The field shows which: type day first, and if the value came out wrong, go back to the
    first part (Shift+Tab moves between the parts) and type month first.
    """
    assert day > 12, "a day above 12 tells the two orders apart"
    iso = f"{year:04d}-{month:02d}-{day:02d}"
    page.keyboard.type(f"{day:02d}{month:02d}{year:04d}")
    if page.evaluate("() => document.activeElement.value") != iso:
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        page.keyboard.type(f"{month:02d}{day:02d}{year:04d}")
    assert page.evaluate("() => document.activeElement.value") == iso


# (a) -------------------------------------------------------------------------------------------


def test_a_authority_applies_with_the_keyboard_only(page, journey) -> None:
    page.goto("/")
    shot(page, "a1-startseite")
    # From the landing page to the form: Tab to the link, Enter.
    path: list[str] = []
    _tab_to(page, "main a[href='/apply']", path)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/apply$"))
    shot(page, "a2-formular-leer")

    path = []
    typed = [
        ("#organisation_name", ORGANISATION),
        ("#sector", "buergerdienst"),
        ("#subtype", "jugendamt"),
        ("#district", "lichtenberg"),
        ("#contact_name", CONTACT),
        ("#contact_email", EMAIL),
        ("#motivation", MOTIVATION),
        ("#leadership_support-0", None),
        ("#desired_start", (15, 1, 2026)),
        ("#desired_duration_months", "6"),
        ("#consent", None),
    ]
    for selector, value in typed:
        _tab_to(page, selector, path)
        if selector.startswith(("#sector", "#subtype", "#district")):
            _choose(page, value)
        elif isinstance(value, tuple):
            _type_date(page, *value)
        elif value is None:
            page.keyboard.press("Space")
        else:
            page.keyboard.type(value)
    assert page.input_value("#desired_start") == "2026-01-15"
    assert page.is_checked("#leadership_support-0") and page.is_checked("#consent")
    # The fields came in the order they are shown, with nothing skipped but the optional ones.
    wanted = {selector[1:] for selector, _ in typed}
    order = [entry for n, entry in enumerate(path) if entry in wanted and path[n - 1] != entry]
    assert order == [selector[1:] for selector, _ in typed]

    _tab_to(page, "form[action='/apply'] button[type=submit]", path)
    shot(page, "a3-formular-ausgefuellt")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/apply/done$"))
    reference = page.locator(".reference-box__number").inner_text().strip()
    assert re.fullmatch(r"DF-\d{4}-\d{4}", reference)
    shot(page, "a4-bewerbung-eingegangen")

    # The status link, reached and opened with the keyboard too.
    _tab_to(page, ".status-link a", path)
    status_url = page.evaluate("() => document.activeElement.href")
    page.keyboard.press("Enter")
    page.wait_for_url(status_url)
    assert reference in page.locator("main").inner_text()
    assert ORGANISATION in page.locator("main").inner_text()
    shot(page, "a5-statusseite")
    journey.update(reference=reference, status_url=status_url)


# (b) -------------------------------------------------------------------------------------------

LEAD = "leitung@example.org"
CONSULTANT = "beratung@example.org"
CONSULTANT_NAME = "Selen Eriçok"


def test_b_lead_reviews_talks_and_accepts(page, journey) -> None:
    _needs(journey, "reference")
    log_in(page, LEAD)
    shot(page, "b1-dashboard-leitung")
    page.goto("/applications")
    page.get_by_role("link", name=journey["reference"]).click()
    page.wait_for_url(re.compile(r"/applications/\d+$"))
    journey["application_url"] = page.url
    assert ORGANISATION in page.locator("h1").inner_text() + page.locator("main").inner_text()
    shot(page, "b2-bewerbung")

    scores = {"leadership": 5, "resources": 3, "relevance": 5, "feasibility": 4}
    for criterion, score in scores.items():
        page.check(f"input[name='review-score_{criterion}'][value='{score}']")
    page.get_by_label("Kommentar").fill("Klarer Auftrag, Leitung steht dahinter.")
    page.get_by_role("button", name="Bewertung speichern").click()
    page.wait_for_load_state()
    assert "Bewertung ändern" in page.locator("main").inner_text()
    assert page.locator("input[name='review-score_resources'][value='3']").is_checked()

    page.get_by_role("button", name="Status auf „in Prüfung“ setzen").click()
    page.wait_for_load_state()
    page.focus("input[name='move-talk_on']")
    _type_date(page, 20, 10, 2025)
    page.get_by_role("button", name="Status auf „im Vorgespräch“ setzen").click()
    page.wait_for_load_state()
    assert "20.10.2025" in page.locator("main").inner_text()
    shot(page, "b3-im-vorgespraech")

    page.get_by_role("link", name="Bewerbung annehmen …").click()
    page.wait_for_url(re.compile(r"/accept$"))
    shot(page, "b4-annehmen")
    # Start today, so the consultant can begin at once (the form proposed the wished-for day).
    page.get_by_label("Beginn der Prozessbegleitung").fill("2025-10-15")
    lead = page.get_by_label("Federführung")
    lead.select_option(lead.locator("option", has_text=CONSULTANT_NAME).get_attribute("value"))
    page.get_by_role("button", name="Annehmen und Prozessbegleitung planen").click()
    page.wait_for_url(re.compile(r"/engagements/\d+$"))
    main = page.locator("main").inner_text()
    assert ORGANISATION in main
    phases = page.locator("#phases, section[aria-labelledby='phases-title']").first
    assert "Bestandsaufnahme" in phases.inner_text()
    shot(page, "b5-neue-prozessbegleitung")
    journey["engagement_url"] = page.url


# (c) -------------------------------------------------------------------------------------------


def _day(text: str) -> date:
    day, month, year = map(int, re.search(r"(\d{2})\.(\d{2})\.(\d{4})", text).groups())
    return date(year, month, day)


def test_c_consultant_completes_reschedules_and_logs(page, journey) -> None:
    _needs(journey, "engagement_url")
    log_in(page, CONSULTANT)
    page.goto(journey["engagement_url"])
    page.get_by_role("button", name="Prozessbegleitung beginnen").click()
    page.wait_for_load_state()
    assert "aktiv" in page.locator(".meta").first.inner_text()

    # Complete the first milestone, with a note on how one can tell.
    page.get_by_role("link", name=re.compile(r"^Erledigen\W+Erstgespräch$")).click()
    page.get_by_label("Erledigt am").fill("2025-10-15")
    page.get_by_label("Nachweis").fill("Protokoll des Erstgesprächs liegt vor.")
    shot(page, "c1-meilenstein-erledigen")
    page.get_by_role("button", name="Als erledigt speichern").click()
    page.wait_for_url(re.compile(re.escape(journey["engagement_url"])))
    assert "1 von 12 erledigt" in page.locator(".meta").first.inner_text()

    # Move the next one a week later; the preview shows old and new dates before anything is saved.
    page.get_by_role("link", name="Termine verschieben").click()
    target = page.get_by_role("link", name=re.compile(r"^Kooperationsvereinbarung unterzeichnet"))
    old_day = _day(target.inner_text())
    target.click()
    new_day = old_day + timedelta(days=7)
    page.get_by_role("textbox", name="Neues Datum").fill(new_day.isoformat())
    # Only this one: moving every later date would push the last past the planned end.
    page.get_by_role("checkbox", name=re.compile("^Alle späteren offenen Meilensteine")).uncheck()
    page.get_by_role("button", name="Vorschau").click()
    preview = page.locator("table", has=page.get_by_text("Bisherige und neue Termine"))
    row = preview.locator("tr", has=page.get_by_text("Kooperationsvereinbarung unterzeichnet"))
    assert row.locator("td").nth(1).inner_text() == old_day.strftime("%d.%m.%Y")
    assert row.locator("td").nth(2).inner_text() == new_day.strftime("%d.%m.%Y")
    shot(page, "c2-verschieben-vorschau")
    page.get_by_role("button", name="Verschieben", exact=True).click()
    page.wait_for_url(re.compile(re.escape(journey["engagement_url"])))
    moved = page.locator("li", has=page.get_by_text("Kooperationsvereinbarung unterzeichnet")).first
    assert new_day.strftime("%d.%m.%Y") in moved.inner_text()

    # Log the talk as an activity.
    page.get_by_role("link", name="Aktivität erfassen").click()
    page.get_by_role("combobox", name="Art").select_option(label="Treffen")
    page.get_by_role("textbox", name="Datum").fill("2025-10-15")
    page.get_by_role("spinbutton", name="Dauer in Minuten").fill("90")
    page.get_by_role("textbox", name="Notiz").fill("Erstgespräch mit Amts- und Teamleitungen.")
    shot(page, "c3-aktivitaet-erfassen")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url(re.compile(re.escape(journey["engagement_url"])))
    activities = page.locator("section", has=page.get_by_role("heading", name="Letzte Aktivitäten"))
    assert "Erstgespräch mit Amts- und Teamleitungen." in activities.inner_text()
    shot(page, "c4-prozessbegleitung-nach-der-arbeit")
    journey.update(moved=(old_day, new_day))


# (d) -------------------------------------------------------------------------------------------


def test_d_lead_sees_it_on_the_timeline_and_in_the_report(page, journey) -> None:
    _needs(journey, "moved")
    old_day, new_day = journey["moved"]
    log_in(page, LEAD)
    page.goto("/timeline")
    # The chart: a bar for the new engagement, a focusable link named after the organisation.
    bar = page.locator("svg a", has=page.locator("title", has_text=ORGANISATION))
    assert bar.count() == 1
    assert "aktiv" in bar.locator("title").first.text_content()
    # The table below it: the milestone done, and the moved one with its old (baseline) date.
    row = page.locator(".tl-table tr", has=page.get_by_role("link", name=ORGANISATION))
    cells = row.locator("td")
    assert cells.nth(0).inner_text() == CONSULTANT_NAME
    milestones = cells.nth(5).inner_text()
    assert re.search(r"Erstgespräch[^\n]*erledigt", milestones), milestones
    moved = next(line for line in milestones.splitlines() if "Kooperationsvereinbarung" in line)
    assert new_day.strftime("%d.%m.%Y") in moved and old_day.strftime("%d.%m.%Y") in moved, moved
    bar.scroll_into_view_if_needed()
    shot(page, "d1-zeitleiste", full_page=False)  # the chart; the whole page is 12,000 px

    page.goto("/reports")
    shot(page, "d2-berichte")
    with page.expect_download() as download:
        page.get_by_role("link", name="Alle Tabellen als Excel-Datei (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(BytesIO(download.value.path().read_bytes()), read_only=True)
    # The file holds the figures the page shows, the journey's new ones included.
    tables = {  # the page's caption → the file's sheet
        "Bewerbungen nach Status": "Bewerbungen nach Status",
        "Prozessbegleitungen nach Status": "Prozessbegleitungen nach Status",
        "Aktivitäten nach Art": "Aktivitäten",
    }
    for title, sheet in tables.items():
        shown = _report_counts(page, title)
        filed = {
            str(line[0]): int(line[1])
            for line in workbook[sheet].iter_rows(min_row=2, values_only=True)
            if line[0] is not None and isinstance(line[1], int | float)
        }
        assert filed == shown, title
    assert _report_counts(page, "Aktivitäten nach Art")["Treffen"] >= 1
    assert _report_counts(page, "Prozessbegleitungen nach Status")["aktiv"] >= 1


def _report_counts(page: Any, title: str) -> dict[str, int]:
    """The first two columns of the report table captioned ``title``: label → count."""
    table = page.locator("table", has=page.locator("caption", has_text=re.compile(f"^{title}$")))
    counts = {}
    for row in table.locator("tbody tr, tfoot tr").all():
        label = row.locator("th, td").nth(0).inner_text().strip()
        value = row.locator("td").nth(0 if row.locator("th").count() else 1).inner_text()
        counts[label] = int(value.replace(".", ""))
    return counts


# (e) -------------------------------------------------------------------------------------------


def test_e_form_with_errors_focuses_the_summary_and_keeps_the_values(page) -> None:
    page.goto("/apply")
    page.get_by_label("Name der Organisation").fill(ORGANISATION)
    page.get_by_label("Name der Ansprechperson").fill(CONTACT)
    page.get_by_label("E-Mail-Adresse").fill("d.sahin-at-jugendamt")
    page.get_by_label("Motivation").fill(MOTIVATION)
    page.get_by_label("Gewünschte Dauer in Monaten").fill("24")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Bewerbung absenden").click()
    assert answer.value.status == 422
    page.wait_for_load_state()

    assert page.title().startswith("Fehler:")
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    problems = summary.get_by_role("link").all_inner_texts()
    for expected in ("Bereich", "E-Mail", "Dauer", "Einwilligung"):
        assert any(expected in problem for problem in problems), (expected, problems)
    shot(page, "e1-formular-mit-fehlern")

    # What was typed is still there, the wrong parts included, so only they need fixing.
    assert page.get_by_label("Name der Organisation").input_value() == ORGANISATION
    assert page.get_by_label("Name der Ansprechperson").input_value() == CONTACT
    assert page.get_by_label("E-Mail-Adresse").input_value() == "d.sahin-at-jugendamt"
    assert page.get_by_label("Motivation").input_value() == MOTIVATION
    assert page.get_by_label("Gewünschte Dauer in Monaten").input_value() == "24"

    # A link in the summary takes the keyboard to its field.
    page.keyboard.press("Tab")
    link = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert link and link.startswith("#")
    page.keyboard.press("Enter")
    assert page.evaluate("() => '#' + document.activeElement.id") == link
