"""Raising notifications exactly once.

Every notification carries a ``dedup_key`` built by the rule that raises it (unique in the
table). Rows are written with ``INSERT … ON CONFLICT (dedup_key) DO NOTHING``: a rule that
runs twice, or in two processes at once, creates its notification once; the second insert
is skipped by the database (on PostgreSQL it waits for the first transaction and then does
nothing), never raised as an error.

Nothing here commits; the caller does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from caseflow.followups.models import Notification

# Rows per INSERT statement: keeps SQLite under its limit of bound parameters.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Notice:
    """One notification a rule wants to raise."""

    recipient_id: int
    kind: str
    text: str
    link: str | None
    dedup_key: str


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

    After: one unread notification per new ``dedup_key``, ``created_at = now``; notices whose
    key exists already (or appears twice in ``notices``) are skipped. Raises nothing for
    duplicates; only flushes.
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
                "created_at": now,
            },
        )
    return len(insert_or_skip(session, Notification.__table__, list(rows.values()), "dedup_key"))


def notify(
    session: Session,
    *,
    recipient_id: int,
    kind: str,
    text: str,
    link: str | None,
    dedup_key: str,
    now: datetime,
) -> bool:
    """Raise one notification unless one with ``dedup_key`` exists; returns whether a row
    was created. Only flushes."""
    notice = Notice(recipient_id=recipient_id, kind=kind, text=text, link=link, dedup_key=dedup_key)
    return notify_all(session, [notice], now=now) == 1
