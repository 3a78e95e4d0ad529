"""Read-only queries behind the application pages."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from caseflow.audit.models import AuditEvent
from caseflow.audit.queries import history_of
from caseflow.database import count_by
from caseflow.intake.models import (
    REVIEW_CRITERIA,
    Application,
    ApplicationReview,
    ApplicationRound,
    ApplicationStatus,
)


@dataclass(frozen=True)
class ApplicationRow:
    """One application of a list, with its review figures."""

    application: Application
    average_score: float | None
    review_count: int


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


def list_applications(
    session: Session,
    *,
    statuses: Collection[ApplicationStatus] | None = None,
    round_id: int | None = None,
    organisation_id: int | None = None,
) -> list[ApplicationRow]:
    """Applications, newest first, with round, average review score and number of reviews.

    A review's score is the mean of its four criteria; the application's average is the mean
    of its reviews' scores. One statement.
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
        .order_by(Application.submitted_at.desc(), Application.id.desc())
    )
    if statuses is not None:
        statement = statement.where(Application.status.in_(list(statuses)))
    if round_id is not None:
        statement = statement.where(Application.round_id == round_id)
    if organisation_id is not None:
        statement = statement.where(Application.organisation_id == organisation_id)
    return [
        ApplicationRow(
            application=application,
            average_score=float(average) if average is not None else None,
            review_count=count,
        )
        for application, average, count in session.execute(statement)
    ]


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


def application_counts_by_status(session: Session) -> dict[ApplicationStatus, int]:
    """How many applications are in each status (every status present, zero included)."""
    return count_by(session, Application.status, ApplicationStatus)
