"""The CSV format of the contact list: a header row, then one person per row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from caseflow.staff.importing.records import RawEntry, StaffImportError, first_line
from caseflow.translating import gettext as _
from caseflow.translating import ngettext

# Header cells are compared case-folded without blanks, hyphens and underscores ("E-Mail" ->
# "email"; casefold turns "ß" into "ss", so "Maßnahmen" -> "massnahmen").
CSV_COLUMNS = {
    "name": "name",
    "email": "email",
    "mail": "email",
    "phone": "phone",
    "telefon": "phone",
    "tel": "phone",
    "organisation": "organisation",
    "organization": "organisation",
    "measures": "measures",
    "massnahmen": "measures",
    "massnahme": "measures",
    "jobtitle": "job_title",
    "funktion": "job_title",
}

_MEASURE_WORD = re.compile(r"(?:projekt)?ma(?:ß|ss)nahmen?|measures?", re.IGNORECASE)
_MEASURE_SEPARATORS = re.compile(r"[\s,;/]+")


def parse_csv(text: str) -> list[RawEntry]:
    """The entries of a CSV text with a header row (comma, semicolon or tab separated).

    Raises ``StaffImportError`` for an unknown, duplicate or missing column and for a row
    with more values than columns.
    """
    rows = _csv_rows(text, _delimiter(first_line(text)))
    header_line, header = next(rows, (1, []))
    columns = _csv_columns(header_line, header)
    return [_csv_entry(line, cells, columns) for line, cells in rows]


def _delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the line each starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        message = _("Zeile %(line)s: Diese Zeile ist kein gültiges CSV.", line=line)
        raise StaffImportError(message) from exc


def _column_key(cell: str) -> str:
    return re.sub(r"[\s_\-]", "", cell.strip().casefold())


def looks_like_csv_header(line: str) -> bool:
    """Whether ``line`` is a header row: known columns only, among them a name."""
    cells = next(csv.reader([line], delimiter=_delimiter(line)), [])
    keys = [_column_key(cell) for cell in cells if cell.strip()]
    return all(key in CSV_COLUMNS for key in keys) and "name" in keys


def _csv_columns(line: int, header: list[str]) -> list[str | None]:
    """The field of each column (``None`` for a column without a heading)."""
    columns: list[str | None] = []
    for cell in header:
        if not cell.strip():
            columns.append(None)
            continue
        column = CSV_COLUMNS.get(_column_key(cell))
        if column is None:
            raise StaffImportError(_unknown_column(line, cell.strip()))
        if column in columns:
            message = _(
                "Zeile %(line)s: Die Spalte „%(column)s“ kommt doppelt vor.",
                line=line,
                column=cell.strip(),
            )
            raise StaffImportError(message)
        columns.append(column)
    if "name" not in columns:
        message = _("Zeile %(line)s: Die Kopfzeile hat keine Spalte „Name“.", line=line)
        raise StaffImportError(message)
    return columns


def _unknown_column(line: int, column: str) -> str:
    return _(
        "Zeile %(line)s: Die Spalte „%(column)s“ ist unbekannt. Erlaubt sind name, email, "
        "phone, organisation, measures, job_title oder Name, E-Mail, Telefon, Organisation, "
        "Maßnahmen, Funktion.",
        line=line,
        column=column,
    )


def _csv_entry(line: int, cells: list[str], columns: list[str | None]) -> RawEntry:
    if any(cell.strip() for cell in cells[len(columns) :]):
        message = ngettext(
            "Zeile %(line)s: %(count)s Werte, aber die Kopfzeile hat nur %(num)d Spalte.",
            "Zeile %(line)s: %(count)s Werte, aber die Kopfzeile hat nur %(num)d Spalten.",
            len(columns),
            line=line,
            count=len(cells),
        )
        raise StaffImportError(message)
    entry = RawEntry(line=line)
    for column, cell in zip(columns, cells, strict=False):
        if column is None:
            continue
        if "\n" in cell or "\r" in cell:
            message = _(
                "Zeile %(line)s: Ein Wert enthält einen Zeilenumbruch – fehlt ein "
                "schließendes Anführungszeichen?",
                line=line,
            )
            raise StaffImportError(message)
        if column == "measures":
            entry.measures.extend((token, line) for token in _measure_tokens(cell))
        else:
            entry.put(column, cell, line)
    return entry


def _measure_tokens(cell: str) -> list[str]:
    """``"2;3"``, ``"2, 3"``, ``"2 3"`` or ``"Maßnahme 3"`` -> the separate values."""
    return [token for token in _MEASURE_SEPARATORS.split(_MEASURE_WORD.sub(" ", cell)) if token]
