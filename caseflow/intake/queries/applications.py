"""Read-only queries behind the application pages: the list, one application, counts,
possible duplicates and the lookup by status token."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Float, Select, cast, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.audit.queries import history_of
from caseflow.intake.models import (
    REVIEW_CRITERIA,
    Application,
    ApplicationReview,
    ApplicationRound,
    ApplicationStatus,
)
from caseflow.intake.tokens import hash_token, is_well_formed
from caseflow.organisations.choices import District, Sector
from caseflow.staff.identity import name_key, normalise_email
from caseflow.translating import lazy_gettext as _l

# Applications nobody has decided on yet and the applicant has not withdrawn.
OPEN_STATUSES = (
    ApplicationStatus.EINGEGANGEN,
    ApplicationStatus.IN_PRUEFUNG,
    ApplicationStatus.VORGESPRAECH,
)

# Two applications this close in time (either way) with the same organisation name or
# contact email may be the same request twice.
DUPLICATE_WINDOW = relativedelta(months=12)


class ApplicationSort(enum.StrEnum):
    """The orders of the application list (the ``sort`` query parameter)."""

    RECEIVED = "received"  # newest first, the default
    RECEIVED_ASC = "received_asc"  # oldest first
    SCORE = "score"  # best average review first, unreviewed last
    AGE = "age"  # open applications first, the longest waiting first
    NAME = "name"  # organisation A–Z
    REFERENCE = "reference"  # DF-2024-0001, DF-2024-0002, …, DF-2025-0001

    @property
    def label(self) -> str:
        return str(APPLICATION_SORT_LABELS[self])


APPLICATION_SORT_LABELS = {
    ApplicationSort.RECEIVED: _l("Eingang, neueste zuerst"),
    ApplicationSort.RECEIVED_ASC: _l("Eingang, älteste zuerst"),
    ApplicationSort.SCORE: _l("Ø Bewertung, beste zuerst"),
    ApplicationSort.AGE: _l("Wartezeit, älteste offene zuerst"),
    ApplicationSort.NAME: _l("Organisation A–Z"),
    ApplicationSort.REFERENCE: _l("Kennung"),
}


@dataclass(frozen=True)
class ApplicationRow:
    """One application of a list, with its review figures."""

    application: Application
    average_score: float | None
    review_count: int

    def age(self, today: date) -> ApplicationAge:
        """How long the application has waited (see ``application_age``)."""
        return application_age(self.application, today)


class AgeBasis(enum.StrEnum):
    """What an application's age counts up to."""

    TODAY = "today"  # still open: days since submission until today
    DECISION = "decision"  # decided: days from submission to the decision
    WITHDRAWAL = "withdrawal"  # withdrawn: days from submission to the withdrawal


@dataclass(frozen=True)
class ApplicationAge:
    """Days an application waited, and up to what."""

    days: int
    basis: AgeBasis


def application_age(application: Application, today: date) -> ApplicationAge:
    """Days since submission as of ``today`` (calendar days in the programme's time zone);
    for a decided or withdrawn application the days it took until the decision or the
    withdrawal, which no longer grow."""
    submitted_on = clock.local(application.submitted_at).date()
    if application.withdrawn_at is not None:
        end_on, basis = clock.local(application.withdrawn_at).date(), AgeBasis.WITHDRAWAL
    elif application.decided_at is not None:
        end_on, basis = clock.local(application.decided_at).date(), AgeBasis.DECISION
    else:
        end_on, basis = today, AgeBasis.TODAY
    return ApplicationAge(days=(end_on - submitted_on).days, basis=basis)


@dataclass(frozen=True)
class DuplicateHint:
    """Another application that may be the same request (see ``duplicates_for``)."""

    other_id: int
    other_reference: str
    same_name: bool
    same_email: bool


@dataclass(frozen=True)
class ApplicationDetail:
    """Everything the application page shows, loaded up front."""

    application: Application
    reviews: list[ApplicationReview]
    history: list[AuditEvent]

    @property
    def average_score(self) -> float | None:
        """The mean of the reviews' averages, or None without reviews."""
        if not self.reviews:
            return None
        return sum(review.average for review in self.reviews) / len(self.reviews)

    def criterion_average(self, column: str) -> float | None:
        """The mean score of all reviews on one criterion (a ``REVIEW_CRITERIA`` key)."""
        if not self.reviews:
            return None
        return sum(getattr(review, column) for review in self.reviews) / len(self.reviews)


def list_rounds(session: Session) -> list[ApplicationRound]:
    """Every application round, newest first."""
    return list(
        session.scalars(
            select(ApplicationRound).order_by(
                ApplicationRound.opens_at.desc(), ApplicationRound.id.desc()
            )
        )
    )


def _conditions(
    *,
    statuses: Collection[ApplicationStatus] | None = None,
    round_id: int | None = None,
    organisation_id: int | None = None,
    sector: Sector | None = None,
    district: District | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the application filters; the dates are whole days in the
    programme's time zone, both inclusive."""
    conditions: list[ColumnElement[bool]] = []
    if statuses is not None:
        conditions.append(Application.status.in_(list(statuses)))
    if round_id is not None:
        conditions.append(Application.round_id == round_id)
    if organisation_id is not None:
        conditions.append(Application.organisation_id == organisation_id)
    if sector is not None:
        conditions.append(Application.sector == sector)
    if district is not None:
        conditions.append(Application.district == district)
    if received_from is not None:
        conditions.append(Application.submitted_at >= clock.start_of_day(received_from))
    if received_to is not None:
        next_day = clock.start_of_day(received_to + timedelta(days=1))
        conditions.append(Application.submitted_at < next_day)
    return conditions


def _is_open(row: ApplicationRow) -> bool:
    return row.application.status in OPEN_STATUSES


# Sort keys applied to rows that are already newest first; Python's sort is stable, so ties
# stay newest first.
_SORT_KEYS: dict[ApplicationSort, Callable[[ApplicationRow], Any]] = {
    ApplicationSort.SCORE: lambda row: (row.average_score is None, -(row.average_score or 0)),
    ApplicationSort.AGE: lambda row: (
        not _is_open(row),
        row.application.submitted_at,
        row.application.id,
    ),
    ApplicationSort.NAME: lambda row: name_key(row.application.organisation_name),
    ApplicationSort.REFERENCE: lambda row: (
        row.application.reference_year,
        row.application.reference_number,
    ),
}


def list_applications(
    session: Session,
    *,
    statuses: Collection[ApplicationStatus] | None = None,
    round_id: int | None = None,
    organisation_id: int | None = None,
    sector: Sector | None = None,
    district: District | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
    sort: ApplicationSort = ApplicationSort.RECEIVED,
) -> list[ApplicationRow]:
    """Applications with round, average review score and number of reviews, newest first
    unless ``sort`` says otherwise.

    A review's score is the mean of its four criteria; the application's average is the mean
    of its reviews' scores. ``received_from`` and ``received_to`` are days in the programme's
    time zone, both inclusive. One statement.

    Orders other than the default are applied in Python to the loaded rows (the list has no
    paging): so organisation names sort the same on SQLite and PostgreSQL, accents and case
    ignored ("Ärztehaus" next to "Arzt"), and unreviewed applications come last everywhere.
    """
    review_score = sum(
        (getattr(ApplicationReview, column) for column in REVIEW_CRITERIA),
        start=cast(0, Float),
    ) / len(REVIEW_CRITERIA)
    scores = (
        select(
            ApplicationReview.application_id.label("application_id"),
            func.count(ApplicationReview.id).label("review_count"),
            func.avg(review_score).label("average_score"),
        )
        .group_by(ApplicationReview.application_id)
        .subquery()
    )
    statement = (
        select(Application, scores.c.average_score, func.coalesce(scores.c.review_count, 0))
        .outerjoin(scores, scores.c.application_id == Application.id)
        .options(joinedload(Application.round))
        .where(
            *_conditions(
                statuses=statuses,
                round_id=round_id,
                organisation_id=organisation_id,
                sector=sector,
                district=district,
                received_from=received_from,
                received_to=received_to,
            )
        )
        .order_by(Application.submitted_at.desc(), Application.id.desc())
    )
    rows = [
        ApplicationRow(
            application=application,
            average_score=float(average) if average is not None else None,
            review_count=count,
        )
        for application, average, count in session.execute(statement)
    ]
    if sort is ApplicationSort.RECEIVED_ASC:
        rows.reverse()
    elif sort in _SORT_KEYS:
        rows.sort(key=_SORT_KEYS[sort])
    return rows


def application_detail(session: Session, application_id: int) -> ApplicationDetail | None:
    """The application page's data, or None when there is no such application."""
    application = session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .options(
            joinedload(Application.round),
            joinedload(Application.decided_by),
            joinedload(Application.organisation),
            joinedload(Application.engagement),
            selectinload(Application.reviews).joinedload(ApplicationReview.reviewer),
        )
    )
    if application is None:
        return None
    reviews = sorted(application.reviews, key=lambda review: (review.created_at, review.id))
    return ApplicationDetail(
        application=application,
        reviews=reviews,
        history=history_of(session, "application", application_id),
    )


def application_counts_by_status(
    session: Session,
    *,
    round_id: int | None = None,
    organisation_id: int | None = None,
    sector: Sector | None = None,
    district: District | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
) -> dict[ApplicationStatus, int]:
    """How many applications are in each status (every status present, zero included),
    among those the other filters of ``list_applications`` select. One statement."""
    counts = dict.fromkeys(ApplicationStatus, 0)
    statement: Select[tuple[ApplicationStatus, int]] = (
        select(Application.status, func.count())
        .where(
            *_conditions(
                round_id=round_id,
                organisation_id=organisation_id,
                sector=sector,
                district=district,
                received_from=received_from,
                received_to=received_to,
            )
        )
        .group_by(Application.status)
    )
    for status, count in session.execute(statement):
        counts[status] = count
    return counts


def _within_window(first: datetime, second: datetime) -> bool:
    earlier, later = sorted((clock.local(first).date(), clock.local(second).date()))
    return later <= earlier + DUPLICATE_WINDOW


def duplicates_for(
    session: Session, applications: Sequence[Application]
) -> dict[int, list[DuplicateHint]]:
    """Possible duplicates of each of ``applications``, by application id.

    Another application is a possible duplicate when it has the same organisation name
    (case, spacing and accents ignored: ``name_key``) or the same contact email (case
    ignored), and the two were submitted within 12 months of each other (calendar days in the
    programme's time zone; exactly 12 months apart still counts). Anonymised applications
    never match. Every given application has an entry (an empty list when nothing matches);
    hints are ordered by reference.

    One statement, however many applications are given: the candidates are all applications
    submitted from 12 months before the first to 12 months after the last of them; names
    and emails are compared in Python.
    """
    found: dict[int, list[DuplicateHint]] = {application.id: [] for application in applications}
    subjects = [application for application in applications if application.anonymised_at is None]
    if not subjects:
        return found
    first_on = min(clock.local(application.submitted_at).date() for application in subjects)
    last_on = max(clock.local(application.submitted_at).date() for application in subjects)
    candidates = session.execute(
        select(
            Application.id,
            Application.reference,
            Application.organisation_name,
            Application.contact_email,
            Application.submitted_at,
            Application.reference_year,
            Application.reference_number,
        ).where(
            Application.anonymised_at.is_(None),
            Application.submitted_at >= clock.start_of_day(first_on - DUPLICATE_WINDOW),
            Application.submitted_at
            < clock.start_of_day(last_on + DUPLICATE_WINDOW + timedelta(days=1)),
        )
    ).all()
    by_name: defaultdict[str, list[Any]] = defaultdict(list)
    by_email: defaultdict[str, list[Any]] = defaultdict(list)
    for candidate in candidates:
        if key := name_key(candidate.organisation_name):
            by_name[key].append(candidate)
        if email := normalise_email(candidate.contact_email):
            by_email[email].append(candidate)
    for application in subjects:
        key = name_key(application.organisation_name)
        email = normalise_email(application.contact_email)
        same_name = {row.id: row for row in by_name.get(key, [])} if key else {}
        same_email = {row.id: row for row in by_email.get(email, [])} if email else {}
        others = [
            row
            for row in {**same_name, **same_email}.values()
            if row.id != application.id
            and _within_window(application.submitted_at, row.submitted_at)
        ]
        others.sort(key=lambda row: (row.reference_year, row.reference_number))
        found[application.id] = [
            DuplicateHint(
                other_id=row.id,
                other_reference=row.reference,
                same_name=row.id in same_name,
                same_email=row.id in same_email,
            )
            for row in others
        ]
    return found


def find_by_token(session: Session, token: str) -> Application | None:
    """The application whose status link carries ``token``, or None. A malformed token is
    refused without asking the database."""
    if not is_well_formed(token):
        return None
    return session.scalar(
        select(Application)
        .where(Application.status_token_hash == hash_token(token))
        .options(joinedload(Application.round))
    )
