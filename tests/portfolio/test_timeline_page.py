"""/timeline: the portfolio Gantt chart, its warnings and its table, to the programme end."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from caseflow import clock
from caseflow.engagements.models import EngagementStatus, MilestoneStatus, Phase
from caseflow.organisations.choices import District, Sector
from caseflow.portfolio.gantt import HEADER_HEIGHT, LABEL_WIDTH, PLOT_WIDTH, build_chart
from caseflow.portfolio.geometry import Window
from caseflow.portfolio.timeline import GroupBy
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import body_rows, page_text, table

TODAY = date(2025, 3, 10)
CAPTION = "Alle Prozessbegleitungen mit Meilensteinen"
# The default programme, 2024-04-01 … 2026-07-31: 852 days over the plot's width.
PX_PER_DAY = PLOT_WIDTH / 852


@dataclass
class SvgRow:
    href: str
    title: str = ""
    label: str = ""
    markers: list[tuple[str, str]] = field(default_factory=list)  # (symbol, tooltip)
    baselines: list[float] = field(default_factory=list)
    bar: tuple[float, float] | None = None  # x, width of the outline
    cuts: list[str] = field(default_factory=list)


class _ChartParser(HTMLParser):
    """The chart's rows (links), their tooltips, markers, baselines and bars; its lines."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[SvgRow] = []
        self.lines: dict[str, float] = {}
        self.in_svg = False
        self._text: list[str] | None = None
        self._target: tuple[object, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "svg" and "tl-svg" in values.get("class", ""):
            self.in_svg = True
        if not self.in_svg:
            return
        css = values.get("class", "")
        if tag == "a" and css == "tl-row":
            self.rows.append(SvgRow(href=values["href"]))
        elif tag == "title" and self.rows and self._target is None and not self.rows[-1].title:
            self._target, self._text = (self.rows[-1], "title"), []
        elif tag == "text" and css == "tl-label":
            self._target, self._text = (self.rows[-1], "label"), []
        elif tag == "rect" and css == "tl-bar":
            self.rows[-1].bar = (float(values["x"]), float(values["width"]))
        elif (
            tag == "use"
            and values.get("href", "").startswith("#tl-m-")
            and values["href"] != "#tl-m-baseline"
        ):
            self.rows[-1].markers.append((values["href"], ""))
            self._target, self._text = (self.rows[-1].markers, "marker"), []
        elif tag == "use" and values.get("href") == "#tl-m-baseline":
            self.rows[-1].baselines.append(float(values["x"]))
        elif tag == "use" and values.get("href", "").startswith("#tl-cut-"):
            self.rows[-1].cuts.append(values["href"])
        elif tag == "line" and css in ("tl-today", "tl-end"):
            self.lines[css] = float(values["x1"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg = False
        if tag in ("title", "text") and self._target is not None and self._text is not None:
            owner, kind = self._target
            text = "".join(self._text)
            if kind == "marker":
                assert isinstance(owner, list)
                owner[-1] = (owner[-1][0], text)
            else:
                setattr(owner, kind, text)
            self._target = self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def chart(response) -> _ChartParser:
    parser = _ChartParser()
    parser.feed(response.get_data(as_text=True))
    return parser


def _engagement(session, name: str, *, lead, start: date, end: date, **fields):
    organisation = factories.make_organisation(
        session,
        name=name,
        sector=fields.pop("sector", Sector.BUERGERDIENST),
        subtype=fields.pop("subtype", "jugendamt"),
        district=fields.pop("district", District.MITTE),
    )
    return factories.make_engagement(
        session, lead=lead, organisation=organisation, start=start, end=end, **fields
    )


@pytest.fixture
def portfolio(session, logged_in):
    """Three engagements: Lea leads one, Zoë two (one of them paused); Zoë co-supports Lea's."""
    lea = logged_in(Role.LEAD, name="Lea Leitung")
    zoe = factories.make_staff_member(session, name="Zoë Beraterin")
    pankow = _engagement(
        session,
        "Sozialamt Pankow",
        lead=zoe,
        start=date(2024, 10, 1),
        end=date(2026, 3, 31),
        status=EngagementStatus.AKTIV,
        subtype="sozialamt",
        district=District.PANKOW,
    )
    mitte = _engagement(
        session,
        "Jugendamt Mitte",
        lead=lea,
        co=[zoe],
        start=date(2025, 1, 1),
        end=date(2025, 6, 30),
        status=EngagementStatus.PAUSIERT,
    )
    ost = _engagement(
        session,
        "Klinikum Ost",
        lead=zoe,
        start=date(2025, 5, 1),
        end=date(2025, 12, 31),
        sector=Sector.GESUNDHEIT,
        subtype="krankenhaus",
        district=District.LICHTENBERG,
    )
    return {"lea": lea, "zoe": zoe, "pankow": pankow, "mitte": mitte, "ost": ost}


def _get(client, path: str = "/timeline"):
    with clock.frozen(TODAY):
        response = client.get(path)
    assert response.status_code == 200
    return response


def test_the_table_groups_engagements_by_lead(client, portfolio):
    response = _get(client)
    rows = table(response, CAPTION).rows
    assert rows[0] == [
        "Organisation",
        "Federführung",
        "Status",
        "Beginn",
        "Ende",
        "Aktuelle Phase",
        "Meilensteine",
    ]
    # Without the milestone cell: group headings and engagements by start date.
    assert [row[:6] for row in rows[1:]] == [
        ["Federführung: Lea Leitung (1)"],
        [
            "Jugendamt Mitte",
            "Lea Leitung",
            "pausiert",
            "01.01.2025",
            "30.06.2025",
            "Zielentwicklung & Maßnahmenplanung",
        ],
        ["Federführung: Zoë Beraterin (2)"],
        [
            "Sozialamt Pankow",
            "Zoë Beraterin",
            "aktiv",
            "01.10.2024",
            "31.03.2026",
            "Bestandsaufnahme & Analyse",
        ],
        ["Klinikum Ost", "Zoë Beraterin", "geplant", "01.05.2025", "31.12.2025", "–"],
    ]
    assert '<th scope="rowgroup" colspan="7"' in response.get_data(as_text=True)


def test_the_chart_shows_one_linked_row_per_engagement_in_the_same_groups(client, portfolio):
    response = _get(client)
    parsed = chart(response)
    ids = [portfolio[key].id for key in ("mitte", "pankow", "ost")]
    assert [row.href for row in parsed.rows] == [f"/engagements/{id_}" for id_ in ids]
    assert [row.label for row in parsed.rows] == [
        "Jugendamt Mitte",
        "Sozialamt Pankow",
        "Klinikum Ost",
    ]
    assert parsed.rows[1].title == (
        "Sozialamt Pankow, 01.10.2024 – 31.03.2026, aktiv, "
        "aktuelle Phase: Bestandsaufnahme & Analyse"
    )
    assert parsed.rows[2].title == "Klinikum Ost, 01.05.2025 – 31.12.2025, geplant"
    text = page_text(response)
    assert "Federführung: Lea Leitung (1)" in text
    assert "Federführung: Zoë Beraterin (2)" in text


def test_a_bar_runs_from_the_start_to_the_end_of_the_engagement(client, portfolio):
    parsed = chart(_get(client))
    # Klinikum Ost: 2025-05-01 is day 395 of the programme, to 2025-12-31 is 245 days.
    x, width = parsed.rows[2].bar
    assert x == pytest.approx(395 * PX_PER_DAY, abs=0.01)
    assert width == pytest.approx(245 * PX_PER_DAY, abs=0.02)


def test_the_chart_has_a_today_line_and_a_labelled_programme_end(client, portfolio):
    response = _get(client)
    parsed = chart(response)
    # 2025-03-10 is day 343 of the programme; the line runs through the middle of the day.
    assert parsed.lines["tl-today"] == pytest.approx((343 + 0.5) * PX_PER_DAY, abs=0.01)
    assert parsed.lines["tl-end"] == pytest.approx(PLOT_WIDTH)
    text = response.get_data(as_text=True)
    assert "heute, 10.03.2025" in text
    assert "Ende des Förderzeitraums, 31.07.2026" in text


def test_today_outside_the_programme_gives_a_note_instead_of_a_line(client, portfolio):
    with clock.frozen(date(2026, 9, 1)):
        response = client.get("/timeline")
    assert response.status_code == 200
    assert "tl-today" not in chart(response).lines
    assert (
        "Heute (01.09.2026) liegt außerhalb des Förderzeitraums; die Linie für heute fehlt "
        "deshalb im Diagramm." in page_text(response)
    )


def test_the_axis_names_years_quarters_and_months(client, portfolio):
    text = _get(client).get_data(as_text=True)
    for label in (
        ">2024<",
        ">2026<",
        ">Q2 2024<",
        ">Q1 2025<",
        ">Q2 2026<",
        ">Q3<",
        ">Jan<",
        ">Dez<",
    ):
        assert label in text


def test_milestones_are_drawn_by_state_and_a_moved_one_keeps_its_baseline(
    client, session, portfolio
):
    engagement = portfolio["pankow"]
    first, second, third, *_ = factories.milestones_of(engagement)
    factories.complete_milestone(session, first, on=date(2024, 10, 2))
    second.due_date = date(2025, 2, 1)  # moved, and overdue by 37 days
    third.due_date = date(2025, 4, 1)  # moved, still ahead
    third.baseline_due_date = date(2025, 3, 20)
    session.flush()
    row = chart(_get(client)).rows[1]
    symbols = dict((tooltip.split(":")[0], symbol) for symbol, tooltip in row.markers)
    assert symbols[first.title] == "#tl-m-done"
    assert symbols[second.title] == "#tl-m-overdue"
    assert symbols[third.title] == "#tl-m-open"
    tooltips = [tooltip for _, tooltip in row.markers]
    assert f"{third.title}: fällig am 01.04.2025, offen (ursprünglich fällig am 20.03.2025)" in (
        tooltips
    )
    assert f"{second.title}: fällig am 01.02.2025, überfällig (ursprünglich fällig am" in (
        " ".join(tooltips)
    )
    # 2025-03-20 is day 353 of the programme.
    assert pytest.approx((353 + 0.5) * PX_PER_DAY, abs=0.01) in row.baselines


def test_an_engagement_reaching_past_the_window_is_cut_at_its_edge(client, session, portfolio):
    engagement = portfolio["ost"]
    engagement.planned_end_date = date(2026, 9, 30)
    session.flush()
    row = chart(_get(client)).rows[2]
    assert row.cuts == ["#tl-cut-after"]
    x, width = row.bar
    assert x + width == pytest.approx(PLOT_WIDTH, abs=0.02)
    assert "endet nach dem dargestellten Zeitraum" in row.title


def test_an_engagement_starting_before_the_window_is_cut_and_its_early_milestones_listed_only(
    client, session, portfolio
):
    engagement = portfolio["pankow"]
    engagement.start_date = date(2024, 1, 1)
    first = factories.milestones_of(engagement)[0]
    first.due_date = first.baseline_due_date = date(2024, 2, 1)
    session.flush()
    response = _get(client)
    row = chart(response).rows[1]
    assert row.cuts == ["#tl-cut-before"]
    assert row.bar is not None and row.bar[0] == 0
    assert "beginnt vor dem dargestellten Zeitraum" in row.title
    assert all(first.title not in tooltip for _, tooltip in row.markers)
    cell = table(response, CAPTION).row("Sozialamt Pankow")[6]
    assert f"{first.title}: fällig am 01.02.2024, überfällig" in cell


def test_a_closed_engagement_is_drawn_to_its_actual_end(client, session, portfolio):
    engagement = portfolio["ost"]
    engagement.status = EngagementStatus.ABGEBROCHEN
    engagement.actual_end_date = date(2025, 5, 31)
    session.flush()
    response = _get(client)
    x, width = chart(response).rows[2].bar
    assert width == pytest.approx(31 * PX_PER_DAY, abs=0.02)
    assert table(response, CAPTION).row("Klinikum Ost")[4] == "31.05.2025"


def test_the_group_switch_groups_by_sector_and_by_district(client, portfolio):
    by_sector = table(_get(client, "/timeline?group=sector"), CAPTION)
    assert [row[0] for row in body_rows(by_sector)] == [
        "Bereich: Bürger*innendienste (2)",
        "Sozialamt Pankow",
        "Jugendamt Mitte",
        "Bereich: Gesundheitsversorgung (1)",
        "Klinikum Ost",
    ]
    by_district = table(_get(client, "/timeline?group=district"), CAPTION)
    assert [row[0] for row in body_rows(by_district)] == [
        "Bezirk: Mitte (1)",
        "Jugendamt Mitte",
        "Bezirk: Pankow (1)",
        "Sozialamt Pankow",
        "Bezirk: Lichtenberg (1)",
        "Klinikum Ost",
    ]


def test_engagements_without_a_lead_come_last_in_their_own_group(client, session, portfolio):
    engagement = portfolio["pankow"]
    for assignment in list(engagement.assignments):
        session.delete(assignment)
    session.flush()
    rows = body_rows(table(_get(client), CAPTION))
    assert [row[0] for row in rows][-2:] == ["Ohne Federführung (1)", "Sozialamt Pankow"]


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("status=pausiert", ["Jugendamt Mitte"]),
        ("sector=gesundheit", ["Klinikum Ost"]),
        ("district=pankow", ["Sozialamt Pankow"]),
        ("status=aktiv&district=mitte", []),
    ],
)
def test_filters_narrow_chart_and_table(client, portfolio, query, shown):
    response = _get(client, f"/timeline?{query}")
    assert [row.label for row in chart(response).rows] == shown
    if not shown:
        assert "Keine Prozessbegleitung passt zu diesen Filtern." in page_text(response)


def test_the_member_filter_shows_engagements_with_that_person_on_the_team(client, portfolio):
    response = _get(client, f"/timeline?member={portfolio['zoe'].id}")
    assert [row.label for row in chart(response).rows] == [
        "Jugendamt Mitte",
        "Sozialamt Pankow",
        "Klinikum Ost",
    ]
    response = _get(client, f"/timeline?member={portfolio['lea'].id}")
    assert [row.label for row in chart(response).rows] == ["Jugendamt Mitte"]


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("status=vielleicht", "Den Status „vielleicht“ gibt es nicht; der Filter wurde ignoriert."),
        ("sector=mond", "Den Bereich „mond“ gibt es nicht; der Filter wurde ignoriert."),
        ("district=<b>", "Den Bezirk „<b>“ gibt es nicht; der Filter wurde ignoriert."),
        (
            "member=99999999999999999999",
            "Person im Team: „99999999999999999999“ ist keine der angebotenen Personen",
        ),
        ("member=-1", "Person im Team: „-1“ ist keine der angebotenen Personen"),
        (
            "group=farbe",
            "Nach „farbe“ lässt sich nicht gruppieren; die Zeitleiste ist nach Federführung "
            "gruppiert.",
        ),
    ],
)
def test_bad_filter_values_are_ignored_with_a_note(client, portfolio, query, note):
    response = _get(client, f"/timeline?{query}")
    assert note in page_text(response)
    assert len(chart(response).rows) == 3


def test_the_warnings_panel_names_each_engagement_and_what_is_wrong(client, session, portfolio):
    pankow, mitte, ost = portfolio["pankow"], portfolio["mitte"], portfolio["ost"]
    for engagement in (pankow, mitte):
        for milestone in factories.milestones_of(engagement):
            factories.complete_milestone(session, milestone, on=date(2025, 1, 1))
    late = factories.milestones_of(mitte)[3]
    late.status, late.completed_on, late.due_date = MilestoneStatus.OFFEN, None, date(2025, 2, 23)
    mitte.status_changed_at = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)  # 2025-01-01 in Berlin
    ost.planned_end_date = date(2026, 8, 31)  # 16 months: only the programme end is broken
    for assignment in list(pankow.assignments):
        session.delete(assignment)
    session.flush()
    response = _get(client)
    text = page_text(response)
    panel = text[text.index("Hinweise (") : text.index("Geprüft werden")]
    assert panel == (
        "Hinweise (4) "
        "Jugendamt Mitte (01.01.2025 – 30.06.2025) "
        f"1 offener Meilenstein ist seit mehr als 14 Tagen überfällig: „{late.title}“, "
        "fällig am 23.02.2025 (15 Tage) "
        "ist seit dem 01.01.2025 pausiert (68 Tage, mehr als 60) "
        "Klinikum Ost (01.05.2025 – 31.08.2026) "
        "endet am 31.08.2026, nach dem Ende des Förderzeitraums (31.07.2026) "
        "Sozialamt Pankow (01.10.2024 – 31.03.2026) "
        "hat keine Federführung "
    )
    html = response.get_data(as_text=True)
    aside = html[html.index('class="tl-warnings"') : html.index("</aside>")]
    for engagement in (mitte, ost, pankow):
        assert f'href="/engagements/{engagement.id}"' in aside


def test_no_warnings_are_said_so(client, session, portfolio):
    for key in ("pankow", "mitte"):
        for milestone in factories.milestones_of(portfolio[key]):
            factories.complete_milestone(session, milestone, on=date(2025, 1, 1))
    assert "Hinweise (0) Keine Hinweise" in page_text(_get(client))


def test_the_table_lists_every_engagement_and_milestone_the_chart_shows(client, session, portfolio):
    moved = factories.milestones_of(portfolio["mitte"])[4]
    moved.due_date = date(2025, 5, 5)
    session.flush()
    response = _get(client)
    parsed = chart(response)
    rows = [row for row in body_rows(table(response, CAPTION)) if len(row) > 1]
    html = response.get_data(as_text=True)
    table_html = html[html.index('<table class="data-table tl-table">') :]
    for svg_row in parsed.rows:
        assert f'<a href="{svg_row.href}">' in table_html
        cells = next(row for row in rows if row[0] == svg_row.label)
        for _, tooltip in svg_row.markers:
            assert tooltip in cells[6]
    drawn = sum(len(row.markers) for row in parsed.rows)
    assert drawn == sum(
        len(factories.milestones_of(portfolio[key])) for key in ("pankow", "mitte", "ost")
    )


def test_dropped_milestones_are_listed_but_not_drawn(client, session, portfolio):
    dropped = factories.milestones_of(portfolio["ost"])[0]
    factories.drop_milestone(session, dropped)
    response = _get(client)
    assert all(dropped.title not in tooltip for _, tooltip in chart(response).rows[2].markers)
    assert f"{dropped.title}: fällig am" in table(response, CAPTION).row("Klinikum Ost")[6]
    assert "entfallen" in table(response, CAPTION).row("Klinikum Ost")[6]


def test_the_page_links_its_stylesheet_with_an_a3_landscape_print_page(client, app, portfolio):
    html = _get(client).get_data(as_text=True)
    assert html.index("css/print.css") < html.index("css/timeline.css")
    with app.open_resource("static/css/timeline.css") as stylesheet:
        css = stylesheet.read().decode()
    assert "size: A3 landscape" in css
    assert css.index("@media print") < css.index("size: A3 landscape")


def test_the_chart_is_labelled_and_its_rows_are_focusable_links(client, portfolio):
    html = _get(client).get_data(as_text=True)
    assert 'aria-labelledby="tl-title" aria-describedby="tl-desc"' in html
    assert '<title id="tl-title">Zeitleiste aller Prozessbegleitungen' in html
    # The first group heading sits right under the axis, across label column and plot.
    assert f'<rect class="tl-group-band" x="-{LABEL_WIDTH}" y="{HEADER_HEIGHT}"' in html
    # Each row is a link whose first child is its tooltip (read as the link's name).
    assert html.count('<a class="tl-row" href="') == 3
    assert html.count('"><title>') >= 3
    assert 'style="' not in html.split("<main", 1)[1]
    assert "<script" not in html.split("<main", 1)[1]


def test_the_stylesheet_gives_rows_a_visible_focus(app):
    with app.open_resource("static/css/timeline.css") as stylesheet:
        css = stylesheet.read().decode()
    assert ".tl-row:focus .tl-hit" in css
    assert "stroke: var(--focus);" in css


def test_the_page_runs_the_same_number_of_queries_for_one_and_many_engagements(
    client, session, logged_in, count_queries
):
    lead = logged_in(Role.LEAD, name="Lea Leitung")
    zoe = factories.make_staff_member(session, name="Zoë Beraterin")
    factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    with clock.frozen(TODAY), count_queries() as one:
        assert client.get("/timeline").status_code == 200
    for index in range(6):
        engagement = factories.make_engagement(
            session,
            lead=zoe if index % 2 else lead,
            co=[lead] if index % 2 else [],
            start=date(2024, 6, 1 + index),
            end=date(2025, 6, 1 + index),
            status=EngagementStatus.PAUSIERT if index % 3 else EngagementStatus.AKTIV,
        )
        factories.complete_milestone(
            session, factories.milestones_of(engagement)[0], on=date(2024, 7, 1)
        )
    with clock.frozen(TODAY), count_queries() as many:
        response = client.get("/timeline?group=district")
    assert response.status_code == 200
    assert len(chart(response).rows) == 7
    print(f"/timeline: {one.count} queries for 1 engagement, {many.count} for 7")
    assert one.count == many.count
    assert many.count <= 8  # with the sign-in session and the settings


def test_an_empty_timeline(client, logged_in):
    logged_in(Role.LEAD)
    assert "Es gibt noch keine Prozessbegleitungen." in page_text(client.get("/timeline"))


def test_consultants_may_not_see_the_timeline(client, logged_in):
    logged_in(Role.CONSULTANT)
    assert client.get("/timeline").status_code == 403


def test_milestone_states_of_a_closed_engagement_are_never_overdue(client, session, portfolio):
    engagement = portfolio["pankow"]
    engagement.status = EngagementStatus.ABGEBROCHEN
    engagement.actual_end_date = date(2025, 3, 1)
    session.flush()
    row = chart(_get(client)).rows[1]
    assert {symbol for symbol, _ in row.markers} <= {"#tl-m-open", "#tl-m-done"}
    assert all(m.status is MilestoneStatus.OFFEN for m in factories.milestones_of(engagement))


# ---------------------------------------------------------------- safety


EVIL_ORGANISATION = "<script>alert(1)</script>\"'&"
EVIL_MILESTONE = '"><img src=x onerror=alert(1)>'
EVIL_PHASE = "</text><script>"
EVIL_LEAD = "<b>Evil</b>\"'"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?group=sector",
        "?group=district",
        "?status=<script>x</script>",
        "?member=<img src=x>",
        '?sector="><svg onload=1>',
        "?district='><x>",
        "?group=<script>",
    ],
)
def test_names_titles_and_filter_values_are_escaped_everywhere(
    client, session, logged_in, make_staff, query
):
    logged_in(Role.LEAD, name="Lea Leitung")
    evil = make_staff(Role.CONSULTANT, name=EVIL_LEAD)
    engagement = _engagement(
        session,
        EVIL_ORGANISATION,
        lead=evil,
        start=date(2024, 10, 1),
        end=date(2025, 9, 30),
        status=EngagementStatus.AKTIV,
    )
    milestones = factories.milestones_of(engagement)
    for milestone in milestones:
        milestone.title = EVIL_MILESTONE
    milestones[0].due_date = date(2024, 11, 20)  # moved: its baseline is drawn too
    engagement.phases[0].name = EVIL_PHASE
    engagement.phases[0].started_on = date(2024, 10, 1)  # the current phase, in table and title
    session.flush()
    response = _get(client, "/timeline" + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for raw in (
        "<script>alert",
        "<img src=x",
        "</text><script>",
        "<b>Evil",
        "<svg onload",
        "'><x>",
        "<script>x",
    ):
        assert raw not in html, (query, raw)
    # The texts are there, escaped: the organisation in the chart, table and tooltip.
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;: fällig am" in html


# ---------------------------------------------------------------- grouping and warnings


def test_namesakes_leading_engagements_get_a_group_each_in_the_member_filter_order(
    client, session, logged_in
):
    logged_in(Role.LEAD, name="Lea Leitung")
    first = factories.make_staff_member(session, name="Kim Berger")
    second = factories.make_staff_member(session, name="Kim Berger")
    anna = factories.make_staff_member(session, name="Anna Zorn")
    _engagement(session, "Amt Eins", lead=second, start=date(2025, 1, 1), end=date(2025, 9, 30))
    _engagement(session, "Amt Zwei", lead=first, start=date(2025, 2, 1), end=date(2025, 9, 30))
    _engagement(session, "Amt Drei", lead=anna, start=date(2025, 3, 1), end=date(2025, 9, 30))
    response = _get(client)
    grid = table(response, CAPTION).rows
    groups = [row[0] for row in grid if row[0].startswith("Federführung:")]
    # Anna first, then the two Kims by id, each with their own engagement.
    assert groups == [
        "Federführung: Anna Zorn (1)",
        "Federführung: Kim Berger (1)",
        "Federführung: Kim Berger (1)",
    ]
    organisations = [row[0] for row in grid if row[0].startswith("Amt")]
    assert organisations == ["Amt Drei", "Amt Zwei", "Amt Eins"]
    html = response.get_data(as_text=True)
    options = html[
        html.index('id="filter-member"') : html.index("</select>", html.index('id="filter-member"'))
    ]
    assert options.index(f'value="{anna.id}"') < options.index(f'value="{first.id}"')
    assert options.index(f'value="{first.id}"') < options.index(f'value="{second.id}"')


def test_an_inactive_lead_is_a_warning_naming_them(client, session, portfolio):
    portfolio["zoe"].is_active = False
    session.flush()
    text = page_text(_get(client))
    panel = text[text.index("Hinweise (") : text.index("Geprüft werden")]
    inactive = "Federführung (Zoë Beraterin) ist nicht mehr aktiv"
    pankow = panel.index("Sozialamt Pankow (01.10.2024 – 31.03.2026)")
    ost = panel.index("Klinikum Ost (01.05.2025 – 31.12.2025)")
    assert pankow < panel.index(inactive, pankow) < ost  # after Pankow's overdue milestones
    assert panel.endswith(f"Klinikum Ost (01.05.2025 – 31.12.2025) {inactive} ")
    assert panel.count(inactive) == 2  # Lea, who leads Jugendamt Mitte, is active


def test_the_warning_hint_names_the_rules_limits(client, portfolio):
    text = page_text(_get(client))
    assert (
        "Dauer unter 6 oder über 18 Monaten, Meilensteine mehr als 14 Tage überfällig, "
        "keine oder keine aktive Federführung, länger als 60 Tage pausiert."
    ) in text


# ---------------------------------------------------------------- accessibility


def test_a_sixth_phase_shares_the_first_fill_and_the_legend_names_both(client, session, portfolio):
    engagement = portfolio["pankow"]
    names = [phase.name for phase in engagement.phases]
    assert len(names) == 5
    engagement.phases.append(
        Phase(
            position=6,
            name="Verstetigung",
            start_date=date(2026, 3, 1),
            end_date=date(2026, 3, 31),
        )
    )
    session.flush()
    text = page_text(_get(client))
    assert f"Phase 1 / 6: {names[0]} / Verstetigung" in text
    assert f"Phase: {names[1]}" in text
    html = _get(client).get_data(as_text=True)
    legend = html[
        html.index('class="tl-legend"') : html.index("</div>", html.index('class="tl-legend"'))
    ]
    assert legend.count('fill="url(#tl-p1)"') == 1


def test_the_legend_is_unchanged_with_five_phases(client, portfolio):
    names = [phase.name for phase in portfolio["pankow"].phases]
    text = page_text(_get(client))
    for name in names:
        assert f"Phase: {name}" in text
    assert "Phase 1 /" not in text


def test_an_engagement_without_phases_is_striped_and_outlined_dashed(
    app, client, session, portfolio
):
    engagement = portfolio["ost"]
    for phase in list(engagement.phases):
        session.delete(phase)
    session.flush()
    html = _get(client).get_data(as_text=True)
    assert html.count('fill="url(#tl-p0)"') == 2  # the bar and the legend's swatch
    assert html.count('class="tl-bar tl-bar--plain"') == 2
    assert "keine Phasen geplant (grau, senkrecht gestreift, gestrichelter Rand)" in html
    pattern = html[
        html.index('<pattern id="tl-p0"') : html.index(
            "</pattern>", html.index('<pattern id="tl-p0"')
        )
    ]
    assert 'stroke="#fff"' in pattern  # stripes, not a plain fill like phase 1
    css = _css(app)
    assert ".tl-bar--plain" in css and "stroke-dasharray" in css


def _css(app) -> str:
    with app.open_resource("static/css/timeline.css") as stylesheet:
        return stylesheet.read().decode()


def test_dashed_lines_have_a_white_line_under_them(app, client, session, portfolio):
    engagement = portfolio["pankow"]
    factories.milestones_of(engagement)[1].due_date = date(2025, 2, 1)  # moved
    session.flush()
    html = _get(client).get_data(as_text=True)
    under = html.index('<line class="tl-moved-under"')
    assert html.index('<line class="tl-moved" ', under) > under
    assert html.index('<line class="tl-today-under"') < html.index('<line class="tl-today" ')
    css = _css(app)
    for rule in (".tl-moved-under {\n  stroke: #fff;", ".tl-today-under {\n  stroke: #fff;"):
        assert rule in css


def test_a_skip_link_before_the_chart_leads_to_the_table(client, portfolio):
    html = _get(client).get_data(as_text=True)
    link = html.index('href="#tl-table-heading">Zur Tabelle springen</a>')
    assert link < html.index('<svg xmlns="http://www.w3.org/2000/svg" class="tl-svg"')
    assert '<h2 id="tl-table-heading" tabindex="-1">' in html


def test_axis_cells_cut_by_the_window_drop_or_shorten_a_label_that_does_not_fit(app):
    # 28 April 2025 to 5 August 2026 over 920 px: 1.87 px a day.
    window = Window(date(2025, 4, 28), date(2026, 8, 5), PLOT_WIDTH)
    with app.test_request_context():
        result = build_chart(
            [],
            group_by=GroupBy.LEAD,
            window=window,
            today=TODAY,
            programme_end=date(2026, 8, 5),
            link=str,
        )
    # April: 3 days, 5.6 px; August: 5 days, 9.4 px: no room for "Apr" or "Aug".
    assert [cell.label for cell in result.months][:2] == ["", "Mai"]
    assert result.months[0].width == pytest.approx(3 * 920 / 465, abs=0.01)
    assert result.months[-1].label == ""
    # Q2 2025: 64 days, 127 px, fits; Q3 2026: 36 days, 71 px, fits "Q3 2026" (49.5 px).
    assert [cell.label for cell in result.quarters][0] == "Q2 2025"
    assert [cell.label for cell in result.quarters][-1] == "Q3 2026"
    # Full months keep their names.
    assert [cell.label for cell in result.months][1:4] == ["Mai", "Jun", "Jul"]


def test_the_page_leaves_automatic_garbage_collection_on(client, portfolio):
    assert gc.isenabled()
    _get(client)
    assert gc.isenabled()
    gc.disable()
    try:
        _get(client)
        assert not gc.isenabled()  # it was off before: the page does not switch it on
    finally:
        gc.enable()
