"""The scheduler's heartbeat: a row the scheduler rewrites every minute, and its status.

``caseflow scheduler`` calls ``beat`` once a minute; admins see a warning on every page when
``scheduler_status`` finds the last beat older than ``SCHEDULER_STALE_MINUTES`` (or none at
all): then no reminders and no emails go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from caseflow.followups.models import SchedulerHeartbeat

MAIN = "main"


@dataclass(frozen=True)
class SchedulerStatus:
    """What the heartbeat says at ``now``: the last beat (None: never) and whether it is
    too old to trust that reminders and emails go out."""

    beat_at: datetime | None
    holder: str | None
    started_at: datetime | None
    is_stale: bool


def beat(
    session: Session, now: datetime, holder: str, started_at: datetime, *, name: str = MAIN
) -> None:
    """Record that the scheduler ``holder`` (``host:pid``, running since ``started_at``) is
    alive at ``now``: one upsert of the heartbeat row ``name``. Only flushes (executes)."""
    dialect = session.get_bind().dialect.name
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"name": name, "holder": holder, "started_at": started_at, "beat_at": now}
    statement = build(SchedulerHeartbeat).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[SchedulerHeartbeat.name],
        set_={"holder": holder, "started_at": started_at, "beat_at": now},
    )
    session.execute(statement)


def scheduler_status(
    session: Session, now: datetime, *, stale_after: timedelta | None = None, name: str = MAIN
) -> SchedulerStatus:
    """The heartbeat ``name`` at ``now``; stale when it is missing or older than
    ``stale_after`` (default ``SCHEDULER_STALE_MINUTES``). One query."""
    if stale_after is None:
        stale_after = timedelta(minutes=current_app.config["SCHEDULER_STALE_MINUTES"])
    row = session.execute(
        select(
            SchedulerHeartbeat.beat_at, SchedulerHeartbeat.holder, SchedulerHeartbeat.started_at
        ).where(SchedulerHeartbeat.name == name)
    ).first()
    if row is None:
        return SchedulerStatus(beat_at=None, holder=None, started_at=None, is_stale=True)
    return SchedulerStatus(
        beat_at=row.beat_at,
        holder=row.holder,
        started_at=row.started_at,
        is_stale=row.beat_at < now - stale_after,
    )
