"""The report as people read it: the key figures (``figures``) as titled tables with
German headers and notes, and the charts drawn from them; the page, the print page and
the CSV and XLSX exports all show these."""

from __future__ import annotations

from caseflow.engagements.models import (
    ActivityKind,
    BarrierStatus,
    MilestoneStatus,
)
from caseflow.intake.models import ApplicationStatus
from caseflow.portfolio.charts import BarChart, horizontal_bars, stacked_bars
from caseflow.portfolio.figures import (
    ActivityTotals,
    ApplicationFigures,
    BarrierMatrix,
    EngagementFigures,
    ReportFigures,
)
from caseflow.portfolio.tables import Cell, Column, ColumnKind, ReportTable
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day

# Tables ------------------------------------------------------------------------------------

_TEXT = ColumnKind.TEXT
_INTEGER = ColumnKind.INTEGER


def _count_table(
    slug: str,
    title: str,
    sheet_title: str,
    first_header: str,
    counts: dict,  # type: ignore[type-arg]  (an enum with a label → int)
    note: str,
) -> ReportTable:
    return ReportTable(
        slug=slug,
        title=title,
        sheet_title=sheet_title,
        columns=(Column(first_header, _TEXT), Column(_("Anzahl"), _INTEGER)),
        rows=tuple((member.label, count) for member, count in counts.items()),
        totals=((_("Summe"), sum(counts.values())),),
        note=note,
    )


def _percent(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def report_tables(figures: ReportFigures) -> list[ReportTable]:
    """The report's tables, in page order, built from ``figures`` (labels in the current
    locale; call inside a request or with a forced locale)."""
    return [
        *_application_tables(figures.applications),
        *_engagement_tables(figures.engagements),
        *_milestone_tables(figures),
        _activity_table(figures.activities),
        _barrier_table(figures.barriers),
        *_follow_up_and_organisation_tables(figures),
    ]


def _application_tables(applications: ApplicationFigures) -> list[ReportTable]:
    submitted = _("Bewerbungen, die im Zeitraum eingegangen sind, mit ihrem heutigen Stand.")
    status = ApplicationStatus
    return [
        _count_table(
            "bewerbungen-status",
            _("Bewerbungen nach Status"),
            _("Bewerbungen nach Status"),
            _("Status"),
            applications.by_status,
            submitted,
        ),
        _count_table(
            "bewerbungen-bereich",
            _("Bewerbungen nach Bereich"),
            _("Bewerbungen nach Bereich"),
            _("Bereich"),
            applications.by_sector,
            submitted,
        ),
        _count_table(
            "bewerbungen-bezirk",
            _("Bewerbungen nach Bezirk"),
            _("Bewerbungen nach Bezirk"),
            _("Bezirk"),
            applications.by_district,
            submitted,
        ),
        ReportTable(
            slug="annahmequote",
            title=_("Annahmequote der Bewerbungen"),
            sheet_title=_("Annahmequote"),
            columns=(
                Column(_("Bewerbungen"), _TEXT),
                Column(status.ANGENOMMEN.label, _INTEGER),
                Column(status.ABGELEHNT.label, _INTEGER),
                Column(_("entschieden"), _INTEGER),
                Column(status.WARTELISTE.label, _INTEGER),
                Column(_("Annahmequote"), ColumnKind.PERCENT),
            ),
            rows=(
                (
                    _("im Zeitraum eingegangen"),
                    applications.by_status[status.ANGENOMMEN],
                    applications.by_status[status.ABGELEHNT],
                    applications.decided,
                    applications.by_status[status.WARTELISTE],
                    applications.acceptance_rate,
                ),
            ),
            note=_(
                "Angenommen geteilt durch entschieden (angenommen + abgelehnt), unter den im "
                "Zeitraum eingegangenen Bewerbungen. Die Warteliste zählt nicht als "
                "Entscheidung, weil diese Bewerbungen noch angenommen werden können; ohne "
                "Entscheidung steht „–“."
            ),
        ),
    ]


def _engagement_tables(engagements: EngagementFigures) -> list[ReportTable]:
    return [
        ReportTable(
            slug="prozessbegleitungen",
            title=_("Prozessbegleitungen im Zeitraum"),
            sheet_title=_("Prozessbegleitungen"),
            columns=(Column(_("Kennzahl"), _TEXT), Column(_("Anzahl"), _INTEGER)),
            rows=(
                (_("begonnen"), engagements.started),
                (_("aktiv an mindestens einem Tag"), engagements.active),
                (_("abgeschlossen"), engagements.completed),
                (_("abgebrochen"), engagements.cancelled),
            ),
            note=_(
                "Begonnen: Beginn im Zeitraum und tatsächlich gelaufen (nicht mehr geplant und "
                "nicht vor dem Beginn beendet; eine geplante Prozessbegleitung, die vor ihrem "
                "Beginn abgebrochen wurde, hat nie begonnen). Aktiv: begonnen und an "
                "mindestens einem Tag des Zeitraums gelaufen (bis zum tatsächlichen Ende, "
                "laufende und pausierte bis zum geplanten Ende oder heute, was später ist). "
                "Abgeschlossen und abgebrochen: tatsächliches Ende im Zeitraum, ob begonnen "
                "oder nicht."
            ),
        ),
        _count_table(
            "prozessbegleitungen-status",
            _("Prozessbegleitungen nach Status"),
            _("Prozessbegleitungen nach Status"),
            _("Status"),
            engagements.by_status,
            _(
                "Alle Prozessbegleitungen, deren Laufzeit den Zeitraum berührt (geplante nach "
                "ihren geplanten Daten, vor dem Beginn abgebrochene nach dem Tag des Abbruchs), "
                "mit ihrem heutigen Status."
            ),
        ),
        ReportTable(
            slug="laufzeit",
            title=_("Durchschnittliche Laufzeit in Monaten"),
            sheet_title=_("Laufzeit"),
            columns=(
                Column(_("Laufzeit"), _TEXT),
                Column(_("Prozessbegleitungen"), _INTEGER),
                Column(_("Monate im Durchschnitt"), ColumnKind.DECIMAL),
            ),
            rows=(
                (
                    _("geplant, aktuell (im Zeitraum begonnen)"),
                    len(engagements.planned_months),
                    engagements.average_planned_months,
                ),
                (
                    _("ursprünglich geplant (im Zeitraum begonnen)"),
                    len(engagements.baseline_months),
                    engagements.average_baseline_months,
                ),
                (
                    _("tatsächlich (im Zeitraum abgeschlossen)"),
                    len(engagements.actual_months),
                    engagements.average_actual_months,
                ),
            ),
            note=_(
                "Geplant, aktuell: Beginn bis zum heute geplanten Ende (nach Verlängerungen); "
                "ursprünglich geplant: Beginn bis zum zuerst geplanten Ende (vor "
                "Verlängerungen); beide für die im Zeitraum begonnenen. Tatsächlich: Beginn bis "
                "tatsächliches Ende der im Zeitraum abgeschlossenen (ohne abgebrochene). Ein "
                "Monat sind 30,44 Tage, beide Tage zählen mit."
            ),
        ),
    ]


def _milestone_tables(figures: ReportFigures) -> list[ReportTable]:
    punctuality = figures.punctuality
    milestones = figures.milestones
    return [
        ReportTable(
            slug="meilensteine-termintreue",
            title=_("Meilensteine: im Zeitraum erledigt, pünktlich oder verspätet"),
            sheet_title=_("Meilensteine Termintreue"),
            columns=(
                Column(_("gemessen am"), _TEXT),
                Column(_("pünktlich"), _INTEGER),
                Column(_("verspätet"), _INTEGER),
                Column(_("Summe"), _INTEGER),
                Column(_("Anteil pünktlich"), ColumnKind.PERCENT),
            ),
            rows=(
                (
                    _("aktuellen Termin"),
                    punctuality.on_time,
                    punctuality.late,
                    punctuality.total,
                    _percent(punctuality.on_time, punctuality.total),
                ),
                (
                    _("ursprünglichen Termin"),
                    punctuality.on_time_baseline,
                    punctuality.late_baseline,
                    punctuality.total,
                    _percent(punctuality.on_time_baseline, punctuality.total),
                ),
            ),
            note=_(
                "Meilensteine, die im Zeitraum erledigt wurden. Pünktlich: erledigt am oder vor "
                "dem Termin – einmal gemessen am aktuellen (ggf. verschobenen) Termin, einmal "
                "am ursprünglich geplanten."
            ),
        ),
        ReportTable(
            slug="meilensteine-stand",
            title=_("Meilensteine nach Stand am %(day)s", day=format_day(figures.today)),
            sheet_title=_("Meilensteine nach Stand"),
            # The overdue ones are part of the open ones: a column of their own, so that
            # summing the "Anzahl" column never counts them twice.
            columns=(
                Column(_("Stand"), _TEXT),
                Column(_("Anzahl"), _INTEGER),
                Column(_("davon überfällig"), _INTEGER),
            ),
            rows=(
                (MilestoneStatus.ERLEDIGT.label, milestones.done, None),
                (MilestoneStatus.OFFEN.label, milestones.open, milestones.overdue),
                (MilestoneStatus.ENTFALLEN.label, milestones.dropped, None),
            ),
            totals=((_("Summe"), milestones.total, milestones.overdue),),
            note=_(
                "Meilensteine mit aktuellem Termin im Zeitraum, mit ihrem heutigen Stand. "
                "„davon überfällig“ ist ein Teil der offenen (offen und vor heute fällig) und "
                "steht deshalb in einer eigenen Spalte; die Summe der Spalte „Anzahl“ zählt "
                "jeden Meilenstein einmal."
            ),
        ),
    ]


def _follow_up_and_organisation_tables(figures: ReportFigures) -> list[ReportTable]:
    return [
        _count_table(
            "wiedervorlagen",
            _("Erledigte Wiedervorlagen nach Art"),
            _("Wiedervorlagen"),
            _("Art"),
            figures.follow_ups,
            _("Wiedervorlagen, die im Zeitraum als erledigt abgeschlossen wurden."),
        ),
        _count_table(
            "organisationen-bereich",
            _("Organisationen nach Bereich"),
            _("Organisationen nach Bereich"),
            _("Bereich"),
            figures.organisations,
            _("Alle Organisationen im Verzeichnis, unabhängig vom Zeitraum."),
        ),
    ]


def _activity_table(activities: dict[ActivityKind, ActivityTotals]) -> ReportTable:
    rows: list[tuple[Cell, ...]] = [
        (kind.label, totals.count, totals.hours, totals.participants)
        for kind, totals in activities.items()
    ]
    values = activities.values()
    return ReportTable(
        slug="aktivitaeten",
        title=_("Aktivitäten nach Art"),
        sheet_title=_("Aktivitäten"),
        columns=(
            Column(_("Art"), _TEXT),
            Column(_("Anzahl"), _INTEGER),
            Column(_("Stunden"), ColumnKind.DECIMAL),
            Column(_("Teilnehmende"), _INTEGER),
        ),
        rows=tuple(rows),
        totals=(
            (
                _("Summe"),
                sum(totals.count for totals in values),
                sum(totals.minutes for totals in values) / 60,
                sum(totals.participants for totals in values),
            ),
        ),
        note=_(
            "Aktivitäten, die im Zeitraum stattfanden. Stunden: Summe der Dauer; "
            "Teilnehmende: Summe der Teilnehmendenzahlen (ohne Angabe zählt nichts)."
        ),
    )


def _barrier_table(matrix: BarrierMatrix) -> ReportTable:
    statuses = list(BarrierStatus)
    return ReportTable(
        slug="zugangsbarrieren",
        title=_("Zugangsbarrieren nach Kategorie und Status"),
        sheet_title=_("Zugangsbarrieren"),
        columns=(
            Column(_("Kategorie"), _TEXT),
            *(Column(status.label, _INTEGER) for status in statuses),
            Column(_("Summe"), _INTEGER),
        ),
        rows=tuple(
            (
                category.label,
                *(by_status[status] for status in statuses),
                matrix.row_total(category),
            )
            for category, by_status in matrix.counts.items()
        ),
        totals=(
            (
                _("Summe"),
                *(matrix.column_total(status) for status in statuses),
                matrix.total,
            ),
        ),
        note=_("Zugangsbarrieren, die im Zeitraum erkannt wurden, mit ihrem heutigen Status."),
    )


def report_charts(figures: ReportFigures) -> dict[str, BarChart]:
    """The charts beside some tables, by the slug of the table with the same data."""
    by_status = figures.applications.by_status
    punctuality = figures.punctuality
    barrier_statuses = list(BarrierStatus)
    return {
        "bewerbungen-status": horizontal_bars(
            _("Bewerbungen nach Status"),
            [status.label for status in by_status],
            list(by_status.values()),
        ),
        "meilensteine-termintreue": stacked_bars(
            _("Erledigte Meilensteine: pünktlich und verspätet"),
            [_("aktueller Termin"), _("ursprünglicher Termin")],
            [_("pünktlich"), _("verspätet")],
            [
                [punctuality.on_time, punctuality.late],
                [punctuality.on_time_baseline, punctuality.late_baseline],
            ],
        ),
        "zugangsbarrieren": stacked_bars(
            _("Zugangsbarrieren nach Kategorie, gestapelt nach Status"),
            [category.label for category in figures.barriers.counts],
            [status.label for status in barrier_statuses],
            [
                [by_status[status] for status in barrier_statuses]
                for by_status in figures.barriers.counts.values()
            ],
        ),
    }
