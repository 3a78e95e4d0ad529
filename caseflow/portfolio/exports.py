"""The report's tables as files: one CSV per table for German Excel, one XLSX with them all.

CSV: UTF-8 with a byte order mark, ``;`` between cells, CRLF line ends, decimal comma and
``31.07.2026`` dates — what German Excel opens correctly with a double click. XLSX: real
numbers and dates with number formats, never numbers as text. In both, text that a
spreadsheet would read as a formula is defused (``guard_formula``, ``_text_cell``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from caseflow import clock
from caseflow.portfolio.tables import NO_VALUE, Cell, ColumnKind, ReportTable, one_decimal
from caseflow.translating import gettext as _

# A text cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
SHEET_TITLE_LENGTH = 31
_FORBIDDEN_IN_SHEET_TITLES = re.compile(r"[\[\]:*?/\\]")
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
DECIMAL_FORMAT = "0.0"
PERCENT_FORMAT = "0.0%"
MAX_COLUMN_WIDTH = 60


def guard_formula(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _decimal_comma(value: float | Decimal | int) -> str:
    return str(one_decimal(value)).replace(".", ",")


def csv_value(value: Cell, kind: ColumnKind) -> str:
    """One cell as German Excel reads it: ``1234``, ``9,5``, ``50,0%``, ``31.07.2026``;
    ``–`` for a missing value; text defused by ``guard_formula``."""
    if value is None:
        return NO_VALUE
    if isinstance(value, str):
        return guard_formula(value)
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if kind is ColumnKind.PERCENT:
        return _decimal_comma(Decimal(str(value)) * 100) + "%"
    if kind is ColumnKind.DECIMAL or isinstance(value, float | Decimal):
        return _decimal_comma(value)
    return str(value)


def table_csv(table: ReportTable) -> bytes:
    """The table as CSV bytes: the header row, the rows, then the totals rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([guard_formula(header) for header in table.headers])
    kinds = table.kinds
    for row in (*table.rows, *table.totals):
        writer.writerow([csv_value(value, kind) for value, kind in zip(row, kinds, strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unused sheet title for ``title``: forbidden characters replaced, at most 31
    characters, no apostrophe at either end, unique ignoring case (as Excel compares);
    adds itself to ``taken`` (lower case)."""
    base = _FORBIDDEN_IN_SHEET_TITLES.sub("-", title).strip().strip("'").strip() or "Tabelle"
    candidate = base[:SHEET_TITLE_LENGTH].rstrip()
    number = 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = base[: SHEET_TITLE_LENGTH - len(suffix)].rstrip() + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


class _Cells:
    """Builds write-only cells of one sheet with shared styles."""

    def __init__(self, sheet: WriteOnlyWorksheet, bold: Font) -> None:
        self.sheet = sheet
        self.bold = bold

    def header(self, text: str) -> WriteOnlyCell:
        cell = self.text(text)
        cell.font = self.bold
        return cell

    def text(self, text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=text)
        # openpyxl takes a leading "=" for a formula: text stays text, whatever it starts with.
        cell.data_type = "s"
        return cell

    def value(self, value: Cell, kind: ColumnKind) -> WriteOnlyCell:
        if value is None:
            return self.text(NO_VALUE)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, datetime):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATETIME_FORMAT
            return cell
        if isinstance(value, date):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        if kind is ColumnKind.PERCENT:
            cell = WriteOnlyCell(self.sheet, value=float(value))
            cell.number_format = PERCENT_FORMAT
            return cell
        if kind is ColumnKind.DECIMAL or isinstance(value, float | Decimal):
            cell = WriteOnlyCell(self.sheet, value=float(value))
            cell.number_format = DECIMAL_FORMAT
            return cell
        return WriteOnlyCell(self.sheet, value=int(value))


def _width(value: Cell, kind: ColumnKind) -> int:
    if isinstance(value, date):
        return 12
    if kind is ColumnKind.TEXT or isinstance(value, str) or value is None:
        return len(str(value or NO_VALUE))
    return len(csv_value(value, kind))


def _set_widths(sheet: WriteOnlyWorksheet, table: ReportTable) -> None:
    for index, column in enumerate(table.columns):
        longest = max(
            [len(column.header)]
            + [_width(row[index], column.kind) for row in (*table.rows, *table.totals)]
        )
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(
            MAX_COLUMN_WIDTH, longest + 3
        )


def report_workbook(
    tables: Sequence[ReportTable],
    *,
    title: str,
    period_start: date,
    period_end: date,
    created_at: datetime,
) -> bytes:
    """The XLSX file: a first sheet "Übersicht" (title, period, creation time — the aware
    ``created_at`` in local wall time, as spreadsheets know no time zones — and what each
    table counts), then one sheet per table with its
    headers in bold, its rows and its totals rows. Built in write-only mode."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    taken: set[str] = set()

    overview = workbook.create_sheet(sheet_title(_("Übersicht"), taken))
    cells = _Cells(overview, bold)
    overview.column_dimensions["A"].width = 30
    overview.column_dimensions["B"].width = 30
    overview.column_dimensions["C"].width = 80
    overview.append([cells.header(title)])
    overview.append([cells.text(_("Zeitraum von")), cells.value(period_start, ColumnKind.DATE)])
    overview.append([cells.text(_("Zeitraum bis")), cells.value(period_end, ColumnKind.DATE)])
    overview.append(
        [
            cells.text(_("Erstellt am")),
            cells.value(clock.local(created_at).replace(tzinfo=None), ColumnKind.DATE),
        ]
    )
    overview.append([])
    overview.append(
        [cells.header(_("Tabelle")), cells.header(_("Blatt")), cells.header(_("Was zählt"))]
    )
    names = [sheet_title(table.sheet_title, taken) for table in tables]
    for table, name in zip(tables, names, strict=True):
        overview.append([cells.text(table.title), cells.text(name), cells.text(table.note)])

    for table, name in zip(tables, names, strict=True):
        sheet = workbook.create_sheet(name)
        cells = _Cells(sheet, bold)
        _set_widths(sheet, table)
        sheet.append([cells.header(header) for header in table.headers])
        kinds = table.kinds
        for row in (*table.rows, *table.totals):
            sheet.append([cells.value(value, kind) for value, kind in zip(row, kinds, strict=True)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
