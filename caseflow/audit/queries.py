"""Reading the audit trail."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from caseflow.audit.models import AuditEvent
from caseflow.clock import start_of_day

# Kept in step with ``caseflow.audit.services.SYSTEM_LABEL`` (queries may not import the
# services of their own feature): the actor label of events recorded without a staff member.
SYSTEM_LABEL = "System"
ONE_DAY = timedelta(days=1)


# Built once: the pages of applications and engagements show their history.
_HISTORY = (
    select(AuditEvent)
    .where(
        AuditEvent.object_type == bindparam("object_type"),
        AuditEvent.object_id == bindparam("object_id"),
    )
    .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
)


def history_of(session: Session, object_type: str, object_id: int) -> list[AuditEvent]:
    """The audit events recorded for one object, newest first."""
    return list(session.scalars(_HISTORY, {"object_type": object_type, "object_id": object_id}))


# -- the audit log viewer ------------------------------------------------------------------

# Rows per page of the audit log viewer and rows fetched at a time by the CSV export.
PER_PAGE = 100
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class EventFilter:
    """Which audit events to list; a field left None (False) does not narrow.

    ``first_day`` and ``last_day`` are calendar days in the programme's time zone, both
    included: events from midnight of ``first_day`` to midnight after ``last_day`` there.
    ``object_id`` narrows only together with ``object_type`` (the index is on both).
    """

    actor_id: int | None = None
    is_system: bool = False
    object_type: str | None = None
    object_id: int | None = None
    action: str | None = None
    first_day: date | None = None
    last_day: date | None = None

    def described(self) -> dict[str, Any]:
        """The filter as the audit trail keeps it (only what narrows)."""
        values: dict[str, Any] = {
            "actor_id": None if self.is_system else self.actor_id,
            "actor": SYSTEM_LABEL if self.is_system else None,
            "object_type": self.object_type,
            "object_id": self.object_id if self.object_type is not None else None,
            "action": self.action,
            "from": self.first_day.isoformat() if self.first_day else None,
            "to": self.last_day.isoformat() if self.last_day else None,
        }
        return {key: value for key, value in values.items() if value is not None}


def _conditions(filters: EventFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.is_system:
        # Events of a since-deleted staff member also have no actor id, but keep their name.
        conditions.append(AuditEvent.actor_id.is_(None))
        conditions.append(AuditEvent.actor_label == SYSTEM_LABEL)
    elif filters.actor_id is not None:
        conditions.append(AuditEvent.actor_id == filters.actor_id)
    if filters.object_type is not None:
        conditions.append(AuditEvent.object_type == filters.object_type)
        if filters.object_id is not None:
            conditions.append(AuditEvent.object_id == filters.object_id)
    if filters.action is not None:
        conditions.append(AuditEvent.action == filters.action)
    if filters.first_day is not None:
        conditions.append(AuditEvent.occurred_at >= start_of_day(filters.first_day))
    if filters.last_day is not None:
        conditions.append(AuditEvent.occurred_at < start_of_day(filters.last_day + ONE_DAY))
    return conditions


def _newest_first(statement: Select[tuple[AuditEvent]]) -> Select[tuple[AuditEvent]]:
    return statement.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


@dataclass(frozen=True)
class EventPage:
    """One page of the audit log, newest first."""

    events: list[AuditEvent]
    page: int
    pages: int  # at least 1, also when nothing matches
    total: int  # events matching the filter, on all pages
    per_page: int

    @property
    def first_number(self) -> int:
        """The running number of the first event shown (1 on the first page)."""
        return (self.page - 1) * self.per_page + 1 if self.events else 0

    @property
    def last_number(self) -> int:
        """The running number of the last event shown."""
        return (self.page - 1) * self.per_page + len(self.events)


def count_events(session: Session, filters: EventFilter, *, up_to_id: int | None = None) -> int:
    """How many audit events match ``filters`` (and have an id up to ``up_to_id``, when
    given); one query."""
    statement = select(func.count(AuditEvent.id)).where(*_conditions(filters))
    if up_to_id is not None:
        statement = statement.where(AuditEvent.id <= up_to_id)
    return session.scalar(statement) or 0


def newest_event_id(session: Session) -> int | None:
    """The highest audit event id (None: the trail is empty); one query on the primary key."""
    return session.scalar(select(func.max(AuditEvent.id)))


def event_page(
    session: Session, filters: EventFilter, *, page: int = 1, per_page: int = PER_PAGE
) -> EventPage | None:
    """Page ``page`` (from 1) of the audit events matching ``filters``, newest first; None
    when ``page`` lies outside the pages there are (nothing matching makes one empty page).
    Two queries whatever the number of events."""
    total = count_events(session, filters)
    pages = max(1, math.ceil(total / per_page))
    if page < 1 or page > pages:
        return None
    statement = (
        _newest_first(select(AuditEvent).where(*_conditions(filters)))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return EventPage(
        events=list(session.scalars(statement)),
        page=page,
        pages=pages,
        total=total,
        per_page=per_page,
    )


def matching_events(
    session: Session, filters: EventFilter, *, up_to_id: int | None = None
) -> Iterator[AuditEvent]:
    """Every audit event matching ``filters`` (and with an id up to ``up_to_id``, when
    given), newest first, fetched ``EXPORT_BATCH`` rows at a time: one statement, however
    many rows, and never all of them in memory at once."""
    statement = select(AuditEvent).where(*_conditions(filters))
    if up_to_id is not None:
        statement = statement.where(AuditEvent.id <= up_to_id)
    statement = _newest_first(statement).execution_options(yield_per=EXPORT_BATCH)
    yield from session.scalars(statement)


def _distinct(session: Session, column: InstrumentedAttribute[str]) -> list[str]:
    """The distinct values of an indexed column of ``audit_event``, in one statement that
    jumps through the index from one value to the next (a loose index scan: a recursive
    query of ``min(column) > previous``), so it reads one index entry per distinct value
    rather than every row as ``SELECT DISTINCT`` would on PostgreSQL."""
    seed = select(func.min(column).label("value"))
    steps = seed.cte("audit_values", recursive=True)
    following = (
        select(func.min(column)).where(column > steps.c.value).scalar_subquery().label("value")
    )
    steps = steps.union_all(select(following).where(steps.c.value.is_not(None)))
    return list(session.scalars(select(steps.c.value).where(steps.c.value.is_not(None))))


def recorded_actions(session: Session) -> list[str]:
    """The actions that occur in the audit trail, in key order; one query (index on
    ``action``)."""
    return _distinct(session, AuditEvent.action)


def recorded_object_types(session: Session) -> list[str]:
    """The object types that occur in the audit trail, in key order; one query (the index
    on ``object_type, object_id``)."""
    return _distinct(session, AuditEvent.object_type)
