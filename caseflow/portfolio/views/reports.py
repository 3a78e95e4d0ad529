"""/reports: the programme's key figures for a period, as tables and charts, a printable page,
one CSV per table and one XLSX with them all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from caseflow import clock
from caseflow.extensions import db
from caseflow.portfolio.exports import CSV_MIMETYPE, XLSX_MIMETYPE, report_workbook, table_csv
from caseflow.portfolio.figures import ReportPeriod, report_figures
from caseflow.portfolio.report import report_charts, report_tables
from caseflow.portfolio.tables import display, table_by_slug
from caseflow.portfolio.views.blueprint import bp
from caseflow.staff.access import lead_required
from caseflow.web.errors import render_error

# Years a reporting period may name: far beyond any programme, and far from the calendar's
# ends, where converting local midnight to UTC would overflow.
YEARS = range(1900, 2201)
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


@dataclass(frozen=True)
class PeriodChoice:
    """The period a request asks for and, when the input was unusable, the German message
    saying why (the default period is used then)."""

    period: ReportPeriod
    error: str | None

    @property
    def args(self) -> dict[str, str]:
        """The query string that selects the period used."""
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()}


def _parse_day(text: str) -> date | None:
    """An ISO date (what ``<input type="date">`` sends) or ``31.07.2026``; None if neither."""
    german = _GERMAN_DATE.match(text)
    try:
        if german:
            day, month, year = (int(part) for part in german.groups())
            value = date(year, month, day)
        else:
            value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if value.year in YEARS else None


def choose_period(args: Any, *, default: ReportPeriod) -> PeriodChoice:
    """The period from ``from`` and ``to`` in ``args``; a missing bound is the default's.
    An invalid date or ``from`` after ``to`` gives the default period and a message."""
    raw_from = args.get("from", "").strip()
    raw_to = args.get("to", "").strip()
    start = _parse_day(raw_from) if raw_from else default.start
    end = _parse_day(raw_to) if raw_to else default.end
    error = None
    if start is None or end is None:
        error = _(
            "Bitte geben Sie gültige Daten ein (z. B. 01.04.2024). Angezeigt wird der ganze "
            "Förderzeitraum."
        )
    elif start > end:
        error = _("Der Zeitraum beginnt nach seinem Ende. Angezeigt wird der ganze Förderzeitraum.")
    if error is not None or start is None or end is None:
        return PeriodChoice(default, error)
    return PeriodChoice(ReportPeriod(start, end), None)


def _programme() -> ReportPeriod:
    return ReportPeriod(current_app.config["PROGRAMME_START"], current_app.config["PROGRAMME_END"])


def _report_context() -> dict[str, Any]:
    choice = choose_period(request.args, default=_programme())
    today = clock.today()
    figures = report_figures(db.session, choice.period, today=today)
    return {
        "choice": choice,
        "period": choice.period,
        "programme": _programme(),
        "today": today,
        "created_at": clock.now(),
        "tables": report_tables(figures),
        "charts": report_charts(figures),
        "display": display,
    }


@bp.get("/reports")
@lead_required
def reports() -> str:
    """Key figures for a period (default: the programme) as tables and charts."""
    return render_template("portfolio/reports.html", **_report_context())


@bp.get("/reports/print")
@lead_required
def report_print() -> str:
    """The same report as a printable page (A4 portrait, no controls)."""
    return render_template("portfolio/report_print.html", **_report_context())


def _export_period() -> ReportPeriod | tuple[str, int, dict[str, str]]:
    choice = choose_period(request.args, default=_programme())
    if choice.error is not None:
        return render_error(400, choice.error)
    return choice.period


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _file_stem(period: ReportPeriod) -> str:
    return f"bericht-{period.start.isoformat()}-{period.end.isoformat()}"


@bp.get("/reports/<slug>.csv")
@lead_required
def report_csv(slug: str) -> Any:
    """One table as CSV for German Excel; an unknown table is a 404, an unusable period a
    400 page saying why."""
    period = _export_period()
    if not isinstance(period, ReportPeriod):
        return period
    figures = report_figures(db.session, period, today=clock.today())
    table = table_by_slug(report_tables(figures), slug)
    if table is None:
        abort(404)
    return _attachment(table_csv(table), CSV_MIMETYPE, f"{_file_stem(period)}-{table.slug}.csv")


@bp.get("/reports/export.xlsx")
@lead_required
def report_xlsx() -> Any:
    """Every table in one XLSX file, after an overview sheet."""
    period = _export_period()
    if not isinstance(period, ReportPeriod):
        return period
    figures = report_figures(db.session, period, today=clock.today())
    data = report_workbook(
        report_tables(figures),
        title=_("DiFair Organisationsberatung – Kennzahlen"),
        period_start=period.start,
        period_end=period.end,
        created_at=clock.now(),
    )
    return _attachment(data, XLSX_MIMETYPE, f"{_file_stem(period)}.xlsx")
