"""/capacity: staff × month, running and planned engagements, the limit, free staff."""

from __future__ import annotations

import re
from datetime import date

import pytest

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.portfolio.capacity import (
    LimitState,
    capacity_table,
    month_end,
    months_between,
    parse_month,
)
from caseflow.portfolio.figures import ReportPeriod, engagement_figures
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import page_text, table

CAPTION = "Prozessbegleitungen je Person und Monat"
# "Today" for the counting tests: before every planned end, so no running engagement overruns.
BEFORE_ANY_END = date(2024, 4, 1)


@pytest.fixture(autouse=True)
def _frozen_before_any_end():
    """The pages count running engagements up to today: a fixed today keeps the counts."""
    with clock.frozen(BEFORE_ANY_END):
        yield


CELL = re.compile(
    r"(?:(?P<context>[^:]+, [^:]+ \d{4}): )?(?P<running>\d+)(?: \+ (?P<planned>\d+) geplant)?"
    r"(?P<flag> ⚠, über Grenze(?P<with_planned> mit den geplanten)?)?"
)


def _cell(text: str) -> tuple[int, int, str]:
    """(running, planned, limit state) from a cell's text."""
    match = CELL.fullmatch(text)
    assert match, text
    state = LimitState.WITHIN
    if match["flag"]:
        state = LimitState.OVER_WITH_PLANNED if match["with_planned"] else LimitState.OVER
    return int(match["running"]), int(match["planned"] or 0), state


def _cells(response, name: str) -> dict[str, tuple[int, int, str]]:
    found = table(response, CAPTION)
    header = found.rows[0]
    return {month: _cell(text) for month, text in zip(header[1:], found.row(name)[1:], strict=True)}


def _hand_built(session) -> dict:
    """The set the counting tests share (each engagement is 6–18 months, inside the window).

    alice: E1 lead  aktiv        2025-01-31 – 2025-07-30  (starts on a 31st, ends on a 30th)
           E2 lead  abgebrochen  2025-03-01 – 2025-12-31, actual end 2025-04-30 (30 days)
           E3 co    geplant      2025-05-01 – 2025-10-31
    bob:   E1 co; E3 lead
    carol: E4 lead  aktiv        2024-04-01 – 2024-09-30  (the window's first month)
           E5 co    geplant      2026-02-01 – 2026-07-31  (the window's last month)
    """
    alice = factories.make_staff_member(session, name="Alice A")
    bob = factories.make_staff_member(session, name="Bob B")
    carol = factories.make_staff_member(session, name="Carol C")
    dora = factories.make_staff_member(session, name="Dora D")
    make = factories.make_engagement
    organisation = factories.make_organisation
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "E1": make(
            session,
            lead=alice,
            co=[bob],
            organisation=organisation(session, name="Jugendamt Eins"),
            start=date(2025, 1, 31),
            end=date(2025, 7, 30),
            status=EngagementStatus.AKTIV,
        ),
        "E2": make(
            session,
            lead=alice,
            organisation=organisation(session, name="Sozialamt Zwei"),
            start=date(2025, 3, 1),
            end=date(2025, 12, 31),
            status=EngagementStatus.ABGEBROCHEN,
            actual_end=date(2025, 4, 30),
        ),
        "E3": make(
            session,
            lead=bob,
            co=[alice],
            organisation=organisation(session, name="Bürgeramt Drei"),
            start=date(2025, 5, 1),
            end=date(2025, 10, 31),
        ),
        "E4": make(
            session,
            lead=carol,
            start=date(2024, 4, 1),
            end=date(2024, 9, 30),
            status=EngagementStatus.AKTIV,
        ),
        "E5": make(session, lead=dora, co=[carol], start=date(2026, 2, 1), end=date(2026, 7, 31)),
    }


# --- the counting ---------------------------------------------------------------------------


def test_months_are_integer_arithmetic_over_the_window():
    assert months_between(date(2024, 4, 15), date(2024, 7, 1)) == [
        date(2024, 4, 1),
        date(2024, 5, 1),
        date(2024, 6, 1),
        date(2024, 7, 1),
    ]
    assert months_between(date(2024, 11, 30), date(2025, 2, 1))[1:3] == [
        date(2024, 12, 1),
        date(2025, 1, 1),
    ]
    assert month_end(date(2025, 4, 1)) == date(2025, 4, 30)
    assert month_end(date(2024, 12, 1)) == date(2024, 12, 31)
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)


def test_counts_running_and_planned_apart_in_every_month_the_dates_touch(session, app):
    _hand_built(session)
    result = capacity_table(
        session,
        today=BEFORE_ANY_END,
        start=date(2024, 4, 1),
        end=date(2026, 7, 31),
        limit=app.config["CAPACITY_LIMIT"],
    )
    assert len(result.months) == 28
    months = [f"{month:%Y-%m}" for month in result.months]
    rows = {
        row.name: {
            month: (cell.running, cell.planned)
            for month, cell in zip(months, row.cells, strict=True)
            if cell.total
        }
        for row in result.rows
    }
    assert rows["Alice A"] == {
        "2025-01": (1, 0),  # E1 from 31 January
        "2025-02": (1, 0),
        "2025-03": (2, 0),  # E1 and E2
        "2025-04": (2, 0),  # E2 ends on 30 April: still counted
        "2025-05": (1, 1),  # E1 runs, E3 is planned; E2 is over
        "2025-06": (1, 1),
        "2025-07": (1, 1),  # E1 ends on 30 July
        "2025-08": (0, 1),
        "2025-09": (0, 1),
        "2025-10": (0, 1),
    }
    assert rows["Bob B"] == {
        **{f"2025-{month:02d}": (1, 0) for month in range(1, 5)},
        **{f"2025-{month:02d}": (1, 1) for month in range(5, 8)},
        **{f"2025-{month:02d}": (0, 1) for month in range(8, 11)},
    }
    assert rows["Carol C"] == {
        **{f"2024-{month:02d}": (1, 0) for month in range(4, 10)},
        **{f"2026-{month:02d}": (0, 1) for month in range(2, 8)},
    }
    totals = dict(zip(months, result.totals, strict=True))
    assert (totals["2025-03"].running, totals["2025-03"].planned) == (3, 0)
    assert (totals["2025-05"].running, totals["2025-05"].planned) == (2, 2)
    assert (totals["2026-07"].running, totals["2026-07"].planned) == (0, 2)
    assert totals["2025-11"].total == 0


def test_a_narrower_window_clips_the_engagements(session):
    _hand_built(session)
    result = capacity_table(
        session, today=BEFORE_ANY_END, start=date(2025, 4, 1), end=date(2025, 5, 31)
    )
    rows = {row.name: [(cell.running, cell.planned) for cell in row.cells] for row in result.rows}
    assert rows["Alice A"] == [(2, 0), (1, 1)]
    assert rows["Carol C"] == [(0, 0), (0, 0)]  # on a team, nothing in this window


def test_limit_counts_running_and_planned_together(session):
    _hand_built(session)
    result = capacity_table(
        session, today=BEFORE_ANY_END, start=date(2025, 1, 1), end=date(2025, 8, 31), limit=1
    )
    alice = next(row for row in result.rows if row.name == "Alice A")
    assert [cell.state for cell in alice.cells] == [
        LimitState.WITHIN,  # 1 running: exactly the limit
        LimitState.WITHIN,
        LimitState.OVER,  # 2 running
        LimitState.OVER,
        LimitState.OVER_WITH_PLANNED,  # 1 running + 1 planned
        LimitState.OVER_WITH_PLANNED,
        LimitState.OVER_WITH_PLANNED,
        LimitState.WITHIN,  # 1 planned
    ]
    at_two = capacity_table(
        session, today=BEFORE_ANY_END, start=date(2025, 3, 1), end=date(2025, 5, 31), limit=2
    )
    alice = next(row for row in at_two.rows if row.name == "Alice A")
    assert [cell.is_over for cell in alice.cells] == [False, False, False]


def test_parse_month_accepts_only_months_of_the_window():
    window = {"start": date(2024, 4, 1), "end": date(2026, 7, 31)}
    assert parse_month("2024-04", **window) == date(2024, 4, 1)
    assert parse_month("2026-07", **window) == date(2026, 7, 1)
    for text in ("2024-03", "2026-08", "2025-13", "2025-00", "2025-1", "25-01", "2025-01-01"):
        assert parse_month(text, **window) is None, text
    for text in ("abc", "", "２０２５-０１", "2025-01\n", "0000-01", "9999-12"):
        assert parse_month(text, **window) is None, text


# --- the page -------------------------------------------------------------------------------


def test_page_shows_counts_planned_and_the_explanation(client, session, logged_in):
    logged_in(Role.LEAD, name="Lea Leitung")
    _hand_built(session)
    response = client.get("/capacity")
    assert response.status_code == 200
    found = table(response, CAPTION)
    header = found.rows[0]
    assert header[0] == "Person"
    assert (header[1], header[-1], len(header)) == ("04/2024", "07/2026", 1 + 28)
    alice = _cells(response, "Alice A")
    assert alice["12/2024"] == (0, 0, LimitState.WITHIN)
    assert alice["03/2025"] == (2, 0, LimitState.WITHIN)
    assert alice["05/2025"] == (1, 1, LimitState.WITHIN)
    assert alice["09/2025"] == (0, 1, LimitState.WITHIN)
    carol = _cells(response, "Carol C")
    assert carol["04/2024"] == (1, 0, LimitState.WITHIN)
    assert carol["07/2026"] == (0, 1, LimitState.WITHIN)
    totals = {
        month: _cell(text) for month, text in zip(header[1:], found.row("Summe")[1:], strict=True)
    }
    assert totals["05/2025"] == (2, 2, LimitState.WITHIN)
    text = page_text(response)
    assert "federführend oder als Co-Begleitung" in text
    assert "Grenze: 4 Prozessbegleitungen je Person und Monat, laufende und geplante zusammen" in (
        text
    )
    html = response.get_data(as_text=True)
    assert '<th scope="col">04/2024</th>' in html
    assert '<th scope="row">Alice A</th>' in html
    assert "css/capacity.css" in html


def test_cells_over_the_limit_are_marked_by_more_than_colour(
    client, session, logged_in, app, monkeypatch
):
    monkeypatch.setitem(app.config, "CAPACITY_LIMIT", 1)
    logged_in(Role.LEAD)
    _hand_built(session)
    response = client.get("/capacity")
    alice = _cells(response, "Alice A")
    assert alice["02/2025"] == (1, 0, LimitState.WITHIN)
    assert alice["03/2025"] == (2, 0, LimitState.OVER)
    assert alice["05/2025"] == (1, 1, LimitState.OVER_WITH_PLANNED)
    html = response.get_data(as_text=True)
    # Bold and framed by class, a mark, and the words for screen readers.
    assert html.count("capacity-cell--over") == 2 + 3 + 3  # alice 2 + 3, bob 3 (1 + 1)
    assert '<span class="capacity-flag" aria-hidden="true">⚠</span>' in html
    assert '<span class="visually-hidden">, über Grenze</span>' in html
    assert "Grenze: 1 Prozessbegleitung je Person und Monat" in page_text(response)
    totals = table(response, CAPTION).row("Summe")
    assert not any("über Grenze" in cell for cell in totals)


def test_free_staff_show_zeros_and_inactive_staff_without_engagements_do_not(
    client, session, logged_in, make_staff
):
    logged_in(Role.LEAD, name="Lea Leitung")
    make_staff(Role.CONSULTANT, name="Frieda Frei")
    make_staff(Role.CONSULTANT, name="Ina Inaktiv", is_active=False)
    make_staff(Role.ADMIN, name="Adam Admin")
    factories.make_staff_member(session, name="Kai Kontakt")  # no login
    gone = factories.make_staff_member(session, name="Gerd Gegangen")
    factories.make_engagement(session, lead=gone, start=date(2025, 1, 1), end=date(2025, 6, 30))
    gone.is_active = False
    session.flush()
    response = client.get("/capacity")
    names = [row[0] for row in table(response, CAPTION).rows[1:-1]]
    assert names == ["Frieda Frei", "Gerd Gegangen", "Lea Leitung"]
    frieda = _cells(response, "Frieda Frei")
    assert set(frieda.values()) == {(0, 0, LimitState.WITHIN)}
    assert _cells(response, "Gerd Gegangen")["06/2025"] == (0, 1, LimitState.WITHIN)
    # Zeros are no links.
    html = response.get_data(as_text=True)
    frieda_id = next(
        row.staff_member_id
        for row in capacity_table(
            session, today=BEFORE_ANY_END, start=date(2024, 4, 1), end=date(2026, 7, 31)
        ).rows
        if row.name == "Frieda Frei"
    )
    assert f"/capacity/{frieda_id}/" not in html


def test_empty_capacity(session):
    # Nobody on a team and nobody who could take one (a logged-in lead would be a row).
    result = capacity_table(
        session, today=BEFORE_ANY_END, start=date(2025, 1, 1), end=date(2025, 3, 31)
    )
    assert result.rows == []
    assert [cell.total for cell in result.totals] == [0, 0, 0]


# --- the cell list --------------------------------------------------------------------------


def _cell_rows(response) -> list[list[str]]:
    return table(response, "Prozessbegleitungen von").rows[1:]


def test_a_cell_links_to_exactly_the_engagements_it_counts(client, session, logged_in):
    logged_in(Role.LEAD)
    built = _hand_built(session)
    alice = built["alice"]
    page = client.get("/capacity").get_data(as_text=True)
    assert f'href="/capacity/{alice.id}/2025-05"' in page
    assert f'href="/capacity/{alice.id}/2025-11"' not in page  # a zero is no link

    response = client.get(f"/capacity/{alice.id}/2025-05")
    assert response.status_code == 200
    assert _cell_rows(response) == [
        ["Jugendamt Eins", "Federführung", "aktiv", "31.01.2025", "30.07.2025 (geplant)"],
        ["Bürgeramt Drei", "Co-Begleitung", "geplant", "01.05.2025", "31.10.2025 (geplant)"],
    ]
    html = response.get_data(as_text=True)
    assert f'href="/engagements/{built["E1"].id}"' in html
    assert f'href="/engagements/{built["E3"].id}"' in html
    text = page_text(response)
    assert "Alice A" in text and "Mai 2025" in text

    april = _cell_rows(client.get(f"/capacity/{alice.id}/2025-04"))
    assert [row[0] for row in april] == ["Jugendamt Eins", "Sozialamt Zwei"]
    assert april[1][2:] == ["abgebrochen", "01.03.2025", "30.04.2025 (tatsächlich)"]
    edge = _cell_rows(client.get(f"/capacity/{built['carol'].id}/2026-07"))
    assert [row[1:3] for row in edge] == [["Co-Begleitung", "geplant"]]


def test_cell_of_a_free_month_says_so(client, session, logged_in):
    lead = logged_in(Role.LEAD, name="Lea Leitung")
    response = client.get(f"/capacity/{lead.id}/2025-01")
    assert response.status_code == 200
    assert "Lea Leitung hat in diesem Monat keine Prozessbegleitung" in page_text(response)


def test_bad_cells_are_404(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    for path in (
        "/capacity/999999/2025-01",
        "/capacity/3000000000/2025-01",
        f"/capacity/{lead.id}/2024-03",
        f"/capacity/{lead.id}/2026-08",
        f"/capacity/{lead.id}/2025-13",
        f"/capacity/{lead.id}/2025-1",
        f"/capacity/{lead.id}/januar",
        f"/capacity/{lead.id}/2025-01-01",
        f"/capacity/{lead.id}/",
        "/capacity/abc/2025-01",
    ):
        assert client.get(path).status_code == 404, path


def test_only_leads_and_admins_see_capacity(client, session, logged_in, make_staff):
    member = make_staff(Role.CONSULTANT)
    for path in ("/capacity", f"/capacity/{member.id}/2025-01"):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.location, path
    logged_in(Role.CONSULTANT)
    for path in ("/capacity", f"/capacity/{member.id}/2025-01"):
        assert client.get(path).status_code == 403, path


def test_admin_sees_capacity(client, session, logged_in):
    admin = logged_in(Role.ADMIN)
    assert client.get("/capacity").status_code == 200
    assert client.get(f"/capacity/{admin.id}/2025-01").status_code == 200


# --- overruns: running engagements count up to today ----------------------------------------


def _overrun(session, status=EngagementStatus.AKTIV):
    lead = factories.make_staff_member(session, name="Olga Overrun")
    engagement = factories.make_engagement(
        session,
        lead=lead,
        organisation=factories.make_organisation(session, name="Amt Überzogen"),
        start=date(2025, 1, 1),
        end=date(2025, 6, 30),
        status=status,
    )
    return lead, engagement


def _counts(session, lead, today: date) -> list[tuple[int, int]]:
    result = capacity_table(session, today=today, start=date(2025, 6, 1), end=date(2025, 10, 31))
    row = next(row for row in result.rows if row.staff_member_id == lead.id)
    return [(cell.running, cell.planned) for cell in row.cells]


@pytest.mark.parametrize("status", [EngagementStatus.AKTIV, EngagementStatus.PAUSIERT])
def test_a_running_engagement_past_its_planned_end_counts_until_today(session, status):
    lead, _engagement = _overrun(session, status)
    # Planned to end 30.06.2025, still running on 15.09.2025: June to September.
    assert _counts(session, lead, date(2025, 9, 15)) == [(1, 0)] * 4 + [(0, 0)]
    # Before its planned end, the planned end holds.
    assert _counts(session, lead, date(2025, 5, 1)) == [(1, 0)] + [(0, 0)] * 4
    # The reports page counts it as active in September, too.
    september = ReportPeriod(date(2025, 9, 1), date(2025, 9, 30))
    assert engagement_figures(session, september, today=date(2025, 9, 15)).active == 1


def test_planned_and_closed_engagements_keep_their_ends(session):
    lead = factories.make_staff_member(session, name="Paula Plan")
    factories.make_engagement(
        session, lead=lead, start=date(2025, 1, 1), end=date(2025, 6, 30)
    )  # geplant
    factories.make_engagement(
        session,
        lead=lead,
        start=date(2025, 1, 1),
        end=date(2025, 6, 30),
        status=EngagementStatus.ABGESCHLOSSEN,
        actual_end=date(2025, 7, 15),
    )
    assert _counts(session, lead, date(2025, 9, 15)) == [(1, 1), (1, 0), (0, 0), (0, 0), (0, 0)]


def test_the_cell_list_shows_an_overrun_in_the_current_month(client, session, logged_in):
    lead, _engagement = _overrun(session)
    with clock.frozen(date(2025, 9, 15)):
        logged_in(Role.LEAD)  # on the day: a session from months before would have ended
        cells = _cells(client.get("/capacity"), "Olga Overrun")
        rows = _cell_rows(client.get(f"/capacity/{lead.id}/2025-09"))
    assert cells["09/2025"] == (1, 0, LimitState.WITHIN)
    assert cells["10/2025"] == (0, 0, LimitState.WITHIN)
    assert rows == [
        [
            "Amt Überzogen",
            "Federführung",
            "aktiv",
            "01.01.2025",
            "30.06.2025 (geplant) überschritten, läuft noch",
        ]
    ]


def test_cell_links_name_the_person_and_month_for_screen_readers(client, session, logged_in):
    lead, _engagement = _overrun(session)
    with clock.frozen(date(2025, 3, 10)):
        logged_in(Role.LEAD)  # on the day: a session from months before would have ended
        html = client.get("/capacity").get_data(as_text=True)
    link = f'<a href="/capacity/{lead.id}/2025-05">'
    assert (
        f'{link}<span class="visually-hidden">Olga Overrun, Mai 2025: </span>'
        '<span class="capacity-running">1</span></a>'
    ) in html
