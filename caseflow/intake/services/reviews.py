"""Reviews: each staff member scores an application once (1–5 on the four criteria of
``REVIEW_CRITERIA``) with an optional comment, and may change their own review later.

Reviews stay possible after a decision: a waitlisted application is looked at again when a
place frees up, and a review written after a quick decision still completes the record.
Withdrawn applications and anonymised ones (their content is gone) take no reviews.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import format_number
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.audit.services import changes_of, record, redacted
from caseflow.intake.models import (
    REVIEW_CRITERIA,
    Application,
    ApplicationReview,
    ApplicationStatus,
)
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _

MIN_SCORE = 1
MAX_SCORE = 5
COMMENT_MAX_LENGTH = 5000


class ReviewError(ValueError):
    """A review was refused; the message is German. ``field`` names the offending input
    (a ``REVIEW_CRITERIA`` key or ``"comment"``) when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def own_review(
    session: Session, application: Application, reviewer: StaffMember
) -> ApplicationReview | None:
    """``reviewer``'s review of ``application``, or None when they have not written one."""
    return session.scalar(
        select(ApplicationReview).where(
            ApplicationReview.application_id == application.id,
            ApplicationReview.reviewer_id == reviewer.id,
        )
    )


def _checked_scores(scores: Mapping[str, object]) -> dict[str, int]:
    unknown = set(scores) - set(REVIEW_CRITERIA)
    if unknown:
        raise ReviewError(_("Unbekanntes Bewertungskriterium: %(names)s", names=", ".join(unknown)))
    checked: dict[str, int] = {}
    for column, label in REVIEW_CRITERIA.items():
        value = scores.get(column)
        if value is None:
            raise ReviewError(
                _("Bitte bewerten Sie „%(criterion)s“.", criterion=label), field=column
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise ReviewError(
                _("„%(criterion)s“ braucht eine ganze Zahl von 1 bis 5.", criterion=label),
                field=column,
            )
        if not MIN_SCORE <= value <= MAX_SCORE:
            raise ReviewError(
                _(
                    "„%(criterion)s“ muss zwischen %(min)d und %(max)d liegen.",
                    criterion=label,
                    min=MIN_SCORE,
                    max=MAX_SCORE,
                ),
                field=column,
            )
        checked[column] = value
    return checked


def _checked_comment(comment: str | None) -> str | None:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ReviewError(
            _(
                "Der Kommentar darf höchstens %(max)s Zeichen lang sein (jetzt: %(length)s).",
                max=format_number(COMMENT_MAX_LENGTH),
                length=format_number(len(comment)),
            ),
            field="comment",
        )
    return comment or None


def save_review(
    session: Session,
    application: Application,
    *,
    reviewer: StaffMember,
    scores: Mapping[str, object],
    comment: str | None,
    now: datetime,
) -> ApplicationReview:
    """Create ``reviewer``'s review of ``application`` or update it.

    A review belongs to its author: this service only ever touches the review of
    ``reviewer`` (the acting staff member), so nobody can change another person's review.

    Before: ``scores`` holds each ``REVIEW_CRITERIA`` key with an integer 1–5; ``comment`` is
    at most ``COMMENT_MAX_LENGTH`` characters (blank means none); the application is neither
    withdrawn nor anonymised. After: the review holds the scores and comment, with
    ``updated_at`` = ``now``; one audit event ``application.review_saved`` on the application
    (nothing is recorded when nothing changed); flushed. Raises ``ReviewError`` otherwise,
    changing nothing.
    """
    if application.status is ApplicationStatus.ZURUECKGEZOGEN:
        raise ReviewError(_("Eine zurückgezogene Bewerbung kann nicht mehr bewertet werden."))
    if application.anonymised_at is not None:
        raise ReviewError(
            _("Diese Bewerbung ist anonymisiert und kann nicht mehr bewertet werden.")
        )
    checked = _checked_scores(scores)
    cleaned_comment = _checked_comment(comment)

    review = own_review(session, application, reviewer)
    is_new = review is None
    if review is None:
        review = ApplicationReview(
            application=application, reviewer=reviewer, created_at=now, updated_at=now
        )
        session.add(review)
    for column, value in checked.items():
        setattr(review, column, value)
    review.comment = cleaned_comment
    changes = changes_of(
        review,
        exclude=frozenset({"id", "application_id", "reviewer_id", "created_at", "updated_at"}),
    )
    if "comment" in changes:
        changes["comment"] = [redacted(value) for value in changes["comment"]]
    if not changes and not is_new:
        return review
    review.updated_at = now
    session.flush()
    record(
        session,
        actor=reviewer,
        action="application.review_saved",
        object_type="application",
        object_id=application.id,
        changes={"review_id": review.id, "new": is_new, **changes},
        at=now,
    )
    session.flush()
    return review
