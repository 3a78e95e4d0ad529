"""/insights: barriers by category and sector, measures that worked, the Selbstcheck's
movement across completed engagements, and the export that names no client unless the lead
chooses so."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import (
    BarrierCategory,
    BarrierStatus,
    Engagement,
    EngagementStatus,
)
from caseflow.organisations.choices import District, Sector
from caseflow.outcomes.insights import (
    ORGANISATION_PLACEHOLDER,
    Tally,
    barrier_matrix,
    export_data,
    page_insights,
    redact_names,
    self_assessment_movement,
    typical_measures,
)
from caseflow.outcomes.models import RoundKind, SelfcheckRound
from caseflow.outcomes.rules import Rating
from caseflow.outcomes.services import AnswerInput, open_round, save_answers, start_response
from caseflow.staff.models import Role, StaffMember
from tests import factories
from tests.pages.helpers import page_text, table

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
SECRET = "test-secret-key"
SPRACHE = BarrierCategory.SPRACHE_INFORMATION
VERFAHREN = BarrierCategory.VERFAHREN_FORMULARE
DATEN = BarrierCategory.DATEN_MONITORING
DONE = EngagementStatus.ABGESCHLOSSEN


def _engagement(session, lead, *, status=DONE, **organisation) -> Engagement:
    return factories.make_engagement(
        session,
        lead=lead,
        status=status,
        organisation=factories.make_organisation(session, **organisation),
    )


def _round(
    session,
    engagement: Engagement,
    kind: RoundKind,
    ratings: Mapping[BarrierCategory, Rating],
    *,
    actor: StaffMember,
    submit: bool = True,
) -> SelfcheckRound:
    """Open the engagement's round of ``kind`` and let one person rate every statement of
    each category in ``ratings`` with its rating (the others left out)."""
    round_, _token = open_round(session, engagement, kind, actor=actor, now=NOW, secret=SECRET)
    response, _resume = start_response(session, round_, name=None, role=None, now=NOW)
    answers = {
        item.statement_id: AnswerInput(given=True, rating=ratings[item.statement.category])
        for item in round_.statements
        if item.statement.category in ratings
    }
    save_answers(session, response, answers, submit=submit, now=NOW)
    return round_


# Barriers by category and sector ------------------------------------------------------------


def _barrier_set(session, lead) -> None:
    """Six barriers in three sectors; the kinder_familie one in a cancelled engagement."""
    office = _engagement(session, lead, status=EngagementStatus.AKTIV)
    hospital = _engagement(
        session, lead, sector=Sector.GESUNDHEIT, subtype="krankenhaus", district=District.PANKOW
    )
    family = _engagement(
        session,
        lead,
        status=EngagementStatus.ABGEBROCHEN,
        sector=Sector.KINDER_FAMILIE,
        subtype="familienzentrum",
    )
    removed = BarrierStatus.ABGEBAUT
    factories.make_barrier(session, office, category=SPRACHE)
    factories.make_barrier(session, office, category=SPRACHE, status=removed)
    factories.make_barrier(session, office, category=VERFAHREN, status=BarrierStatus.IN_BEARBEITUNG)
    factories.make_barrier(session, hospital, category=SPRACHE, status=removed)
    factories.make_barrier(session, hospital, category=DATEN)
    factories.make_barrier(session, family, category=SPRACHE)


def test_barriers_are_counted_by_category_and_sector(session, make_staff):
    _barrier_set(session, make_staff(Role.LEAD))
    matrix = barrier_matrix(session)
    assert matrix.cell(SPRACHE, Sector.BUERGERDIENST) == Tally(found=2, removed=1)
    assert matrix.cell(SPRACHE, Sector.GESUNDHEIT) == Tally(found=1, removed=1)
    # Barriers of a cancelled engagement are findings too.
    assert matrix.cell(SPRACHE, Sector.KINDER_FAMILIE) == Tally(found=1, removed=0)
    assert matrix.cell(SPRACHE, Sector.SONSTIGE) == Tally()
    assert matrix.category_total(SPRACHE) == Tally(found=4, removed=2)
    assert matrix.category_total(SPRACHE).removed_share == 0.5
    assert matrix.category_total(VERFAHREN) == Tally(found=1, removed=0)
    assert matrix.category_total(VERFAHREN).removed_share == 0
    assert matrix.category_total(BarrierCategory.DIGITALE_ZUGAENGE).removed_share is None
    assert matrix.sector_total(Sector.BUERGERDIENST) == Tally(found=3, removed=1)
    assert matrix.sector_total(Sector.GESUNDHEIT) == Tally(found=2, removed=1)
    assert matrix.total == Tally(found=6, removed=2)


def test_the_page_shows_the_matrix_with_totals_and_removed_share(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    _barrier_set(session, lead)
    response = client.get("/insights")
    assert response.status_code == 200
    matrix = table(response, "Zugangsbarrieren nach Kategorie und Bereich")
    # Sectors in order: Bürger*innendienste, Kinder und Familie, Gesundheit, Sonstige; each
    # found and removed; then all sectors: found, removed, removed share.
    assert matrix.row("Sprache & Information")[1:] == (
        ["2", "1", "1", "0", "1", "1", "0", "0", "4", "2", "50,0 %"]
    )
    assert matrix.row("Verfahren & Formulare")[1:] == (
        ["1", "0", "0", "0", "0", "0", "0", "0", "1", "0", "0,0 %"]
    )
    assert matrix.row("digitale Zugänge")[-3:] == ["0", "0", "–"]
    assert matrix.row("Summe")[1:] == ["3", "1", "1", "0", "2", "1", "0", "0", "6", "2", "33,3 %"]
    assert "auch laufender und abgebrochener" in page_text(response)


# Measures that worked -------------------------------------------------------------------


def test_measures_are_the_most_recent_removed_ones_capped_with_their_count(
    client, session, logged_in
):
    lead = logged_in(Role.LEAD)
    engagement = _engagement(session, lead, name="Bürgeramt Lindenhof")
    for day in range(1, 8):
        factories.make_barrier(
            session,
            engagement,
            status=BarrierStatus.ABGEBAUT,
            identified_on=date(2025, 2, day),
            measure_taken=f"Übersetzung {day}",
        )
    # Not counted: removed without a measure text, and a measure of a barrier not removed.
    factories.make_barrier(session, engagement, status=BarrierStatus.ABGEBAUT, measure_taken="  ")
    factories.make_barrier(session, engagement, measure_taken="geplant: Dolmetschpool")
    factories.make_barrier(
        session,
        engagement,
        category=DATEN,
        status=BarrierStatus.ABGEBAUT,
        measure_taken="Zugangsdaten werden erhoben",
    )

    measures = {item.category: item for item in typical_measures(session)}
    assert [measure.text for measure in measures[SPRACHE].measures] == [
        "Übersetzung 7",
        "Übersetzung 6",
        "Übersetzung 5",
        "Übersetzung 4",
        "Übersetzung 3",
    ]
    assert measures[SPRACHE].total == 7
    assert measures[DATEN].total == 1
    assert measures[VERFAHREN].measures == ()
    assert measures[VERFAHREN].total == 0

    text = page_text(client.get("/insights"))
    assert "Die neuesten 5 von 7 abgebauten Zugangsbarrieren mit beschriebener Maßnahme" in text
    assert "1 abgebaute Zugangsbarriere mit beschriebener Maßnahme" in text
    assert "Übersetzung 7" in text
    assert "Übersetzung 2" not in text
    assert "Dolmetschpool" not in text
    # Leads see where a measure worked; the caption says so.
    assert "Bürgeramt Lindenhof" in text
    assert "der anonyme Export enthält nur den Bereich" in text


# Self-assessment movement -------------------------------------------------------------------


def _movement_set(session, lead) -> None:
    """Two completed engagements with both rounds, two completed ones that cannot be
    compared, and an active one with both rounds (not completed: not counted)."""
    first = _engagement(session, lead)
    _round(session, first, RoundKind.VORHER, {SPRACHE: Rating(1), VERFAHREN: Rating(2)}, actor=lead)
    _round(
        session, first, RoundKind.NACHHER, {SPRACHE: Rating(4), VERFAHREN: Rating(4)}, actor=lead
    )
    second = _engagement(session, lead)
    _round(session, second, RoundKind.VORHER, {SPRACHE: Rating(2)}, actor=lead)
    _round(session, second, RoundKind.NACHHER, {SPRACHE: Rating(3), DATEN: Rating(4)}, actor=lead)
    one_round = _engagement(session, lead)
    _round(session, one_round, RoundKind.VORHER, {SPRACHE: Rating(1)}, actor=lead)
    draft_only = _engagement(session, lead)
    _round(session, draft_only, RoundKind.VORHER, {SPRACHE: Rating(1)}, actor=lead)
    _round(session, draft_only, RoundKind.NACHHER, {SPRACHE: Rating(4)}, actor=lead, submit=False)
    running = _engagement(session, lead, status=EngagementStatus.AKTIV)
    _round(session, running, RoundKind.VORHER, {SPRACHE: Rating(4)}, actor=lead)
    _round(session, running, RoundKind.NACHHER, {SPRACHE: Rating(1)}, actor=lead)


def test_movement_by_category_across_completed_engagements(session, make_staff):
    _movement_set(session, make_staff(Role.LEAD))
    movement = self_assessment_movement(session)
    assert (movement.completed, movement.compared, movement.left_out) == (4, 2, 2)
    by_category = {item.category: item for item in movement.categories}
    # Sprache: 0 → 100 and 33,3 → 66,7.
    sprache = by_category[SPRACHE]
    assert sprache.engagements == 2
    assert sprache.before == pytest.approx(50 / 3)
    assert sprache.after == pytest.approx(250 / 3)
    assert sprache.change == pytest.approx(200 / 3)
    # Verfahren was rated in both rounds by the first engagement only.
    verfahren = by_category[VERFAHREN]
    assert verfahren.engagements == 1
    assert (verfahren.before, verfahren.after) == (pytest.approx(100 / 3), pytest.approx(100))
    # Daten was rated after only: nothing to compare.
    assert by_category[DATEN].engagements == 0
    assert by_category[DATEN].change is None
    # Overall: first 16,7 → 100, second 33,3 → 83,3.
    assert movement.overall.engagements == 2
    assert movement.overall.before == pytest.approx(25)
    assert movement.overall.after == pytest.approx(275 / 3)


def test_the_page_shows_the_movement_and_how_many_were_left_out(client, session, logged_in):
    _movement_set(session, logged_in(Role.LEAD))
    response = client.get("/insights")
    movement = table(response, "Selbstcheck: Veränderung nach Kategorie")
    assert movement.rows[0] == [
        "Kategorie",
        "Zu Beginn (0–100)",
        "Zum Abschluss (0–100)",
        "Veränderung (Punkte)",
        "Prozessbegleitungen",
    ]
    assert movement.row("Sprache & Information")[1:] == ["16,7", "83,3", "66,7", "2"]
    assert movement.row("Verfahren & Formulare")[1:] == ["33,3", "100,0", "66,7", "1"]
    assert movement.row("Daten & Monitoring")[1:] == ["–", "–", "–", "0"]
    assert movement.row("Alle Kategorien")[1:] == ["25,0", "91,7", "66,7", "2"]
    text = page_text(response)
    assert "Gezählt: 2 von 4 abgeschlossenen Prozessbegleitungen." in text
    assert "Nicht gezählt: 2, weil ein Selbstcheck fehlt" in text


def test_without_comparable_engagements_the_page_says_so(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    engagement = _engagement(session, lead)
    _round(session, engagement, RoundKind.VORHER, {SPRACHE: Rating(2)}, actor=lead)
    response = client.get("/insights")
    text = page_text(response)
    assert "Gezählt: 0 von 1 abgeschlossenen Prozessbegleitungen." in text
    assert "Noch keine abgeschlossene Prozessbegleitung hat beide Selbstchecks" in text


# The export ---------------------------------------------------------------------------------

NAME = "Jugendamt Sonnenfeld"
OTHER = "Klinikum am Wasserturm"


def _read_csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def _export_set(session, lead) -> None:
    office = _engagement(session, lead, name=NAME, district=District.SPANDAU)
    factories.make_contact(session, office.organisation, name="Dilek Yılmaz")
    hospital = _engagement(
        session,
        lead,
        name=OTHER,
        sector=Sector.GESUNDHEIT,
        subtype="krankenhaus",
        district=District.REINICKENDORF,
    )
    factories.make_barrier(
        session,
        office,
        status=BarrierStatus.ABGEBAUT,
        measure_taken="Das jugendamt  SONNENFELD übersetzt nun alle Bescheide.",
    )
    factories.make_barrier(
        session,
        hospital,
        category=VERFAHREN,
        status=BarrierStatus.ABGEBAUT,
        measure_taken=f"Formulare wie beim {NAME} vereinfacht; {OTHER} bietet Videodolmetschen.",
    )
    factories.make_barrier(session, hospital, category=DATEN)


def _identifying(text: str) -> list[str]:
    found = text.casefold()
    words = ("sonnenfeld", "wasserturm", "spandau", "reinickendorf", "yılmaz")
    return [word for word in words if word in found]


def test_the_anonymised_csv_names_no_client(client, session, logged_in):
    _export_set(session, logged_in(Role.LEAD))
    response = client.get("/insights/massnahmen.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('-anonym-massnahmen.csv"')
    rows = _read_csv(response)
    assert rows[0] == ["Kategorie", "Bereich", "Status", "Ergriffene Maßnahme"]
    # Each sector has fewer than three organisations here: none is named.
    few = "weitere Bereiche (weniger als 3 Organisationen)"
    assert rows[1:] == [
        [
            "Sprache & Information",
            few,
            "abgebaut",
            f"Das {ORGANISATION_PLACEHOLDER} übersetzt nun alle Bescheide.",
        ],
        [
            "Verfahren & Formulare",
            few,
            "abgebaut",
            f"Formulare wie beim {ORGANISATION_PLACEHOLDER} vereinfacht; "
            f"{ORGANISATION_PLACEHOLDER} bietet Videodolmetschen.",
        ],
        ["Daten & Monitoring", few, "erkannt", "–"],
    ]
    assert _identifying(response.get_data(as_text=True)) == []


def test_the_anonymised_export_names_a_sector_from_three_organisations_on(
    client, session, logged_in
):
    lead = logged_in(Role.LEAD)
    for number in range(3):
        engagement = _engagement(
            session, lead, sector=Sector.GESUNDHEIT, subtype="krankenhaus", name=f"Klinik {number}"
        )
        factories.make_barrier(session, engagement, category=BarrierCategory.DATEN_MONITORING)
    rows = _read_csv(client.get("/insights/massnahmen.csv"))
    assert {row[1] for row in rows[1:]} == {"Gesundheitsversorgung"}
    identifiable = _read_csv(client.get("/insights/massnahmen.csv?identifiable=1"))
    assert {row[1] for row in identifiable[1:]} == {"Gesundheitsversorgung"}


def test_the_anonymised_xlsx_names_no_client(client, session, logged_in):
    _export_set(session, logged_in(Role.LEAD))
    response = client.get("/insights/export.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('-anonym.xlsx"')
    workbook = load_workbook(io.BytesIO(response.get_data()))
    texts = [
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    ]
    assert _identifying(" ".join(texts)) == []
    assert any("(anonym)" in text for text in texts)
    measures = workbook["Barrieren und Maßnahmen"]
    header = next(measures.iter_rows(values_only=True))
    assert header == ("Kategorie", "Bereich", "Status", "Ergriffene Maßnahme")
    assert {"Kategorie und Bereich", "Selbstcheck"} <= set(workbook.sheetnames)


def test_the_lead_may_choose_an_identifiable_export(client, session, logged_in):
    _export_set(session, logged_in(Role.LEAD))
    response = client.get("/insights/massnahmen.csv?identifiable=1")
    assert response.headers["Content-Disposition"].endswith('-mit-organisationen-massnahmen.csv"')
    rows = _read_csv(response)
    assert rows[0][-2:] == ["Organisation", "Bezirk"]
    assert rows[1] == [
        "Sprache & Information",
        "Bürger*innendienste",
        "abgebaut",
        "Das jugendamt  SONNENFELD übersetzt nun alle Bescheide.",
        NAME,
        "Spandau",
    ]
    assert rows[3][-2:] == [OTHER, "Reinickendorf"]
    # Contact persons are not needed for either audience, identifiable or not.
    assert "Yılmaz" not in response.get_data(as_text=True)

    workbook = load_workbook(io.BytesIO(client.get("/insights/export.xlsx?identifiable=1").data))
    cells = [
        cell
        for row in workbook["Barrieren und Maßnahmen"].iter_rows(values_only=True)
        for cell in row
    ]
    assert NAME in cells
    assert "Spandau" in cells


@pytest.mark.parametrize("value", ["0", "on", "true", ""])
def test_only_an_explicit_choice_identifies(client, session, logged_in, value):
    _export_set(session, logged_in(Role.LEAD))
    response = client.get(f"/insights/massnahmen.csv?identifiable={value}")
    assert _identifying(response.get_data(as_text=True)) == []


def test_every_export_is_audited(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    _export_set(session, lead)
    client.get("/insights/massnahmen.csv")
    client.get("/insights/export.xlsx?identifiable=1")
    assert client.get("/insights/gibt-es-nicht.csv").status_code == 404
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "insights.exported").order_by(AuditEvent.id)
    ).all()
    assert [(event.actor_id, event.object_type, event.changes) for event in events] == [
        (lead.id, "insights", {"identifiable": False, "file": "massnahmen"}),
        (lead.id, "insights", {"identifiable": True, "file": "xlsx"}),
    ]


def test_the_matrix_and_movement_csvs(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    _barrier_set(session, lead)
    _movement_set(session, lead)
    matrix = _read_csv(client.get("/insights/barrieren-bereiche.csv"))
    assert matrix[0][:3] == [
        "Kategorie",
        "Bürger*innendienste: erkannt",
        "Bürger*innendienste: davon abgebaut",
    ]
    sprache = next(row for row in matrix if row[0] == "Sprache & Information")
    assert sprache[-3:] == ["4", "2", "50,0%"]
    movement = _read_csv(client.get("/insights/selbstcheck.csv"))
    assert ["Sprache & Information", "16,7", "83,3", "66,7", "2"] in movement
    assert movement[-1] == ["Alle Kategorien", "25,0", "91,7", "66,7", "2"]


def test_redact_names():
    names = ["Praxis (Nord) / MVZ", "Amt Nord", "Amt Nord-Ost"]
    assert redact_names("Die praxis (nord)\n/ mvz hilft.", names) == "Die [Organisation] hilft."
    # The longer name goes whole: no "[Organisation]-Ost".
    assert redact_names("Wie im AMT NORD-OST.", names) == "Wie im [Organisation]."
    assert redact_names("Nichts zu ersetzen.", names) == "Nichts zu ersetzen."
    assert redact_names("Text", ["", "  "]) == "Text"


# Access and queries -----------------------------------------------------------------------

URLS = ["/insights", "/insights/export.xlsx", "/insights/massnahmen.csv?identifiable=1"]


@pytest.mark.parametrize("path", URLS)
def test_consultants_are_refused(client, session, logged_in, path):
    logged_in(Role.CONSULTANT)
    assert client.get(path).status_code == 403
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "insights.exported")) is None
    )


@pytest.mark.parametrize("path", URLS)
def test_anonymous_visitors_are_sent_to_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admins_see_the_page(client, logged_in):
    logged_in(Role.ADMIN)
    assert client.get("/insights").status_code == 200


def _add_data(session, lead, copies: int) -> None:
    for number in range(copies):
        sector = list(Sector)[number % len(Sector)]
        subtype = {"buergerdienst": "jugendamt", "kinder_familie": "kita_traeger"}.get(
            sector.value, "sonstige" if sector is Sector.SONSTIGE else "krankenhaus"
        )
        engagement = _engagement(session, lead, sector=sector, subtype=subtype)
        for category in list(BarrierCategory)[: number + 1]:
            factories.make_barrier(
                session,
                engagement,
                category=category,
                status=BarrierStatus.ABGEBAUT,
                measure_taken=f"Maßnahme {number}",
            )
        _round(session, engagement, RoundKind.VORHER, {SPRACHE: Rating(1)}, actor=lead)
        _round(session, engagement, RoundKind.NACHHER, {SPRACHE: Rating(3)}, actor=lead)


def test_a_fixed_number_of_statements_whatever_the_data(session, make_staff, count_queries):
    lead = make_staff(Role.LEAD)
    _add_data(session, lead, 1)
    session.expunge_all()
    with count_queries() as small:
        page_insights(session)
        export_data(session)
    _add_data(session, session.merge(lead), 6)
    session.expunge_all()
    with count_queries() as large:
        figures = page_insights(session)
        export_data(session)
    assert figures.movement.compared == 7
    assert small.count == large.count == 14, large.statements


def test_the_page_and_export_run_a_fixed_number_of_statements(
    client, session, logged_in, count_queries
):
    lead = logged_in(Role.LEAD)
    _add_data(session, lead, 1)
    with count_queries() as small_page:
        client.get("/insights")
    with count_queries() as small_export:
        client.get("/insights/export.xlsx")
    _add_data(session, lead, 6)
    with count_queries() as large_page:
        assert client.get("/insights").status_code == 200
    with count_queries() as large_export:
        assert client.get("/insights/export.xlsx").status_code == 200
    assert small_page.count == large_page.count, large_page.statements
    assert small_export.count == large_export.count, large_export.statements


# More rounds than one select-in batch of SQLAlchemy (500 parents) holds.
MANY_ROUNDS = 520


def test_the_movement_stays_five_statements_past_the_select_in_batch(
    session, make_staff, count_queries
):
    lead = make_staff(Role.LEAD)
    _add_data(session, lead, 1)
    session.expunge_all()
    with count_queries() as one:
        assert self_assessment_movement(session).compared == 1
    organisation = factories.make_organisation(session)
    engagement_ids = session.scalars(
        insert(Engagement).returning(Engagement.id),
        [
            {
                "organisation_id": organisation.id,
                "status": DONE,
                "start_date": date(2025, 1, 1),
                "planned_end_date": date(2025, 12, 31),
                "baseline_end_date": date(2025, 12, 31),
                "actual_end_date": date(2025, 12, 31),
                "status_changed_at": NOW,
                "created_at": NOW,
                "version": 1,
            }
            for _ in range(MANY_ROUNDS // 2)
        ],
    ).all()
    session.execute(
        insert(SelfcheckRound),
        [
            {"engagement_id": engagement_id, "kind": kind, "opened_at": NOW, "version": 1}
            for engagement_id in engagement_ids
            for kind in RoundKind
        ],
    )
    session.expunge_all()
    with count_queries() as many:
        movement = self_assessment_movement(session)
    assert (movement.completed, movement.compared) == (1 + MANY_ROUNDS // 2, 1)
    assert one.count == many.count == 5, many.statements
