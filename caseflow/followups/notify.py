"""Raising notifications exactly once.

Every notification carries a ``dedup_key`` built by the rule that raises it (unique in the
table). Rows are written with ``INSERT … ON CONFLICT (dedup_key) DO NOTHING``: a rule that
runs twice, or in two processes at once, creates its notification once; the second insert
is skipped by the database (on PostgreSQL it waits for the first transaction and then does
nothing), never raised as an error.

A notice may name its ``topic`` (what it is about, e.g. ``milestone:12``): a newer
notification about the same topic replaces the recipient's unread older ones (they get
``superseded_at`` and leave the inbox; one not yet emailed is not emailed any more).

New notifications wait for their email (``mail_status`` pending, due at once);
``caseflow.followups.delivery`` sends them after the commit, if the recipient wants email.

Nothing here commits; the caller does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Row, and_, case, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from caseflow.followups.models import MailStatus, Notification

# Rows per INSERT statement: keeps SQLite under its limit of bound parameters.
BATCH_SIZE = 500


def page_path(endpoint: str, **values: Any) -> str:
    """The path of a page, for a notification's link (no request needed)."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/"
    )
    return adapter.build(endpoint, values)


@dataclass(frozen=True)
class Notice:
    """One notification a rule wants to raise."""

    recipient_id: int
    kind: str
    text: str
    link: str | None
    dedup_key: str
    topic: str | None = None
    body: str | None = None


def insert_or_skip(
    session: Session, table: Any, rows: Sequence[dict[str, Any]], key: str
) -> list[Row[Any]]:
    """Insert ``rows`` into ``table``, skipping every row whose unique column ``key`` is
    already taken; returns the created rows' ``id`` and ``key`` (one tuple each). One
    statement per ``BATCH_SIZE`` rows; flushes the session first so pending ORM changes are
    seen."""
    if not rows:
        return []
    session.flush()
    dialect = session.get_bind().dialect.name
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    created: list[Row[Any]] = []
    for start in range(0, len(rows), BATCH_SIZE):
        statement = (
            build(table)
            .values(list(rows[start : start + BATCH_SIZE]))
            .on_conflict_do_nothing(index_elements=[key])
            .returning(table.c.id, table.c[key])
        )
        created.extend(session.execute(statement).all())
    return created


def notify_all(session: Session, notices: Iterable[Notice], *, now: datetime) -> int:
    """Raise every notice that has not been raised before; returns how many were created.

    After: one unread notification per new ``dedup_key``, ``created_at = now``, its email
    pending from ``now``; notices whose key exists already (or appears twice in ``notices``)
    are skipped; unread older notifications about the topic of a new one are superseded.
    Raises nothing for duplicates; only flushes.
    """
    rows: dict[str, dict[str, Any]] = {}
    for notice in notices:
        rows.setdefault(
            notice.dedup_key,
            {
                "recipient_id": notice.recipient_id,
                "kind": notice.kind,
                "text": notice.text,
                "link": notice.link,
                "dedup_key": notice.dedup_key,
                "topic": notice.topic,
                "body": notice.body,
                "created_at": now,
                "mail_status": MailStatus.PENDING.value,
                "mail_attempts": 0,
                "mail_next_at": now,
            },
        )
    created = insert_or_skip(session, Notification.__table__, list(rows.values()), "dedup_key")
    if created and any(row["topic"] for row in rows.values()):
        supersede_older(session, now=now)
    return len(created)


def supersede_older(session: Session, *, now: datetime) -> int:
    """Mark every unread notification superseded that has a newer one about the same topic
    for the same recipient created at ``now``; one statement. Returns how many."""
    newer = aliased(Notification)
    statement = (
        update(Notification)
        .where(
            Notification.read_at.is_(None),
            Notification.superseded_at.is_(None),
            Notification.topic.is_not(None),
            exists(
                select(newer.id).where(
                    and_(
                        newer.recipient_id == Notification.recipient_id,
                        newer.topic == Notification.topic,
                        newer.id > Notification.id,
                        newer.created_at == now,
                    )
                )
            ),
        )
        .values(
            superseded_at=now,
            mail_status=case(
                (Notification.mail_status == MailStatus.PENDING, MailStatus.NONE),
                else_=Notification.mail_status,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount


def notify(
    session: Session,
    *,
    recipient_id: int,
    kind: str,
    text: str,
    link: str | None,
    dedup_key: str,
    now: datetime,
    topic: str | None = None,
    body: str | None = None,
) -> bool:
    """Raise one notification unless one with ``dedup_key`` exists; returns whether a row
    was created. Only flushes."""
    notice = Notice(
        recipient_id=recipient_id,
        kind=kind,
        text=text,
        link=link,
        dedup_key=dedup_key,
        topic=topic,
        body=body,
    )
    return notify_all(session, [notice], now=now) == 1
