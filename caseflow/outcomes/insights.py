"""Barrier insights across clients (issue 9): what the programme learnt about access barriers
in all engagements, for the project leads, the training team (measure 2) and the dialogue
rounds with migrant self-organisations (measure 1).

- **Barriers by category and sector**: every barrier of every engagement, whatever the
  engagement's status (a barrier found is a fact even when the engagement was cancelled),
  counted per category × the organisation's sector, with how many are removed (``abgebaut``).
- **Measures that worked**: per category the ``measure_taken`` of the most recently removed
  barriers, with how many removed barriers describe a measure at all.
- **Self-assessment movement**: per category the mean Selbstcheck score before and after
  over the completed engagements whose two rounds both have a submitted response; the
  engagements left out are counted, not hidden.
- **The export**: the same figures as tables for CSV and XLSX. Anonymised unless the lead
  asks otherwise: no organisation, district, engagement or date, and every organisation
  name of the export replaced by ``[Organisation]`` inside the free texts.

Each loader runs a fixed number of SQL statements whatever the number of engagements,
barriers, rounds or answers. Exporting is recorded in the audit trail (``record_export``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from statistics import fmean

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, subqueryload

from caseflow.audit.services import record
from caseflow.engagements.models import (
    Barrier,
    BarrierCategory,
    BarrierStatus,
    Engagement,
    EngagementStatus,
)
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation
from caseflow.outcomes.models import (
    RoundKind,
    SelfcheckResponse,
    SelfcheckRound,
    SelfcheckRoundStatement,
)
from caseflow.outcomes.rules import Comparison
from caseflow.outcomes.services import comparison_of
from caseflow.portfolio.tables import Column, ColumnKind, ReportTable
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _

# How many measures the page shows per category.
MEASURES_PER_CATEGORY = 5
# What an organisation's name becomes inside the free texts of the anonymised export.
ORGANISATION_PLACEHOLDER = "[Organisation]"
EXPORT_OBJECT_TYPE = "insights"
# In the anonymised export a row names its sector only when at least this many organisations
# of that sector have barriers in it: one or two would be told apart by their sector alone.
MIN_ORGANISATIONS_PER_SECTOR = 3


# --- barriers by category and sector ----------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Barriers found and how many of them are removed."""

    found: int = 0
    removed: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(found=self.found + other.found, removed=self.removed + other.removed)

    @property
    def removed_share(self) -> float | None:
        """The removed part of the barriers found (0.5 for half); None when none was found."""
        return self.removed / self.found if self.found else None


def _sum(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total += tally
    return total


@dataclass(frozen=True)
class BarrierMatrix:
    """Barriers per category × sector; every category and every sector is present."""

    cells: Mapping[BarrierCategory, Mapping[Sector, Tally]]

    def cell(self, category: BarrierCategory, sector: Sector) -> Tally:
        return self.cells[category][sector]

    def category_total(self, category: BarrierCategory) -> Tally:
        """One category across all sectors."""
        return _sum(self.cells[category].values())

    def sector_total(self, sector: Sector) -> Tally:
        """One sector across all categories."""
        return _sum(row[sector] for row in self.cells.values())

    @property
    def total(self) -> Tally:
        return _sum(self.category_total(category) for category in self.cells)


def barrier_matrix(session: Session) -> BarrierMatrix:
    """Every barrier of every engagement per category × its organisation's sector, with the
    removed ones; one statement."""
    found: dict[BarrierCategory, dict[Sector, Tally]] = {
        category: dict.fromkeys(Sector, Tally()) for category in BarrierCategory
    }
    removed = func.sum(case((Barrier.status == BarrierStatus.ABGEBAUT, 1), else_=0))
    statement = (
        select(Barrier.category, Organisation.sector, func.count(Barrier.id), removed)
        .join(Engagement, Barrier.engagement_id == Engagement.id)
        .join(Organisation, Engagement.organisation_id == Organisation.id)
        .group_by(Barrier.category, Organisation.sector)
    )
    for category, sector, count, removed_count in session.execute(statement):
        found[category][sector] = Tally(found=count, removed=int(removed_count or 0))
    return BarrierMatrix(cells=found)


# --- measures that worked ------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """What was done about one removed barrier, and where (for the leads' page)."""

    text: str
    resolved_on: date
    sector: Sector
    organisation_name: str
    engagement_id: int


@dataclass(frozen=True)
class CategoryMeasures:
    """The most recent measures of one category and how many removed barriers of the
    category describe a measure."""

    category: BarrierCategory
    measures: tuple[Measure, ...]
    total: int


def _has_measure() -> ColumnElement[bool]:
    return func.length(func.trim(func.coalesce(Barrier.measure_taken, ""))) > 0


def typical_measures(
    session: Session, *, limit: int = MEASURES_PER_CATEGORY
) -> list[CategoryMeasures]:
    """Per category (all, in their order) the measures of up to ``limit`` removed barriers
    with a measure text, most recently removed first (ties: the later recorded first), and
    the number of all such barriers; one statement (window functions)."""
    order = (Barrier.resolved_on.desc(), Barrier.id.desc())
    ranked = (
        select(
            Barrier.category.label("category"),
            Barrier.measure_taken.label("text"),
            Barrier.resolved_on.label("resolved_on"),
            Barrier.id.label("barrier_id"),
            Organisation.sector.label("sector"),
            Organisation.name.label("organisation_name"),
            Engagement.id.label("engagement_id"),
            func.row_number().over(partition_by=Barrier.category, order_by=order).label("rank"),
            func.count().over(partition_by=Barrier.category).label("total"),
        )
        .join(Engagement, Barrier.engagement_id == Engagement.id)
        .join(Organisation, Engagement.organisation_id == Organisation.id)
        .where(Barrier.status == BarrierStatus.ABGEBAUT, _has_measure())
        .subquery()
    )
    statement = select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.rank)
    measures: dict[BarrierCategory, list[Measure]] = {category: [] for category in BarrierCategory}
    totals = dict.fromkeys(BarrierCategory, 0)
    for row in session.execute(statement):
        category = BarrierCategory(row.category)
        totals[category] = row.total
        measures[category].append(
            Measure(
                text=row.text.strip(),
                resolved_on=row.resolved_on,
                sector=Sector(row.sector),
                organisation_name=row.organisation_name,
                engagement_id=row.engagement_id,
            )
        )
    return [
        CategoryMeasures(category=category, measures=tuple(found), total=totals[category])
        for category, found in measures.items()
    ]


# --- self-assessment movement ---------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    """Mean scores (0–100) before and after over ``engagements`` engagements that have both;
    None for both when there is none."""

    before: float | None
    after: float | None
    engagements: int

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class CategoryMovement(Movement):
    category: BarrierCategory = field(kw_only=True)


@dataclass(frozen=True)
class MovementSummary:
    """The movement per category (every category, in order) and over all categories, with
    how many completed engagements there are and how many of them could be compared."""

    categories: tuple[CategoryMovement, ...]
    overall: Movement
    completed: int
    compared: int

    @property
    def left_out(self) -> int:
        """Completed engagements without two rounds with a submitted response each."""
        return self.completed - self.compared


def _mean_movement(pairs: Sequence[tuple[float, float]]) -> tuple[float | None, float | None]:
    if not pairs:
        return None, None
    return fmean(before for before, _after in pairs), fmean(after for _before, after in pairs)


def summarise_movement(comparisons: Sequence[Comparison], *, completed: int) -> MovementSummary:
    """Combine one comparison per compared engagement: per category the means over the
    engagements that scored the category in both rounds (so that the mean change is the
    difference of the means), and the same for the overall scores."""
    by_category: dict[BarrierCategory, list[tuple[float, float]]] = {
        category: [] for category in BarrierCategory
    }
    overall: list[tuple[float, float]] = []
    for comparison in comparisons:
        for item in comparison.categories:
            if item.before is not None and item.after is not None:
                by_category[item.category].append((item.before, item.after))
        if comparison.overall.before is not None and comparison.overall.after is not None:
            overall.append((comparison.overall.before, comparison.overall.after))
    categories = tuple(
        CategoryMovement(*_mean_movement(pairs), len(pairs), category=category)
        for category, pairs in by_category.items()
    )
    return MovementSummary(
        categories=categories,
        overall=Movement(*_mean_movement(overall), len(overall)),
        completed=completed,
        compared=len(comparisons),
    )


def completed_rounds(session: Session) -> dict[int, dict[RoundKind, SelfcheckRound]]:
    """The Selbstcheck rounds of every completed engagement, by engagement id and kind, each
    with its statements, responses and answers, as ``services.rounds_of`` gives them for one
    engagement; four statements however many engagements, rounds and answers (the eager
    loads repeat the rounds' query as a subquery rather than listing ids in batches)."""
    statement = (
        select(SelfcheckRound)
        .join(Engagement, SelfcheckRound.engagement_id == Engagement.id)
        .where(Engagement.status == EngagementStatus.ABGESCHLOSSEN)
        .order_by(SelfcheckRound.id)
        .options(
            subqueryload(SelfcheckRound.statements).joinedload(SelfcheckRoundStatement.statement),
            subqueryload(SelfcheckRound.responses).subqueryload(SelfcheckResponse.answers),
        )
    )
    rounds: dict[int, dict[RoundKind, SelfcheckRound]] = {}
    for round_ in session.scalars(statement):
        rounds.setdefault(round_.engagement_id, {})[round_.kind] = round_
    return rounds


def self_assessment_movement(session: Session) -> MovementSummary:
    """The movement across all completed engagements (``summarise_movement``); five
    statements."""
    completed = session.scalar(
        select(func.count())
        .select_from(Engagement)
        .where(Engagement.status == EngagementStatus.ABGESCHLOSSEN)
    )
    comparisons = [
        comparison
        for _engagement_id, rounds in sorted(completed_rounds(session).items())
        if (comparison := comparison_of(rounds)) is not None
    ]
    return summarise_movement(comparisons, completed=completed or 0)


# --- the page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Insights:
    """Everything the insights page shows."""

    matrix: BarrierMatrix
    measures: list[CategoryMeasures]
    movement: MovementSummary


def page_insights(session: Session) -> Insights:
    """The page's figures; seven statements."""
    return Insights(
        matrix=barrier_matrix(session),
        measures=typical_measures(session),
        movement=self_assessment_movement(session),
    )


# --- the export ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BarrierRow:
    """One barrier as the export lists it (the organisation and district only when the
    lead chooses an identifiable export)."""

    category: BarrierCategory
    sector: Sector
    status: BarrierStatus
    measure_taken: str | None
    organisation_name: str
    district: District


def barrier_rows(session: Session) -> list[BarrierRow]:
    """Every barrier of every engagement with its organisation (in no particular order:
    ``export_rows`` prepares them for a file); one statement."""
    statement = (
        select(
            Barrier.category,
            Organisation.sector,
            Barrier.status,
            Barrier.measure_taken,
            Organisation.name,
            Organisation.district,
        )
        .join(Engagement, Barrier.engagement_id == Engagement.id)
        .join(Organisation, Engagement.organisation_id == Organisation.id)
    )
    return [
        BarrierRow(
            category=category,
            sector=sector,
            status=status,
            measure_taken=(measure or "").strip() or None,
            organisation_name=name,
            district=district,
        )
        for category, sector, status, measure, name, district in session.execute(statement)
    ]


def export_rows(rows: Sequence[BarrierRow], *, identifiable: bool) -> list[BarrierRow]:
    """``rows`` as the export writes them: unless ``identifiable``, with the name of every
    organisation among ``rows`` replaced in every measure text (``redact_names``); ordered
    by category, sector, status and the measure text as written (then organisation), never
    by engagement or date, so that the order of an anonymised file does not group one
    client's barriers."""
    if not identifiable:
        names = {row.organisation_name for row in rows}
        rows = [
            replace(row, measure_taken=redact_names(row.measure_taken, names))
            if row.measure_taken is not None
            else row
            for row in rows
        ]
    categories, sectors, statuses = list(BarrierCategory), list(Sector), list(BarrierStatus)
    return sorted(
        rows,
        key=lambda row: (
            categories.index(row.category),
            sectors.index(row.sector),
            statuses.index(row.status),
            (row.measure_taken or "").casefold(),
            row.organisation_name.casefold() if identifiable else "",
        ),
    )


def redact_names(text: str, names: Iterable[str]) -> str:
    """``text`` with every occurrence of each of ``names`` replaced by
    ``ORGANISATION_PLACEHOLDER``: ignoring case, any run of white space matching any other
    (a name broken over two lines), longer names first (so that "Jugendamt Mitte" goes as a
    whole before a shorter "Jugendamt" could split it)."""
    patterns = sorted(
        {r"\s+".join(re.escape(word) for word in name.split()) for name in names if name.strip()},
        key=len,
        reverse=True,
    )
    if not patterns:
        return text
    return re.sub("|".join(patterns), ORGANISATION_PLACEHOLDER, text, flags=re.IGNORECASE)


@dataclass(frozen=True)
class ExportData:
    """What the export files hold."""

    matrix: BarrierMatrix
    rows: list[BarrierRow]
    movement: MovementSummary


def export_data(session: Session) -> ExportData:
    """The export's figures; seven statements."""
    return ExportData(
        matrix=barrier_matrix(session),
        rows=barrier_rows(session),
        movement=self_assessment_movement(session),
    )


def _sector_columns(sector: Sector) -> tuple[Column, Column]:
    return (
        Column(_("%(sector)s: erkannt", sector=sector.label)),
        Column(_("%(sector)s: davon abgebaut", sector=sector.label)),
    )


def _matrix_cells(tallies: Sequence[Tally], total: Tally) -> tuple[int | float | None, ...]:
    cells: list[int | float | None] = []
    for tally in tallies:
        cells += [tally.found, tally.removed]
    return (*cells, total.found, total.removed, total.removed_share)


def matrix_table(matrix: BarrierMatrix) -> ReportTable:
    """Barriers per category × sector as a table: per sector found and removed, then the
    totals and the removed share (labels in the current locale)."""
    columns = [Column(_("Kategorie"), ColumnKind.TEXT)]
    for sector in Sector:
        columns += _sector_columns(sector)
    columns += [
        Column(_("Summe erkannt")),
        Column(_("Summe abgebaut")),
        Column(_("Anteil abgebaut"), ColumnKind.PERCENT),
    ]
    rows = tuple(
        (
            category.label,
            *_matrix_cells(
                [matrix.cell(category, sector) for sector in Sector],
                matrix.category_total(category),
            ),
        )
        for category in BarrierCategory
    )
    totals = (
        (
            _("Summe"),
            *_matrix_cells([matrix.sector_total(sector) for sector in Sector], matrix.total),
        ),
    )
    return ReportTable(
        slug="barrieren-bereiche",
        title=_("Zugangsbarrieren nach Kategorie und Bereich"),
        sheet_title=_("Kategorie und Bereich"),
        columns=tuple(columns),
        rows=rows,
        totals=totals,
        note=_(
            "Alle erfassten Zugangsbarrieren aller Prozessbegleitungen, auch laufender und "
            "abgebrochener; Bereich der Organisation; „abgebaut“: heutiger Status abgebaut."
        ),
    )


def _sectors_shown(rows: Sequence[BarrierRow]) -> set[Sector]:
    """The sectors with at least ``MIN_ORGANISATIONS_PER_SECTOR`` organisations in ``rows``."""
    organisations: dict[Sector, set[str]] = {}
    for row in rows:
        organisations.setdefault(row.sector, set()).add(row.organisation_name)
    return {
        sector
        for sector, names in organisations.items()
        if len(names) >= MIN_ORGANISATIONS_PER_SECTOR
    }


def rows_table(rows: Sequence[BarrierRow], *, identifiable: bool) -> ReportTable:
    """One row per barrier (``export_rows``): category, sector, status and the measure
    taken; with ``identifiable`` also the organisation and its district, else every
    organisation name of the export replaced in the measure texts, and the sectors with
    fewer than ``MIN_ORGANISATIONS_PER_SECTOR`` organisations named together."""
    columns = [
        Column(_("Kategorie"), ColumnKind.TEXT),
        Column(_("Bereich"), ColumnKind.TEXT),
        Column(_("Status"), ColumnKind.TEXT),
        Column(_("Ergriffene Maßnahme"), ColumnKind.TEXT),
    ]
    if identifiable:
        columns += [
            Column(_("Organisation"), ColumnKind.TEXT),
            Column(_("Bezirk"), ColumnKind.TEXT),
        ]

    shown = set(Sector) if identifiable else _sectors_shown(rows)
    few = _(
        "weitere Bereiche (weniger als %(count)d Organisationen)",
        count=MIN_ORGANISATIONS_PER_SECTOR,
    )

    def cells(row: BarrierRow) -> tuple[str | None, ...]:
        sector = row.sector.label if row.sector in shown else few
        base = (row.category.label, sector, row.status.label, row.measure_taken)
        return (*base, row.organisation_name, row.district.label) if identifiable else base

    note = _("Eine Zeile je erfasster Zugangsbarriere, geordnet nach Kategorie und Bereich.")
    if identifiable:
        note += " " + _("Mit Organisation und Bezirk: nicht anonym.")
    else:
        note += " " + _(
            "Anonym: ohne Organisation, Bezirk und Datum; Namen der Organisationen sind in den "
            "Maßnahmen durch „%(placeholder)s“ ersetzt (in der Schreibweise des "
            "Organisationsregisters); Bereiche mit weniger als %(count)d Organisationen sind "
            "zusammengefasst. Bitte prüfen Sie die Freitexte vor der Weitergabe auf "
            "andere Hinweise, etwa Namen von Personen.",
            placeholder=ORGANISATION_PLACEHOLDER,
            count=MIN_ORGANISATIONS_PER_SECTOR,
        )
    return ReportTable(
        slug="massnahmen",
        title=_("Zugangsbarrieren und ergriffene Maßnahmen"),
        sheet_title=_("Barrieren und Maßnahmen"),
        columns=tuple(columns),
        rows=tuple(cells(row) for row in export_rows(rows, identifiable=identifiable)),
        note=note,
    )


def movement_table(movement: MovementSummary) -> ReportTable:
    """The self-assessment movement per category and over all categories."""
    decimal = ColumnKind.DECIMAL
    columns = (
        Column(_("Kategorie"), ColumnKind.TEXT),
        Column(_("Zu Beginn (0–100)"), decimal),
        Column(_("Zum Abschluss (0–100)"), decimal),
        Column(_("Veränderung (Punkte)"), decimal),
        Column(_("Prozessbegleitungen")),
    )
    rows = tuple(
        (item.category.label, item.before, item.after, item.change, item.engagements)
        for item in movement.categories
    )
    overall = movement.overall
    return ReportTable(
        slug="selbstcheck",
        title=_("Selbstcheck: Veränderung nach Kategorie"),
        sheet_title=_("Selbstcheck"),
        columns=columns,
        rows=rows,
        totals=(
            (
                _("Alle Kategorien"),
                overall.before,
                overall.after,
                overall.change,
                overall.engagements,
            ),
        ),
        note=_(
            "Mittelwerte über die abgeschlossenen Prozessbegleitungen, deren Selbstcheck zu "
            "Beginn und zum Abschluss je mindestens eine abgesendete Antwort hat (%(compared)s "
            "von %(completed)s; nicht gezählt: %(left_out)s). Je Kategorie zählen die "
            "Prozessbegleitungen, in denen sie in beiden Runden bewertet wurde. 0: trifft "
            "nicht zu, 100: trifft voll zu.",
            compared=movement.compared,
            completed=movement.completed,
            left_out=movement.left_out,
        ),
    )


def export_tables(data: ExportData, *, identifiable: bool) -> list[ReportTable]:
    """The export's tables in file order (labels in the current locale)."""
    return [
        matrix_table(data.matrix),
        rows_table(data.rows, identifiable=identifiable),
        movement_table(data.movement),
    ]


def record_export(
    session: Session, *, actor: StaffMember, identifiable: bool, file: str, now: datetime
) -> None:
    """Record that ``actor`` exports the insights: one ``insights.exported`` event (no
    object id) saying whether the export identifies clients and which file it is; flushed.
    The caller commits once the file is built."""
    record(
        session,
        actor=actor,
        action="insights.exported",
        object_type=EXPORT_OBJECT_TYPE,
        object_id=None,
        changes={"identifiable": identifiable, "file": file},
        at=now,
    )
    session.flush()
