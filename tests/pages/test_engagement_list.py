"""The filters of ``/engagements``: each narrows the list, they combine, bad values are ignored
with a German note, and the page runs a fixed number of SQL statements whatever the filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.queries import current_phase, list_engagements
from caseflow.engagements.rules import end_after_months
from caseflow.engagements.views.listing import PER_PAGE
from caseflow.organisations.choices import District, Sector
from caseflow.staff.models import Role, StaffMember
from tests import factories
from tests.conftest import login
from tests.pages.helpers import body_rows, page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

TODAY = date(2025, 3, 10)
MITTE = "Jugendamt Mitte"
SPANDAU = "Pflegeheim Spandau"
NEUKOELLN = "Familienzentrum Neukölln"
PANKOW = "Bürgeramt Pankow"
ALL = [PANKOW, MITTE, SPANDAU, NEUKOELLN]  # open ones by start date, then the closed one


@dataclass
class Portfolio:
    kim: StaffMember  # consultant: leads Mitte, co on Neukölln
    noah: StaffMember  # consultant: leads Spandau, co on Mitte
    lea: StaffMember  # lead: leads Neukölln and Pankow
    cora: StaffMember  # co on Spandau only
    ola: StaffMember  # on no team


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def portfolio(session, make_staff) -> Portfolio:
    kim = make_staff(Role.CONSULTANT, name="Kim Berater")
    noah = make_staff(Role.CONSULTANT, name="Noah Begleiter")
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    cora = make_staff(Role.CONSULTANT, name="Cora Co")
    ola = make_staff(Role.CONSULTANT, name="Ola Ohne")
    organisation = factories.make_organisation
    factories.make_engagement(
        session,
        lead=kim,
        co=[noah],
        organisation=organisation(session, name=MITTE, district=District.MITTE),
        status=EngagementStatus.AKTIV,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
    )
    factories.make_engagement(
        session,
        lead=noah,
        co=[cora],
        organisation=organisation(
            session,
            name=SPANDAU,
            sector=Sector.GESUNDHEIT,
            subtype="pflegeeinrichtung",
            district=District.SPANDAU,
        ),
        start=date(2025, 6, 1),
        end=date(2026, 5, 31),
    )
    # Closed early: planned to end on 31.03.2025, actually ended on 31.12.2024.
    factories.make_engagement(
        session,
        lead=lea,
        co=[kim],
        organisation=organisation(
            session,
            name=NEUKOELLN,
            sector=Sector.KINDER_FAMILIE,
            subtype="familienzentrum",
            district=District.NEUKOELLN,
        ),
        status=EngagementStatus.ABGESCHLOSSEN,
        start=date(2024, 4, 1),
        end=date(2025, 3, 31),
        actual_end=date(2024, 12, 31),
    )
    factories.make_engagement(
        session,
        lead=lea,
        organisation=organisation(
            session, name=PANKOW, subtype="buergeramt", district=District.PANKOW
        ),
        status=EngagementStatus.PAUSIERT,
        start=date(2024, 9, 1),
        end=date(2025, 8, 31),
    )
    return Portfolio(kim=kim, noah=noah, lea=lea, cora=cora, ola=ola)


def _as(client, member: StaffMember) -> None:
    assert login(client, member.email).status_code == 302


def _organisations(response) -> list[str]:
    assert response.status_code == 200
    if "Es gibt keine Prozessbegleitung" in page_text(response) or (
        "Ihnen ist keine Prozessbegleitung zugeordnet" in page_text(response)
    ):
        return []
    return [row[0] for row in body_rows(table(response, "Prozessbegleitungen"))]


def _query(template: str, people: Portfolio) -> str:
    return template.format(**{name: getattr(people, name).id for name in vars(people)})


def _options(html: str, select_name: str) -> list[str]:
    match = re.search(
        rf'<select id="filter-{select_name}" name="{select_name}">(.*?)</select>', html, re.S
    )
    assert match, select_name
    return [text.strip() for text in re.findall(r"<option[^>]*>([^<]*)</option>", match.group(1))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        ("status=aktiv", [MITTE]),
        ("status=abgeschlossen", [NEUKOELLN]),
        ("lead={kim}", [MITTE]),
        ("lead={lea}", [PANKOW, NEUKOELLN]),
        ("member={kim}", [MITTE, NEUKOELLN]),  # lead of one, co on the other
        ("member={noah}", [MITTE, SPANDAU]),
        ("member={cora}", [SPANDAU]),
        ("sector=buergerdienst", [PANKOW, MITTE]),
        ("sector=kinder_familie", [NEUKOELLN]),
        ("district=spandau", [SPANDAU]),
        ("starts_from=2025-01-01", [MITTE, SPANDAU]),  # the bounds are inclusive
        ("starts_to=2024-12-31", [PANKOW, NEUKOELLN]),
        ("starts_from=2025-01-01&starts_to=2025-01-01", [MITTE]),
        ("ends_from=2025-08-31", [PANKOW, MITTE, SPANDAU]),
        ("ends_to=2025-08-31", [PANKOW, NEUKOELLN]),
        # Neukölln was planned to end on 31.03.2025 but ended on 31.12.2024: the actual end counts.
        ("ends_from=2025-01-01&ends_to=2025-06-30", []),
        ("ends_from=2024-12-31&ends_to=2024-12-31", [NEUKOELLN]),
    ],
)
def test_each_filter_narrows_the_list(client, portfolio, query, expected):
    _as(client, portfolio.lea)  # a lead sees everything by default
    assert _organisations(client.get("/engagements?" + _query(query, portfolio))) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("member={kim}&status=abgeschlossen", [NEUKOELLN]),
        ("lead={lea}&sector=buergerdienst", [PANKOW]),
        ("member={kim}&member=&lead={lea}", [NEUKOELLN]),
        ("member={noah}&district=mitte&starts_to=2025-01-31&ends_from=2025-12-01", [MITTE]),
        ("status=aktiv&district=spandau", []),
        ("mine=1&sector=buergerdienst", [PANKOW]),
        ("mine=1&member={kim}", [NEUKOELLN]),  # Lea and Kim both on the team
    ],
)
def test_filters_combine(client, portfolio, query, expected):
    _as(client, portfolio.lea)
    assert _organisations(client.get("/engagements?" + _query(query, portfolio))) == expected


def test_a_consultant_sees_only_their_own(client, portfolio):
    """A consultant may open only the engagements whose team they are on (tests/test_idor.py),
    so the list holds those and no others: no "nur meine" to untick, an old ``mine=0`` link
    changes nothing, and the team filters offer the colleagues on those engagements."""
    _as(client, portfolio.kim)
    own = client.get("/engagements")
    assert _organisations(own) == [MITTE, NEUKOELLN]
    html = own.get_data(as_text=True)
    assert 'id="filter-mine"' not in html
    assert 'name="mine"' not in html
    assert _organisations(client.get("/engagements?mine=0")) == [MITTE, NEUKOELLN]
    assert "Alle Prozessbegleitungen" not in page_text(client.get("/engagements?mine=0"))
    # Filters narrow within one's own.
    assert _organisations(client.get("/engagements?status=aktiv")) == [MITTE]
    assert _organisations(client.get(f"/engagements?lead={portfolio.lea.id}")) == [NEUKOELLN]
    assert _organisations(client.get(f"/engagements?member={portfolio.noah.id}")) == [MITTE]
    # Lea leads Pankow too and Noah leads Spandau, neither of them Kim's: the lead filter
    # offers Kim and Lea, the team filter the three people on Kim's engagements.
    assert _options(html, "lead") == ["alle", "Kim Berater", "Lea Leitung"]
    assert _options(html, "member") == ["alle", "Kim Berater", "Lea Leitung", "Noah Begleiter"]


def test_a_lead_sees_everything_by_default(client, portfolio):
    _as(client, portfolio.lea)
    response = client.get("/engagements")
    assert _organisations(response) == ALL
    assert 'id="filter-mine" name="mine" value="1">' in response.get_data(as_text=True)
    assert _organisations(client.get("/engagements?mine=0&mine=1")) == [PANKOW, NEUKOELLN]


def test_caption_counts_the_results(client, portfolio):
    _as(client, portfolio.lea)
    everything = table(client.get("/engagements"), "Prozessbegleitungen")
    assert everything.caption == "Alle Prozessbegleitungen: 4 Ergebnisse"
    one = table(client.get("/engagements?district=mitte"), "Prozessbegleitungen")
    assert one.caption == "Alle Prozessbegleitungen (gefiltert): 1 Ergebnis"


def test_caption_of_ones_own_engagements(client, portfolio):
    _as(client, portfolio.kim)
    mine = table(client.get("/engagements"), "Prozessbegleitungen")
    assert mine.caption == "Meine Prozessbegleitungen: 2 Ergebnisse"


def test_rows_show_the_actual_end_of_a_closed_engagement(client, portfolio):
    _as(client, portfolio.lea)
    rows = table(client.get("/engagements"), "Prozessbegleitungen")
    assert rows.rows[0][-2:] == ["Beginn", "Ende"]
    assert rows.row(NEUKOELLN)[1:3] == ["abgeschlossen", "Lea Leitung"]
    assert rows.row(NEUKOELLN)[-2:] == ["01.04.2024", "31.12.2024 (tatsächlich)"]
    assert rows.row(PANKOW)[-2:] == ["01.09.2024", "31.08.2025"]
    assert rows.row(SPANDAU)[4] == "0/12 0 von 12 erledigt"


def test_select_boxes_offer_the_staff_on_teams_sorted_by_name(client, portfolio):
    _as(client, portfolio.lea)
    html = client.get(f"/engagements?lead={portfolio.noah.id}").get_data(as_text=True)
    assert _options(html, "lead") == ["alle", "Kim Berater", "Lea Leitung", "Noah Begleiter"]
    assert _options(html, "member") == [
        "alle",
        "Cora Co",
        "Kim Berater",
        "Lea Leitung",
        "Noah Begleiter",
    ]
    assert f'<option value="{portfolio.noah.id}" selected>Noah Begleiter</option>' in html
    assert _options(html, "sector")[1:] == [sector.label for sector in Sector]
    assert _options(html, "district")[1:] == [district.label for district in District]


def test_chosen_values_are_kept_in_the_form_and_can_be_reset(client, portfolio):
    _as(client, portfolio.lea)
    plain = client.get("/engagements").get_data(as_text=True)
    assert "Filter zurücksetzen" not in plain
    response = client.get(
        "/engagements?status=aktiv&sector=gesundheit&district=mitte"
        "&starts_from=2025-01-01&ends_to=2025-12-31"
    )
    html = response.get_data(as_text=True)
    assert '<option value="aktiv" selected>' in html
    assert '<option value="gesundheit" selected>' in html
    assert '<option value="mitte" selected>' in html
    assert 'name="starts_from" value="2025-01-01"' in html
    assert 'name="ends_to" value="2025-12-31"' in html
    assert 'name="starts_to" value=""' in html
    assert '<a class="button button--quiet" href="/engagements">Filter zurücksetzen</a>' in html
    assert "das tatsächliche" in page_text(response)  # the hint on what "Ende" means


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("status=erledigt", "Den Status „erledigt“ gibt es nicht; der Filter wurde ignoriert."),
        ("lead=abc", "Federführung: „abc“ ist keine der angebotenen Personen;"),
        ("lead=999999", "Federführung: „999999“ ist keine der angebotenen Personen;"),
        ("lead=-1", "Federführung: „-1“ ist keine der angebotenen Personen;"),
        ("lead={cora}", "ist keine der angebotenen Personen; der Filter wurde ignoriert."),
        ("lead={ola}", "ist keine der angebotenen Personen; der Filter wurde ignoriert."),
        ("member={ola}", "Im Team: „"),
        ("member=99999999999999999999999", "Im Team: „99999999999999999999999“ ist keine"),
        ("member=1.5", "Im Team: „1.5“ ist keine der angebotenen Personen;"),
        ("sector=behoerde", "Den Bereich „behoerde“ gibt es nicht; der Filter wurde ignoriert."),
        ("district=nirgends", "Den Bezirk „nirgends“ gibt es nicht; der Filter wurde ignoriert."),
        ("starts_from=2025-13-01", "Beginn ab: „2025-13-01“ ist kein gültiges Datum;"),
        ("starts_to=morgen", "Beginn bis: „morgen“ ist kein gültiges Datum;"),
        ("ends_from=20250101", "Ende ab: „20250101“ ist kein gültiges Datum;"),
        ("ends_to=0001-01-01", "Ende bis: „0001-01-01“ liegt außerhalb des möglichen Zeitraums;"),
        (
            "starts_from=2025-06-01&starts_to=2025-01-01",
            "„Beginn ab“ (01.06.2025) liegt nach „Beginn bis“ (01.01.2025); "
            "diese beiden Filter wurden ignoriert.",
        ),
        (
            "ends_from=2026-01-01&ends_to=2025-01-01",
            "„Ende ab“ (01.01.2026) liegt nach „Ende bis“ (01.01.2025);",
        ),
        ("mine=ja", "Der Wert für „nur meine“ ist ungültig und wurde ignoriert."),
    ],
)
def test_bad_values_are_ignored_with_a_note(client, portfolio, query, note):
    _as(client, portfolio.lea)
    response = client.get("/engagements?" + _query(query, portfolio))
    assert response.status_code == 200
    assert note in page_text(response)
    assert _organisations(response) == ALL
    assert "Filter zurücksetzen" in page_text(response)


def test_a_bad_value_does_not_spoil_the_good_ones(client, portfolio):
    _as(client, portfolio.lea)
    response = client.get("/engagements?status=aktiv&lead=x&district=atlantis&starts_to=2025-01-31")
    text = page_text(response)
    assert "Federführung: „x“" in text
    assert "Den Bezirk „atlantis“ gibt es nicht" in text
    assert _organisations(response) == [MITTE]


def test_bad_values_are_shown_escaped(client, portfolio):
    _as(client, portfolio.lea)
    response = client.get("/engagements?lead=<script>alert(1)</script>&status=%FF%FE")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "gibt es nicht; der Filter wurde ignoriert." in page_text(response)


def test_empty_results_say_so(client, portfolio):
    _as(client, portfolio.lea)
    response = client.get("/engagements?district=lichtenberg")
    assert "Es gibt keine Prozessbegleitung, die zu diesem Filter passt." in page_text(response)
    assert "<table" not in response.get_data(as_text=True)


def test_empty_results_of_ones_own_offer_all_with_the_same_filters(client, portfolio):
    # A lead with "nur meine" ticked (a consultant has nothing to widen to, see below).
    _as(client, portfolio.lea)
    response = client.get("/engagements?district=spandau&status=geplant&mine=1")
    assert "Ihnen ist keine Prozessbegleitung zugeordnet, die zu diesem Filter passt." in (
        page_text(response)
    )
    # The way out keeps the other filters and switches "nur meine" off.
    html = response.get_data(as_text=True)
    assert 'href="/engagements?status=geplant&amp;district=spandau&amp;mine=0"' in html
    assert _organisations(client.get("/engagements?status=geplant&district=spandau&mine=0")) == [
        SPANDAU
    ]


def test_empty_results_of_a_consultant_offer_no_way_to_others(client, portfolio):
    _as(client, portfolio.kim)
    response = client.get("/engagements?district=spandau&status=geplant")
    assert "Ihnen ist keine Prozessbegleitung zugeordnet, die zu diesem Filter passt." in (
        page_text(response)
    )
    assert "Alle Prozessbegleitungen anzeigen" not in page_text(response)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=aktiv&lead={kim}&member={noah}&sector=buergerdienst&district=mitte"
        "&starts_from=2024-01-01&starts_to=2025-12-31&ends_from=2025-01-01&ends_to=2026-12-31",
        "status=x&lead=y&starts_from=z&ends_from=2026-01-01&ends_to=2025-01-01",
        "district=lichtenberg",
    ],
)
def test_the_page_is_accessible(client, portfolio, query):
    _as(client, portfolio.lea)
    response = client.get("/engagements?" + _query(query, portfolio))
    page = assert_accessible(response)
    names = {attrs.get("name") for _tag, attrs in page.controls}
    assert {
        "status",
        "lead",
        "member",
        "sector",
        "district",
        "starts_from",
        "starts_to",
        "ends_from",
        "ends_to",
        "mine",
    } <= names
    for _tag, attrs in page.controls:
        if attrs.get("name", "").startswith("ends_"):
            assert attrs["aria-describedby"] == "filter-ends-hint"


# Query counts --------------------------------------------------------------------------------

FILTERED = [
    "/engagements",
    "/engagements?mine=0",
    "/engagements?mine=1",
    "/engagements?status=aktiv&lead={lead}&member={co}&sector=buergerdienst&district=mitte"
    "&starts_from=2024-01-01&starts_to=2025-12-31&ends_from=2024-06-01&ends_to=2026-12-31&mine=0",
    "/engagements?status=unsinn&lead=abc&member=999999&sector=x&district=y"
    "&starts_from=2025-13-01&ends_from=2026-01-01&ends_to=2025-01-01",
    "/engagements?overdue=1&mine=0",
]
STATUSES = list(EngagementStatus)


def _add_engagements(session, count: int, *, leads: list[StaffMember], co: StaffMember) -> None:
    """``count`` more engagements with teams, phases and milestones (some done), spread over
    statuses, sectors, districts and start dates."""
    sectors = [(Sector.BUERGERDIENST, "jugendamt"), (Sector.GESUNDHEIT, "krankenhaus")]
    districts = list(District)
    for index in range(count):
        sector, subtype = sectors[index // 2 % len(sectors)]
        start = date(2024, 4 + index % 9, 1 + index % 28)
        status = STATUSES[index % len(STATUSES)]
        engagement = factories.make_engagement(
            session,
            lead=leads[index % len(leads)],
            co=[co] if index % 3 else [],
            organisation=factories.make_organisation(
                session,
                sector=sector,
                subtype=subtype,
                district=districts[index // 10 % len(districts)],
            ),
            start=start,
            end=end_after_months(start, 12),
            status=status,
        )
        if index % 2:
            factories.complete_milestone(session, factories.milestones_of(engagement)[0], on=start)


def _count(client, session, count_queries, path: str) -> tuple[int, int]:
    # The request shares the test's session: empty its identity map so that a missing eager
    # load shows up as extra statements here.
    session.expunge_all()
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    text = page_text(response)
    shown = 0 if "passt." in text else len(body_rows(table(response, "Prozessbegleitungen")))
    return counter.count, shown


@pytest.mark.parametrize("role", [Role.LEAD, Role.CONSULTANT])
def test_the_list_runs_a_fixed_number_of_queries(client, session, logged_in, count_queries, role):
    me = logged_in(role, name="Mia Messung")
    lead = factories.make_staff_member(session, name="Ben Beratung")
    co = factories.make_staff_member(session, name="Carla Co")
    paths = [path.format(lead=lead.id, co=co.id) for path in FILTERED]
    _add_engagements(session, 5, leads=[me, lead], co=co)
    small = {path: _count(client, session, count_queries, path) for path in paths}
    _add_engagements(session, 195, leads=[me, lead], co=co)
    large = {path: _count(client, session, count_queries, path) for path in paths}
    for path in paths:
        (small_count, small_rows), (large_count, large_rows) = small[path], large[path]
        print(
            f"{role.value} {path}: {small_count} queries for {small_rows} rows (of 5), "
            f"{large_count} for {large_rows} rows (of 200)"
        )
        assert small_count == large_count, path
        assert large_count <= 8, path
    # The filtered and the unfiltered list cost the same (an empty result saves the statement
    # that loads the teams), and the large one shows many rows.
    assert len({count for count, rows in large.values() if rows}) == 1
    # A lead sees all 200; a consultant the ones they lead (every other one of the 5 and of
    # the 195: 3 + 98), whatever ``mine`` says; 50 a page.
    assert large["/engagements?mine=0"][1] == PER_PAGE
    caption = table(client.get("/engagements?mine=0"), "Prozessbegleitungen").caption
    assert caption.startswith(
        "Alle Prozessbegleitungen: 200 Ergebnisse, Seite 1 von 4"
        if role is Role.LEAD
        else "Meine Prozessbegleitungen: 101 Ergebnisse, Seite 1 von 3"
    )
    assert 0 < large[paths[3]][1] < PER_PAGE
    # Any page that exists costs what the first one costs (a consultant's third has 1 row).
    assert _count(client, session, count_queries, "/engagements?page=2") == (
        large["/engagements"][0],
        PER_PAGE,
    )
    assert _count(client, session, count_queries, "/engagements?page=3") == (
        large["/engagements"][0],
        PER_PAGE if role is Role.LEAD else 1,
    )


def test_closed_engagements_show_nothing_overdue_and_no_next_milestone(client, session, make_staff):
    """Cancelling keeps open milestones; the list must not count them as overdue for ever."""
    lead = make_staff(Role.LEAD, name="Lea Leitung")
    cancelled = factories.make_engagement(
        session,
        lead=lead,
        organisation=factories.make_organisation(session, name="Bürgeramt Spandau"),
        start=date(2024, 6, 1),
        end=date(2025, 5, 31),
        status=EngagementStatus.ABGEBROCHEN,
        actual_end=date(2024, 9, 30),
    )
    running = factories.make_engagement(
        session,
        lead=lead,
        organisation=factories.make_organisation(session, name="Jugendamt Pankow"),
        start=date(2024, 6, 1),
        end=date(2025, 5, 31),
        status=EngagementStatus.AKTIV,
    )
    assert login(client, lead.email).status_code == 302
    with clock.frozen(date(2025, 3, 10)):
        rows = list_engagements(session, today=date(2025, 3, 10))
        response = client.get("/engagements")
    by_id = {row.engagement.id: row for row in rows}
    assert by_id[running.id].overdue_count > 0
    assert by_id[running.id].next_milestone_title is not None
    closed = by_id[cancelled.id]
    assert (closed.overdue_count, closed.next_milestone_title, closed.current_phase) == (
        0,
        None,
        None,
    )
    overdue_only = list_engagements(session, today=date(2025, 3, 10), overdue_only=True)
    assert [row.engagement.id for row in overdue_only] == [running.id]
    assert response.status_code == 200


def test_the_current_phase_is_the_last_one_begun_else_the_planned_one(session, make_staff):
    """Beginning a phase (past its gate) is what moves an engagement on; until any phase has
    been begun, the plan's dates say where it stands. List and page use the same rule."""
    lead = make_staff(Role.LEAD)
    engagement = factories.make_engagement(
        session, lead=lead, start=date(2025, 1, 1), end=date(2025, 12, 31)
    )
    first, second, third = engagement.phases[:3]
    day_in_third = third.start_date

    def names() -> tuple[str | None, str | None]:
        row = list_engagements(
            session, today=day_in_third, organisation_id=engagement.organisation_id
        )
        page = current_phase(engagement, day_in_third)
        return row[0].current_phase, page.name if page else None

    assert names() == (third.name, third.name)
    first.started_on = date(2025, 1, 1)
    session.flush()
    assert names() == (first.name, first.name)
    second.started_on = second.start_date
    session.flush()
    assert names() == (second.name, second.name)
    engagement.status = EngagementStatus.ABGEBROCHEN
    engagement.actual_end_date = day_in_third
    session.flush()
    assert names() == (None, None)


# Pages ---------------------------------------------------------------------------------------

_ROW_LINK = re.compile(r'<th scope="row"><a href="/engagements/(\d+)">')


def _ids(response) -> list[int]:
    assert response.status_code == 200
    return [int(found) for found in _ROW_LINK.findall(response.get_data(as_text=True))]


def _same_keys(session, count: int, lead: StaffMember) -> list[int]:
    """``count`` engagements alike in everything the list sorts by (status group, start,
    organisation name), so only the id orders them; their ids in creation order."""
    organisation = factories.make_organisation(session, name="Amt Gleich")
    return [
        factories.make_engagement(
            session, lead=lead, organisation=organisation, status=EngagementStatus.AKTIV
        ).id
        for _ in range(count)
    ]


def _nav(response) -> str:
    match = re.search(
        r'<nav class="pagination" aria-label="Seiten">(.*?)</nav>',
        response.get_data(as_text=True),
        re.S,
    )
    return match.group(1) if match else ""


def test_exactly_fifty_fit_on_one_page(client, session, make_staff):
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    ids = _same_keys(session, PER_PAGE, lea)
    _as(client, lea)
    response = client.get("/engagements")
    assert _ids(response) == ids
    assert table(response, "Prozessbegleitungen").caption == (
        "Alle Prozessbegleitungen: 50 Ergebnisse"
    )
    assert _nav(response) == ""
    assert "Prozessbegleitungen 1–50" not in page_text(response)


def test_the_fifty_first_starts_a_second_page(client, session, make_staff):
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    ids = _same_keys(session, PER_PAGE + 1, lea)
    _as(client, lea)
    first = client.get("/engagements")
    assert _ids(first) == ids[:PER_PAGE]
    assert "Prozessbegleitungen 1–50 von 51" in page_text(first)
    assert table(first, "Prozessbegleitungen").caption == (
        "Alle Prozessbegleitungen: 51 Ergebnisse, Seite 1 von 2"
    )
    nav = _nav(first)
    assert '<a href="/engagements?page=1" aria-current="page">Seite 1 von 2</a>' in nav
    assert '<a href="/engagements?page=2" rel="next">Nächste Seite</a>' in nav
    assert "Vorherige Seite" not in nav

    second = client.get("/engagements?page=2")
    assert _ids(second) == ids[PER_PAGE:]
    assert "Prozessbegleitungen 51–51 von 51" in page_text(second)
    nav = _nav(second)
    assert '<a href="/engagements?page=2" aria-current="page">Seite 2 von 2</a>' in nav
    # The first page is linked without a page number, as the list is reached from the menu.
    assert '<a href="/engagements" rel="prev">Vorherige Seite</a>' in nav
    assert "Nächste Seite" not in nav
    assert_accessible(second)


def test_pages_neither_overlap_nor_skip_when_the_sort_keys_are_equal(client, session, make_staff):
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    ids = _same_keys(session, 2 * PER_PAGE + 20, lea)
    _as(client, lea)
    pages = [_ids(client.get(f"/engagements?page={number}")) for number in (1, 2, 3)]
    assert [len(page) for page in pages] == [50, 50, 20]
    assert pages[0] + pages[1] + pages[2] == ids
    text = page_text(client.get("/engagements?page=3"))
    assert "Prozessbegleitungen 101–120 von 120" in text
    # The middle page links both neighbours and every page (three in all).
    nav = _nav(client.get("/engagements?page=2"))
    assert 'href="/engagements?page=3" rel="next"' in nav
    assert 'href="/engagements" rel="prev"' in nav
    assert "…" not in nav


def test_far_pages_are_linked_with_gaps(client, session, make_staff):
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    _same_keys(session, 7 * PER_PAGE + 1, lea)
    _as(client, lea)
    nav = _nav(client.get("/engagements?page=5"))
    numbers = [int(number) for number in re.findall(r"page=(\d+)\"", nav)]
    # prev, 1, 3 4 [5] 6 7, 8, next
    assert numbers == [4, 3, 4, 5, 6, 7, 8, 6]
    assert 'href="/engagements"><span class="visually-hidden">Seite </span>1</a>' in nav
    assert nav.count("…") == 1  # between 1 and 3; 7 and 8 are neighbours


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "000", "\uff12", "2e1", " "])
def test_a_bad_page_number_shows_the_first_page_with_a_note(client, session, make_staff, value):
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    ids = _same_keys(session, PER_PAGE + 5, lea)
    _as(client, lea)
    response = client.get("/engagements", query_string={"page": value})
    assert response.status_code == 200
    assert _ids(response) == ids[:PER_PAGE]
    if value.strip():
        assert f"„{value}“ ist keine gültige Seitenzahl; es wird die erste Seite gezeigt." in (
            page_text(response)
        )
    assert '<a href="/engagements?page=1" aria-current="page">' in _nav(response)


@pytest.mark.parametrize("value", ["3", "99", "0003", "99999999999999999999999999"])
def test_a_page_past_the_end_shows_the_last_page_with_a_note(client, session, make_staff, value):
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    ids = _same_keys(session, PER_PAGE + 5, lea)
    _as(client, lea)
    response = client.get(f"/engagements?page={value}")
    assert response.status_code == 200
    assert _ids(response) == ids[PER_PAGE:]
    assert f"Seite {value} gibt es nicht; es wird die letzte Seite (2) gezeigt." in page_text(
        response
    )
    assert "Prozessbegleitungen 51–55 von 55" in page_text(response)


def test_a_page_of_an_empty_result(client, portfolio):
    _as(client, portfolio.lea)
    response = client.get("/engagements?district=lichtenberg&page=2")
    text = page_text(response)
    assert "Seite 2 gibt es nicht; es wird die letzte Seite (1) gezeigt." in text
    assert "Es gibt keine Prozessbegleitung, die zu diesem Filter passt." in text


def test_the_page_links_keep_the_filters(client, session, make_staff):
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    kim = make_staff(Role.CONSULTANT, name="Kim Berater")
    organisation = factories.make_organisation(session, name="Amt Mitte", district=District.MITTE)
    ids = [
        factories.make_engagement(
            session, lead=kim, co=[lea], organisation=organisation, status=EngagementStatus.AKTIV
        ).id
        for _ in range(PER_PAGE + 1)
    ]
    _same_keys(session, 3, lea)  # led by Lea, not by Kim: filtered out
    _as(client, lea)
    query = (
        f"status=aktiv&lead={kim.id}&district=mitte&starts_from=2024-01-01&ends_to=2026-12-31"
        "&mine=1"
    )
    response = client.get(f"/engagements?{query}&page=2")
    assert _ids(response) == ids[PER_PAGE:]
    kept = (
        f"status=aktiv&amp;lead={kim.id}&amp;district=mitte&amp;starts_from=2024-01-01"
        "&amp;ends_to=2026-12-31&amp;mine=1"
    )
    nav = _nav(response)
    assert f'<a href="/engagements?{kept}" rel="prev">Vorherige Seite</a>' in nav
    assert f'<a href="/engagements?page=2&amp;{kept}" aria-current="page">' in nav
    # Changing a filter in the form starts again at page 1: the form sends no page.
    assert 'name="page"' not in response.get_data(as_text=True)


def test_only_engagements_with_overdue_milestones(client, session, make_staff):
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    late = factories.make_engagement(
        session,
        lead=lea,
        organisation=factories.make_organisation(session, name="Spät"),
        status=EngagementStatus.AKTIV,
    )
    factories.make_engagement(
        session,
        lead=lea,
        organisation=factories.make_organisation(session, name="Pünktlich"),
        start=date(2025, 3, 15),
        end=date(2025, 9, 14),
        status=EngagementStatus.AKTIV,
    )
    # Closed: its open milestones are not overdue work.
    factories.make_engagement(
        session,
        lead=lea,
        organisation=factories.make_organisation(session, name="Abgebrochen"),
        status=EngagementStatus.ABGEBROCHEN,
        actual_end=date(2025, 2, 1),
    )
    _as(client, lea)
    response = client.get("/engagements?overdue=0&overdue=1")
    assert _organisations(response) == ["Spät"]
    assert 'id="filter-overdue" name="overdue" value="1" checked>' in (
        response.get_data(as_text=True)
    )
    assert table(response, "Prozessbegleitungen").caption.startswith(
        "Alle Prozessbegleitungen (gefiltert)"
    )
    assert _ids(response) == [late.id]
    assert len(_organisations(client.get("/engagements?overdue=0"))) == 3
    bad = client.get("/engagements?overdue=ja")
    assert "Der Wert für „nur mit überfälligen Meilensteinen“ ist ungültig" in page_text(bad)
    assert len(_organisations(bad)) == 3
