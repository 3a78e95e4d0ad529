"""/insights ("Barrieren-Einblicke"): barriers, measures that worked and the Selbstcheck's
movement across all clients, for project leads; and the export for the training team and
the dialogue rounds with migrant self-organisations (one CSV per table, one XLSX with all),
anonymised unless the lead ticks ``identifiable``. Every export is audited."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request
from flask_babel import force_locale
from flask_login import current_user

from caseflow import clock
from caseflow.engagements.models import BarrierCategory
from caseflow.extensions import db
from caseflow.organisations.choices import Sector
from caseflow.outcomes.insights import (
    MEASURES_PER_CATEGORY,
    MIN_ORGANISATIONS_PER_SECTOR,
    ORGANISATION_PLACEHOLDER,
    BarrierMatrix,
    export_data,
    export_tables,
    movement_table,
    page_insights,
    record_export,
)
from caseflow.outcomes.views.blueprint import bp
from caseflow.portfolio.charts import BarChart, stacked_bars
from caseflow.portfolio.exports import CSV_MIMETYPE, XLSX_MIMETYPE, report_workbook, table_csv
from caseflow.portfolio.tables import ColumnKind, display, table_by_slug
from caseflow.settings.services import values
from caseflow.staff.access import lead_required
from caseflow.translating import gettext as _

# The language of every export, whatever the interface language of the lead.
EXPORT_LOCALE = "de"
XLSX_FILE = "xlsx"


def _chart(matrix: BarrierMatrix) -> BarChart:
    totals = [matrix.category_total(category) for category in BarrierCategory]
    return stacked_bars(
        _("Zugangsbarrieren nach Kategorie: abgebaut und noch nicht abgebaut"),
        [category.label for category in BarrierCategory],
        [_("abgebaut"), _("noch nicht abgebaut")],
        [[total.removed, total.found - total.removed] for total in totals],
    )


@bp.get("/insights")
@lead_required
def insights() -> str:
    """Barriers by category and sector, measures that worked, the Selbstcheck's movement,
    and the export form."""
    figures = page_insights(db.session)
    return render_template(
        "outcomes/insights.html",
        figures=figures,
        chart=_chart(figures.matrix),
        movement=movement_table(figures.movement),
        categories=list(BarrierCategory),
        sectors=list(Sector),
        per_category=MEASURES_PER_CATEGORY,
        placeholder=ORGANISATION_PLACEHOLDER,
        min_organisations=MIN_ORGANISATIONS_PER_SECTOR,
        display=display,
        kinds=ColumnKind,
        today=clock.today(),
    )


def _is_identifiable() -> bool:
    """Only an explicit ``identifiable=1`` names clients; anything else is anonymised."""
    return request.args.get("identifiable") == "1"


def _file_stem(identifiable: bool) -> str:
    kind = "mit-organisationen" if identifiable else "anonym"
    return f"barrieren-einblicke-{clock.today().isoformat()}-{kind}"


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _actor() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.get("/insights/<slug>.csv")
@lead_required
def insights_csv(slug: str) -> Response:
    """One table of the export as CSV for German Excel; an unknown table is a 404 (and
    nothing is recorded). Audited, then committed."""
    identifiable = _is_identifiable()
    now = clock.now()
    with force_locale(EXPORT_LOCALE):
        table = table_by_slug(
            export_tables(export_data(db.session), identifiable=identifiable), slug
        )
        if table is None:
            abort(404)
        data = table_csv(table)
    record_export(db.session, actor=_actor(), identifiable=identifiable, file=slug, now=now)
    db.session.commit()
    return _attachment(data, CSV_MIMETYPE, f"{_file_stem(identifiable)}-{slug}.csv")


@bp.get("/insights/export.xlsx")
@lead_required
def insights_export() -> Response:
    """Every table of the export in one XLSX file, after an overview sheet that says
    whether the file is anonymised. Audited, then committed."""
    identifiable = _is_identifiable()
    now = clock.now()
    start, end = values("PROGRAMME_START", "PROGRAMME_END")
    with force_locale(EXPORT_LOCALE):
        title = (
            _(
                "DiFair Organisationsberatung – Barrieren-Einblicke "
                "(mit Organisationen, nicht anonym)"
            )
            if identifiable
            else _("DiFair Organisationsberatung – Barrieren-Einblicke (anonym)")
        )
        data = report_workbook(
            export_tables(export_data(db.session), identifiable=identifiable),
            title=title,
            period_start=start,
            period_end=end,
            created_at=now,
        )
    record_export(db.session, actor=_actor(), identifiable=identifiable, file=XLSX_FILE, now=now)
    db.session.commit()
    return _attachment(data, XLSX_MIMETYPE, f"{_file_stem(identifiable)}.xlsx")
