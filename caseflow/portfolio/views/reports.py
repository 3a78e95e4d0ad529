"""/reports: the programme's key figures for a period, as tables and charts, a printable page,
one CSV per table and one XLSX with them all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, abort, render_template, request
from flask_babel import force_locale

from caseflow import clock
from caseflow.extensions import db
from caseflow.portfolio.exports import CSV_MIMETYPE, XLSX_MIMETYPE, report_workbook, table_csv
from caseflow.portfolio.figures import ReportPeriod, report_figures
from caseflow.portfolio.report import report_charts, report_tables
from caseflow.portfolio.tables import display, table_by_slug
from caseflow.portfolio.views.blueprint import bp
from caseflow.settings.services import values
from caseflow.staff.access import lead_required
from caseflow.translating import gettext as _
from caseflow.web.errors import render_error
from caseflow.web.filters import date_filter

# The language of every export (CSV, XLSX), whatever the interface language of the lead.
EXPORT_LOCALE = "de"


@dataclass(frozen=True)
class PeriodChoice:
    """The period a request asks for and, when the input was unusable, the German message
    saying why (the default period is used then). ``typed_from`` and ``typed_to`` are what
    the form shows: the user's own input when it was unusable (to correct it), else the
    period used."""

    period: ReportPeriod
    error: str | None
    typed_from: str = ""
    typed_to: str = ""

    @property
    def args(self) -> dict[str, str]:
        """The query string that selects the period used."""
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()}

    @property
    def form_from(self) -> str:
        """The value of the form's "Von" field."""
        return self.typed_from if self.error else self.period.start.isoformat()

    @property
    def form_to(self) -> str:
        """The value of the form's "Bis" field."""
        return self.typed_to if self.error else self.period.end.isoformat()


def choose_period(args: Any, *, default: ReportPeriod) -> PeriodChoice:
    """The period from ``from`` and ``to`` in ``args``; a missing bound is the default's.

    Dates are read as the app's list filters read them (``web.filters.date_filter``:
    ``2025-03-01`` as ``<input type="date">`` sends it, or ``1.3.2025`` typed into a plain text
    box, within ``FILTER_YEARS``). An
    invalid date or ``from`` after ``to`` gives the default period and a message saying so.
    """
    raw_from = args.get("from", "").strip()
    raw_to = args.get("to", "").strip()
    notes: list[str] = []
    start = date_filter(raw_from, notes, label=_("Von")) if raw_from else default.start
    end = date_filter(raw_to, notes, label=_("Bis")) if raw_to else default.end
    if start is None or end is None:
        return PeriodChoice(default, " ".join(notes), raw_from, raw_to)
    if start > end:
        error = _("Der Zeitraum beginnt nach seinem Ende.")
        return PeriodChoice(default, error, raw_from, raw_to)
    return PeriodChoice(ReportPeriod(start, end), None, raw_from, raw_to)


def _programme() -> ReportPeriod:
    return ReportPeriod(*values("PROGRAMME_START", "PROGRAMME_END"))


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
        return render_error(
            400,
            " ".join([choice.error, _("Bitte wählen Sie den Zeitraum auf der Berichtsseite neu.")]),
        )
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
    # Exports are German whatever the lead's interface language: the funder reads them.
    with force_locale(EXPORT_LOCALE):
        table = table_by_slug(report_tables(figures), slug)
        if table is None:
            abort(404)
        data = table_csv(table)
    return _attachment(data, CSV_MIMETYPE, f"{_file_stem(period)}-{table.slug}.csv")


@bp.get("/reports/export.xlsx")
@lead_required
def report_xlsx() -> Any:
    """Every table in one XLSX file, after an overview sheet."""
    period = _export_period()
    if not isinstance(period, ReportPeriod):
        return period
    figures = report_figures(db.session, period, today=clock.today())
    with force_locale(EXPORT_LOCALE):
        data = report_workbook(
            report_tables(figures),
            title=_("DiFair Organisationsberatung – Kennzahlen"),
            period_start=period.start,
            period_end=period.end,
            created_at=clock.now(),
        )
    return _attachment(data, XLSX_MIMETYPE, f"{_file_stem(period)}.xlsx")
