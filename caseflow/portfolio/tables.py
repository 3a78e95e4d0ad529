"""One report table as plain values: what the reports page shows and the CSV and XLSX exports
write, so that the three never disagree.

Cells hold Python values (``int``, ``float``, ``Decimal``, ``date``, ``str`` or ``None``),
never pre-formatted strings: each output formats them for itself (German number format on
the page and in the CSV, real numbers and dates in the XLSX).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_decimal

from caseflow.web.i18n import format_day

Cell = int | float | Decimal | date | str | None

# What a missing value (a rate without a basis, an average of nothing) shows as.
NO_VALUE = "–"


class ColumnKind(enum.StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"  # one decimal place: 9,5
    DATE = "date"
    PERCENT = "percent"  # a fraction (0.5) shown as 50,0 %


@dataclass(frozen=True)
class Column:
    """A column's German header and the kind of values it holds."""

    header: str
    kind: ColumnKind = ColumnKind.INTEGER


@dataclass(frozen=True)
class ReportTable:
    """One table of the report.

    ``slug`` names it in URLs (``/reports/<slug>.csv``) and file names; ``title`` is its
    caption; ``sheet_title`` a short name for its XLSX sheet; ``note`` says what "in the
    period" means for it. The first column holds the row labels. ``totals`` are summary rows
    (tfoot on the page, after the rows in the exports). Every row has one cell per column.
    """

    slug: str
    title: str
    sheet_title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    totals: tuple[tuple[Cell, ...], ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        for row in (*self.rows, *self.totals):
            if len(row) != len(self.columns):
                raise ValueError(f"{self.slug}: row {row!r} has not {len(self.columns)} cells")

    @property
    def headers(self) -> list[str]:
        """The column headers."""
        return [column.header for column in self.columns]

    @property
    def kinds(self) -> list[ColumnKind]:
        """The column kinds."""
        return [column.kind for column in self.columns]

    def cell(self, first_cell: str, column: int) -> Cell:
        """The value in ``column`` of the row (or totals row) labelled ``first_cell``."""
        for row in (*self.rows, *self.totals):
            if row[0] == first_cell:
                return row[column]
        raise KeyError(first_cell)


def table_by_slug(tables: Sequence[ReportTable], slug: str) -> ReportTable | None:
    """The table named ``slug``, or None."""
    return next((table for table in tables if table.slug == slug), None)


def one_decimal(value: float | Decimal | int) -> Decimal:
    """``value`` rounded to one decimal place, halves away from zero as people round
    (2,25 → 2,3; binary floats and Babel would round half to even: 2,2)."""
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def display(value: Cell, kind: ColumnKind) -> str:
    """A cell as the page shows it (the locale's number and date format; ``–`` for None)."""
    if value is None:
        return NO_VALUE
    if kind is ColumnKind.INTEGER and isinstance(value, int):
        return format_decimal(value, "#,##0")
    if kind is ColumnKind.DECIMAL and isinstance(value, int | float | Decimal):
        return format_decimal(one_decimal(value), "#,##0.0")
    if kind is ColumnKind.PERCENT and isinstance(value, int | float | Decimal):
        return format_decimal(one_decimal(Decimal(str(value)) * 100), "#,##0.0") + "\u00a0%"
    if kind is ColumnKind.DATE and isinstance(value, date):
        return format_day(value)
    return str(value)
