"""The notification inbox: what a staff member sees of their own notifications (the unread
count of the bell, one page of the inbox), marking them read, and their choices of channel
per kind of notification.

Unread means ``read_at IS NULL AND superseded_at IS NULL``: a notification replaced by a newer
one about the same topic (``caseflow.followups.notify``) leaves the inbox and the count.
Every function works on the recipient's own notifications only; nothing here commits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from caseflow.audit.services import record
from caseflow.followups.models import Notification, NotificationPreference
from caseflow.followups.preferences import (
    CHANNELS,
    KINDS,
    OFF,
    Kind,
    channel_of,
    stored_channels,
)
from caseflow.staff.models import Role, StaffMember
from caseflow.translating import gettext as _

PER_PAGE = 50
# Kinds only project leads (else admins) receive (``caseflow.followups.sweeps.applications``):
# offered on the preferences page to leads and admins only.
LEAD_KINDS = frozenset({"application_new", "application_undecided"})
# Kinds only admins receive: what only they can mend (a damaged file, from a backup).
ADMIN_KINDS = frozenset({"document_damaged"})


def is_unread() -> ColumnElement[bool]:
    """The condition of an unread notification: neither read nor replaced by a newer one."""
    return Notification.read_at.is_(None) & Notification.superseded_at.is_(None)


# Built once: the bell asks on every staff page.
_UNREAD_COUNT = select(func.count(Notification.id)).where(
    Notification.recipient_id == bindparam("recipient_id"), is_unread()
)


def unread_count(session: Session, recipient_id: int) -> int:
    """How many unread notifications ``recipient_id`` has (the bell's badge); one query."""
    return session.scalar(_UNREAD_COUNT, {"recipient_id": recipient_id}) or 0


def unread_state(session: Session, recipient_id: int) -> tuple[int, int | None]:
    """How many unread notifications ``recipient_id`` has and the highest id among them (None
    without any): the bell's badge and the limit of "mark all read" for what was shown; one
    query."""
    statement = select(func.count(Notification.id), func.max(Notification.id)).where(
        Notification.recipient_id == recipient_id, is_unread()
    )
    count, newest = session.execute(statement).one()
    return count or 0, newest


@dataclass(frozen=True)
class InboxPage:
    """One page of a staff member's inbox, newest first."""

    notifications: list[Notification]
    page: int
    pages: int  # at least 1, also when the inbox is empty
    total: int  # notifications listed under the filter, on all pages
    unread_only: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def inbox_page(
    session: Session,
    recipient_id: int,
    *,
    page: int = 1,
    unread_only: bool = False,
    per_page: int = PER_PAGE,
) -> InboxPage | None:
    """Page ``page`` (from 1) of the notifications of ``recipient_id``, newest first, without
    superseded ones; with ``unread_only`` only the unread ones. Returns None when ``page``
    lies beyond the last page (an empty inbox has one, empty, page). Two queries whatever
    the number of notifications."""
    conditions = [Notification.recipient_id == recipient_id, Notification.superseded_at.is_(None)]
    if unread_only:
        conditions.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count(Notification.id)).where(*conditions)) or 0
    pages = max(1, math.ceil(total / per_page))
    if page < 1 or page > pages:
        return None
    statement = (
        select(Notification)
        .where(*conditions)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return InboxPage(
        notifications=list(session.scalars(statement)),
        page=page,
        pages=pages,
        total=total,
        unread_only=unread_only,
    )


def latest_unread(session: Session, recipient_id: int, *, limit: int = 5) -> list[Notification]:
    """The newest ``limit`` unread notifications of ``recipient_id`` (the dashboard's short
    list); one query."""
    statement = (
        select(Notification)
        .where(Notification.recipient_id == recipient_id, is_unread())
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(session.scalars(statement))


def own_notification(
    session: Session, recipient_id: int, notification_id: int
) -> Notification | None:
    """The notification ``notification_id`` if it belongs to ``recipient_id``, else None."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != recipient_id:
        return None
    return notification


def mark_read(session: Session, notification: Notification, *, now: datetime) -> bool:
    """Mark one notification read unless it is already.

    Before: the caller has checked it belongs to the acting staff member.
    After: ``read_at = now`` if it was unread (a conditional UPDATE: of two requests at
    once only one sets it, the other changes nothing); flushed. Returns whether it changed.
    """
    statement = (
        update(Notification)
        .where(Notification.id == notification.id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    changed = session.execute(statement).rowcount == 1
    if changed:
        session.expire(notification, ["read_at"])
    return changed


def mark_all_read(session: Session, recipient_id: int, *, up_to: int, now: datetime) -> int:
    """Mark the unread notifications of ``recipient_id`` with an id up to ``up_to`` (the
    newest one shown to them) read (``read_at = now``): one that arrived later stays unread.
    One statement, idempotent. Returns how many changed."""
    statement = (
        update(Notification)
        .where(Notification.recipient_id == recipient_id, is_unread(), Notification.id <= up_to)
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount


# -- preferences -------------------------------------------------------------------------------


class PreferenceError(ValueError):
    """A channel that cannot be chosen for a kind; ``field`` is the kind's key."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def offered_kinds(member: StaffMember) -> tuple[Kind, ...]:
    """The kinds ``member`` can receive and so choose a channel for: the kinds about
    applications only for leads and admins, damaged files only for admins."""
    if member.has_role(Role.ADMIN):
        return KINDS
    hidden = ADMIN_KINDS if member.has_role(Role.LEAD) else ADMIN_KINDS | LEAD_KINDS
    return tuple(kind for kind in KINDS if kind.key not in hidden)


def channels_of(session: Session, staff_id: int) -> dict[str, str]:
    """``{kind: channel}`` for every kind of ``KINDS``: the stored choice or the default; one
    query."""
    stored = stored_channels(session, [staff_id])
    return {kind.key: channel_of(stored, staff_id, kind.key) for kind in KINDS}


def _check(kinds: tuple[Kind, ...], choices: Mapping[str, str]) -> None:
    for kind in kinds:
        channel = choices.get(kind.key)
        if channel not in CHANNELS:
            raise PreferenceError(
                _("Bitte wählen Sie eine der angebotenen Möglichkeiten."), field=kind.key
            )
        if channel == OFF and not kind.may_turn_off:
            raise PreferenceError(
                _("Diese Benachrichtigung lässt sich nicht ausschalten."), field=kind.key
            )


def save_preferences(
    session: Session,
    member: StaffMember,
    choices: Mapping[str, str],
    *,
    actor: StaffMember,
    now: datetime,
) -> bool:
    """Store how ``member`` wants each kind of notification.

    Before: ``choices`` names a channel of ``CHANNELS`` for every kind offered to ``member``
    (``offered_kinds``); ``off`` only for kinds that may be turned off. Choices for kinds not
    offered are ignored (their stored rows stay as they are).
    After: one ``NotificationPreference`` row per offered kind whose stored row was missing or
    different, written as insert-or-update on (staff member, kind), so two saves at once never
    make two rows nor fail; one ``staff.notification_preferences_set`` audit event on the staff
    member with the kinds whose channel changed (none when nothing changed); flushed. Returns
    whether any channel changed.
    Raises ``PreferenceError`` (the first bad kind), changing nothing.
    """
    kinds = offered_kinds(member)
    _check(kinds, choices)
    stored = stored_channels(session, [member.id])
    before = {kind.key: channel_of(stored, member.id, kind.key) for kind in kinds}
    rows = [
        {"staff_member_id": member.id, "kind": kind.key, "channel": choices[kind.key]}
        for kind in kinds
        if stored.get((member.id, kind.key)) != choices[kind.key]
    ]
    if rows:
        session.flush()
        dialect = session.get_bind().dialect.name
        build = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = build(NotificationPreference).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["staff_member_id", "kind"],
            set_={"channel": statement.excluded.channel},
        )
        session.execute(statement)
    changes = {
        kind.key: [before[kind.key], choices[kind.key]]
        for kind in kinds
        if before[kind.key] != choices[kind.key]
    }
    if not changes:
        return False
    record(
        session,
        actor=actor,
        action="staff.notification_preferences_set",
        object_type="staff_member",
        object_id=member.id,
        changes=changes,
        at=now,
    )
    session.flush()
    return True
