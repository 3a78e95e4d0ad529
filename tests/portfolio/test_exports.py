"""CSV and XLSX exports of the report: read back with ``csv`` and ``openpyxl``."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from caseflow import clock
from caseflow.engagements.models import ActivityKind, EngagementStatus
from caseflow.intake.models import ApplicationStatus
from caseflow.portfolio.exports import csv_value, report_workbook, sheet_title, table_csv
from caseflow.portfolio.tables import Column, ColumnKind, ReportTable
from caseflow.staff.models import Role
from tests import factories

TODAY = date(2025, 10, 1)
PERIOD = "from=2025-03-01&to=2025-05-31"
DANGEROUS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]


def _wall(*parts: int) -> datetime:
    """A naive datetime, as a spreadsheet cell holds one."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)


def _read_csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM German Excel needs for UTF-8
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _data(session, lead) -> None:
    """Two applications in the period (one accepted, one declined), an engagement started on
    its first day with activities."""
    engagement = factories.make_engagement(
        session,
        lead=lead,
        start=date(2025, 3, 1),
        end=date(2026, 2, 28),
        status=EngagementStatus.AKTIV,
    )
    factories.make_application(
        session,
        status=ApplicationStatus.ANGENOMMEN,
        decided_by=lead,
        engagement=engagement,
        submitted_at=datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
    )
    factories.make_application(
        session,
        status=ApplicationStatus.ABGELEHNT,
        decided_by=lead,
        submitted_at=datetime(2025, 4, 3, 9, 0, tzinfo=UTC),
    )
    factories.make_activity(
        session,
        engagement,
        occurred_on=date(2025, 3, 5),
        kind=ActivityKind.WORKSHOP,
        duration_minutes=150,
        participants_count=14,
    )


def test_csv_of_one_table_opens_in_german_excel(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    _data(session, lead)
    with clock.frozen(TODAY):
        response = client.get(f"/reports/bewerbungen-status.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="bericht-2025-03-01-2025-05-31-bewerbungen-status.csv"'
    )
    rows = _read_csv(response)
    assert rows[0] == ["Status", "Anzahl"]
    assert ["angenommen", "1"] in rows
    assert ["abgelehnt", "1"] in rows
    assert ["eingegangen", "0"] in rows
    assert rows[-1] == ["Summe", "2"]
    assert len(rows) == 1 + len(ApplicationStatus) + 1


def test_csv_writes_decimal_commas_and_percentages(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    _data(session, lead)
    with clock.frozen(TODAY):
        activities = _read_csv(client.get(f"/reports/aktivitaeten.csv?{PERIOD}"))
        rate = _read_csv(client.get(f"/reports/annahmequote.csv?{PERIOD}"))
        durations = _read_csv(client.get(f"/reports/laufzeit.csv?{PERIOD}"))
    assert activities[0] == ["Art", "Anzahl", "Stunden", "Teilnehmende"]
    assert ["Workshop", "1", "2,5", "14"] in activities
    assert ["Notiz", "0", "0,0", "0"] in activities
    assert rate[1] == ["im Zeitraum eingegangen", "1", "1", "2", "0", "50,0%"]
    # 01.03.2025–28.02.2026: 365 days = 11,99… shown as 12,0 months; nothing completed: "–"
    assert durations[1] == ["geplant, aktuell (im Zeitraum begonnen)", "1", "12,0"]
    assert durations[2] == ["ursprünglich geplant (im Zeitraum begonnen)", "1", "12,0"]
    assert durations[3] == ["tatsächlich (im Zeitraum abgeschlossen)", "0", "–"]


def test_csv_dates_and_formula_guard():
    table = ReportTable(
        slug="test",
        title="Test",
        sheet_title="Test",
        columns=(Column("=Name", ColumnKind.TEXT), Column("Tag", ColumnKind.DATE)),
        rows=tuple((text, date(2026, 7, 31)) for text in [*DANGEROUS, "Jugendamt -Mitte"]),
    )
    text = table_csv(table).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["'=Name", "Tag"]
    guarded = ["'" + value for value in DANGEROUS]
    assert [row[0] for row in rows[1:]] == [*guarded, "Jugendamt -Mitte"]
    assert {row[1] for row in rows[1:]} == {"31.07.2026"}


def test_unknown_table_is_a_404(client, logged_in):
    logged_in(Role.LEAD)
    assert client.get("/reports/gibt-es-nicht.csv").status_code == 404


def test_xlsx_has_one_sheet_per_table_with_real_numbers_and_dates(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    _data(session, lead)
    with clock.frozen(datetime(2025, 10, 1, 12, 30, tzinfo=UTC)):
        response = client.get(f"/reports/export.xlsx?{PERIOD}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="bericht-2025-03-01-2025-05-31.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.get_data()))
    names = workbook.sheetnames
    assert names[0] == "Übersicht"
    assert "Bewerbungen nach Status" in names
    assert "Aktivitäten" in names
    assert len(names) == len(set(names))
    assert all(len(name) <= 31 for name in names)

    overview = workbook["Übersicht"]
    assert overview["A2"].value == "Zeitraum von"
    assert overview["B2"].value == _wall(2025, 3, 1)
    assert overview["B3"].value == _wall(2025, 5, 31)
    assert overview["B2"].number_format == "DD.MM.YYYY"
    assert overview["B4"].value == _wall(2025, 10, 1, 14, 30)  # Europe/Berlin

    statuses = workbook["Bewerbungen nach Status"]
    assert [cell.value for cell in statuses[1]] == ["Status", "Anzahl"]
    assert statuses["A1"].font.bold
    values = {row[0].value: row[1].value for row in statuses.iter_rows(min_row=2)}
    assert values["angenommen"] == 1
    assert values["Summe"] == 2
    assert all(type(row[1].value) is int for row in statuses.iter_rows(min_row=2))

    activities = workbook["Aktivitäten"]
    workshop = next(row for row in activities.iter_rows(min_row=2) if row[0].value == "Workshop")
    assert [cell.value for cell in workshop] == ["Workshop", 1, 2.5, 14]
    assert type(workshop[2].value) is float
    assert workshop[2].number_format == "0.0"
    assert activities.column_dimensions["A"].width >= len("Teilnehmende")

    rate = workbook["Annahmequote"]
    assert rate["F2"].value == 0.5
    assert rate["F2"].number_format == "0.0%"


def test_xlsx_keeps_formula_like_text_as_text():
    table = ReportTable(
        slug="test",
        title="Test",
        sheet_title="Test",
        columns=(Column("Organisation", ColumnKind.TEXT), Column("Anzahl")),
        rows=tuple((text, 1) for text in DANGEROUS),
    )
    data = report_workbook(
        [table],
        title="Bericht",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        created_at=datetime(2025, 10, 1, 12, 0, tzinfo=UTC),
    )
    sheet = load_workbook(io.BytesIO(data))["Test"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # (XML reads a carriage return back as a line feed)
    assert [cell.value for cell in cells] == [text.replace("\r", "\n") for text in DANGEROUS]
    assert {cell.data_type for cell in cells} == {"s"}


@pytest.mark.parametrize(
    ("title", "taken", "expected"),
    [
        ("Bewerbungen", set(), "Bewerbungen"),
        ("Sprache/Information [neu]: *?", set(), "Sprache-Information -neu-- --"),
        ("x" * 40, set(), "x" * 31),
        ("Übersicht", {"übersicht"}, "Übersicht (2)"),
        ("y" * 40, {"y" * 31}, "y" * 27 + " (2)"),
        ("'zitiert'", set(), "zitiert"),
        ("", set(), "Tabelle"),
    ],
)
def test_sheet_titles_are_valid_and_unique(title, taken, expected):
    assert sheet_title(title, taken) == expected
    assert expected.lower() in taken


def test_xlsx_of_many_tables_is_quick():
    """Aggregates keep the tables small; this guards the writing itself."""
    tables = [
        ReportTable(
            slug=f"t{index}",
            title=f"Tabelle {index}",
            sheet_title="Gleicher Name",
            columns=(
                Column("Art", ColumnKind.TEXT),
                Column("Anzahl"),
                Column("h", ColumnKind.DECIMAL),
            ),
            rows=tuple((f"Zeile {row}", row, row / 3) for row in range(50)),
        )
        for index in range(20)
    ]
    started = time.perf_counter()
    data = report_workbook(
        tables,
        title="Bericht",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        created_at=datetime(2025, 10, 1, 12, 0, tzinfo=UTC),
    )
    assert time.perf_counter() - started < 2
    names = load_workbook(io.BytesIO(data)).sheetnames
    assert len(set(names)) == 21


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (2.25, ColumnKind.DECIMAL, "2,3"),  # half up, as people round (a float would give 2,2)
        (12, ColumnKind.DECIMAL, "12,0"),
        (1 / 3, ColumnKind.PERCENT, "33,3%"),
        (0.0005, ColumnKind.PERCENT, "0,1%"),
        (1234, ColumnKind.INTEGER, "1234"),
        (None, ColumnKind.PERCENT, "–"),
        (date(2026, 7, 31), ColumnKind.DATE, "31.07.2026"),
    ],
)
def test_csv_values(value, kind, expected):
    assert csv_value(value, kind) == expected


def test_exports_are_german_whatever_the_interface_language(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    lead.locale = "en"
    _data(session, lead)
    session.flush()
    with clock.frozen(datetime(2025, 10, 1, 12, 30, tzinfo=UTC)):
        page = client.get(f"/reports?{PERIOD}")
        statuses = _read_csv(client.get(f"/reports/bewerbungen-status.csv?{PERIOD}"))
        response = client.get(f"/reports/export.xlsx?{PERIOD}")
    # The page follows the interface language (so the test would notice English) …
    assert '<html lang="en">' in page.get_data(as_text=True)
    # … the files do not.
    assert statuses[0] == ["Status", "Anzahl"]
    assert ["angenommen", "1"] in statuses
    assert statuses[-1] == ["Summe", "2"]
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames[0] == "Übersicht"
    assert "Bewerbungen nach Status" in workbook.sheetnames
    assert workbook["Übersicht"]["A1"].value == "DiFair Organisationsberatung – Kennzahlen"
    assert workbook["Übersicht"]["A2"].value == "Zeitraum von"
    assert [cell.value for cell in workbook["Bewerbungen nach Status"][1]] == ["Status", "Anzahl"]
    activities = [cell.value for cell in workbook["Aktivitäten"][1]]
    assert activities == ["Art", "Anzahl", "Stunden", "Teilnehmende"]
