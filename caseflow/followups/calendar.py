"""Calendar feeds (``/calendar/<token>.ics``): their secret tokens, the RFC 5545 feed, and
the ``SEQUENCE`` counter that tells calendar clients an event changed.

Tokens. A token is ``secrets.token_urlsafe(32)``; only its SHA-256 is stored. One row per
holder and scope (``all``, or ``engagement:<id>``): issuing a token again replaces the row's
hash in one upsert, so the old address stops working at once and two concurrent requests
never leave two tokens. Revoking deletes the row. Both are recorded in the audit trail (on
the holder, without the token).

Who sees what (decided for issue 5 item 7):

- A feed answers only while its holder can log in (active, with a password and an email
  address, as ``StaffMember.can_log_in``). What it shows is what the holder owns or leads;
  whoever leaves a team loses that engagement's feed and hands on their open milestones and
  follow-ups, so the feed keeps to ``engagements.services.common.may_view`` (issue 7).
- Scope ``all``: the milestones the holder owns, and the milestones without an owner of
  the engagements the holder leads (an unowned milestone is the lead's to watch); the
  follow-ups assigned to the holder, and the unassigned follow-ups of engagements the holder
  leads.
- Scope ``engagement:<id>``: all milestones and follow-ups of that engagement, for a holder
  who may edit it (its team, leads and admins: ``may_edit``). Taken off the team, the
  holder's feed answers 404.

Which items (the same for both scopes):

- open milestones of engagements that are not closed (overdue ones included); done or
  dropped milestones due within the last ``RECENT_DAYS`` days. A done milestone keeps its
  event with "(erledigt)" in the title; a dropped one is ``STATUS:CANCELLED`` with
  "(entfallen)". Open milestones of a completed or cancelled engagement leave the feed.
- open follow-ups, whatever the engagement's status (the sustainability checks come after
  its end); done or discarded follow-ups due within the last ``RECENT_DAYS`` days, marked
  the same way ("(erledigt)", or ``STATUS:CANCELLED`` with "(verworfen)").

Events carry no person's name and no free text (notes, evidence, reasons may name
contact persons): a milestone shows its title, phase and organisation; a follow-up its kind
and organisation; both link to the engagement page.

``SEQUENCE``: a ``before_flush`` listener raises ``calendar_sequence`` of a milestone whose
title, due date or status changed and of a follow-up whose due time, kind or status changed
(as SQL ``+ 1``, so a stale copy in memory cannot lower it). Follow-ups are closed by a
conditional UPDATE (``caseflow.followups.services``), which no flush sees: it raises the
counter itself. The listener is registered when this module is imported (the feed view
imports it).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import force_locale
from icalendar import Calendar, Event
from sqlalchemy import and_, delete, event, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload, selectinload

from caseflow import clock
from caseflow.audit.services import record
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Assignment,
    AssignmentRole,
    Engagement,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.engagements.services.common import EngagementNotPermitted, may_edit
from caseflow.engagements.signals import team_left
from caseflow.followups.models import CalendarToken, FollowUp, FollowUpKind, FollowUpStatus
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.converters import MAX_ID

SCOPE_ALL = "all"
ENGAGEMENT_SCOPE_PREFIX = "engagement:"
TOKEN_BYTES = 32
# What ``secrets.token_urlsafe(32)`` gives: 43 characters of the URL-safe alphabet.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
SCOPE_PATTERN = re.compile(r"all|engagement:([1-9][0-9]{0,9})")
# Done, dropped and discarded items stay in the feed this long after their due day.
RECENT_DAYS = 90
# A follow-up is a point in time; calendars show it as a short appointment.
FOLLOW_UP_MINUTES = 30
DEFAULT_HOST = "caseflow"
PRODID = "-//BQN Berlin//caseflow DiFair//DE"

# What a calendar event shows, per model: a change of one of these raises SEQUENCE.
WATCHED_FIELDS: dict[type, tuple[str, ...]] = {
    Milestone: ("title", "due_date", "status"),
    FollowUp: ("due_at", "kind", "status"),
}


# -- tokens ----------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """The stored form of a token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def engagement_scope(engagement_id: int) -> str:
    """The scope of a feed of one engagement."""
    return f"{ENGAGEMENT_SCOPE_PREFIX}{engagement_id}"


def is_known_scope(scope: str) -> bool:
    """Whether ``scope`` is written as a scope can be (``all`` or ``engagement:<id>``)."""
    match = SCOPE_PATTERN.fullmatch(scope)
    return match is not None and (match.group(1) is None or int(match.group(1)) <= MAX_ID)


def engagement_of_scope(scope: str) -> int | None:
    """The engagement id of a known engagement scope, None for ``all`` (or no scope)."""
    if not is_known_scope(scope) or not scope.startswith(ENGAGEMENT_SCOPE_PREFIX):
        return None
    return int(scope.removeprefix(ENGAGEMENT_SCOPE_PREFIX))


def may_subscribe(engagement: Engagement, member: StaffMember) -> bool:
    """Whether ``member`` may hold (and keep using) a feed of ``engagement``: someone who
    can log in and may edit it (its team, leads and admins)."""
    return member.can_log_in and may_edit(engagement, member)


def issue_token(
    session: Session,
    holder: StaffMember,
    *,
    engagement: Engagement | None = None,
    now: datetime,
) -> str:
    """A new secret token for ``holder``'s feed (all their dates, or ``engagement``'s).

    Before: ``holder`` can log in; for an engagement feed, ``may_subscribe``.
    After: the holder's one row for this scope holds the new token's hash (an earlier token
    of the same scope stops working); one ``calendar.token_created`` or
    ``calendar.token_renewed`` audit event on the holder; flushed. The token itself is
    returned once and kept nowhere.
    Raises ``EngagementNotPermitted`` (nothing changed) when the holder may not subscribe.
    """
    if not holder.can_log_in or (engagement is not None and not may_subscribe(engagement, holder)):
        raise EngagementNotPermitted(
            _(
                "Ein Kalender-Abo für diese Prozessbegleitung können nur ihr Team und die "
                "Projektleitung anlegen."
            )
        )
    scope = SCOPE_ALL if engagement is None else engagement_scope(engagement.id)
    engagement_id = None if engagement is None else engagement.id
    existed = (
        session.scalar(
            select(CalendarToken.id).where(
                CalendarToken.staff_member_id == holder.id, CalendarToken.scope == scope
            )
        )
        is not None
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    values = {
        "staff_member_id": holder.id,
        "engagement_id": engagement_id,
        "scope": scope,
        "token_hash": hash_token(token),
        "created_at": now,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(CalendarToken)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["staff_member_id", "scope"],
            set_={"token_hash": values["token_hash"], "created_at": now},
        )
    )
    session.execute(statement)
    record(
        session,
        actor=holder,
        action="calendar.token_renewed" if existed else "calendar.token_created",
        object_type="staff_member",
        object_id=holder.id,
        changes={"scope": scope},
        at=now,
    )
    session.flush()
    return token


def revoke_token(session: Session, holder: StaffMember, scope: str, *, now: datetime) -> bool:
    """Delete ``holder``'s token of ``scope``; its address answers 404 from now on.

    Returns whether there was one. With one, a ``calendar.token_revoked`` audit event on the
    holder is added; flushed.
    """
    result = session.execute(
        delete(CalendarToken)
        .where(CalendarToken.staff_member_id == holder.id, CalendarToken.scope == scope)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        return False
    record(
        session,
        actor=holder,
        action="calendar.token_revoked",
        object_type="staff_member",
        object_id=holder.id,
        changes={"scope": scope},
        at=now,
    )
    session.flush()
    return True


@team_left.connect
def revoke_feeds_of_leavers(
    engagement: Engagement,
    *,
    session: Session,
    removed: list[StaffMember],
    **_kwargs: object,
) -> dict[str, list[int]] | None:
    """End the feeds of ``engagement`` held by people who left its team, so that a later
    return does not bring an old address back to life; one statement. Returns the holders'
    ids for the team change's audit event, or None."""
    revoked = session.scalars(
        delete(CalendarToken)
        .where(
            CalendarToken.staff_member_id.in_([member.id for member in removed]),
            CalendarToken.scope == engagement_scope(engagement.id),
        )
        .returning(CalendarToken.staff_member_id)
        .execution_options(synchronize_session=False)
    ).all()
    return {"calendar_feeds_revoked": sorted(revoked)} if revoked else None


@dataclass(frozen=True)
class HeldFeed:
    """A feed a staff member holds, for the settings page (never the token itself)."""

    scope: str
    created_at: datetime
    engagement_id: int | None
    organisation: str | None
    engagement_start: date | None  # tells apart two engagements of one organisation


def feeds_of(session: Session, member_id: int) -> list[HeldFeed]:
    """The feeds ``member_id`` holds: the personal one first, then per engagement by
    organisation. One statement."""
    statement = (
        select(
            CalendarToken.scope,
            CalendarToken.created_at,
            CalendarToken.engagement_id,
            Organisation.name,
            Engagement.start_date,
        )
        .outerjoin(Engagement, Engagement.id == CalendarToken.engagement_id)
        .outerjoin(Organisation, Organisation.id == Engagement.organisation_id)
        .where(CalendarToken.staff_member_id == member_id)
        .order_by(CalendarToken.engagement_id.is_not(None), Organisation.name, CalendarToken.id)
    )
    return [HeldFeed(*row) for row in session.execute(statement)]


def feed_created_at(session: Session, member_id: int, scope: str) -> datetime | None:
    """When ``member_id``'s feed of ``scope`` was issued, or None without one. One
    statement."""
    return session.scalar(
        select(CalendarToken.created_at).where(
            CalendarToken.staff_member_id == member_id, CalendarToken.scope == scope
        )
    )


# -- the feed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedContext:
    """What a feed needs from the request: ``host`` for the UIDs, ``link_for(engagement_id)``
    for the absolute address of an engagement page."""

    host: str
    link_for: Callable[[int], str]


def uid_host(base_url: str | None, server_name: str | None) -> str:
    """The host part of the events' UIDs: from ``BASE_URL``, else ``SERVER_NAME``, else
    ``caseflow``. It must not depend on the request, or UIDs would change."""
    if base_url:
        host = urlsplit(base_url).hostname
        if host:
            return host
    if server_name:
        return server_name.split(":", 1)[0]
    return DEFAULT_HOST


def _holder_of(session: Session, token: str) -> tuple[CalendarToken, StaffMember] | None:
    if TOKEN_PATTERN.fullmatch(token) is None:
        return None
    row = session.execute(
        select(CalendarToken, StaffMember)
        .join(StaffMember, StaffMember.id == CalendarToken.staff_member_id)
        .where(CalendarToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    return row[0], row[1]


def _lead_of(member_id: int) -> Any:
    return select(Assignment.engagement_id).where(
        Assignment.staff_member_id == member_id, Assignment.role == AssignmentRole.LEAD
    )


def _milestones(
    session: Session, *, holder_id: int | None, engagement_id: int | None, today: date
) -> list[Any]:
    recent = today - timedelta(days=RECENT_DAYS)
    statement = (
        select(
            Milestone.id,
            Milestone.title,
            Milestone.due_date,
            Milestone.status,
            Milestone.calendar_sequence,
            Phase.name,
            Engagement.id,
            Organisation.name,
        )
        .join(Phase, Phase.id == Milestone.phase_id)
        .join(Engagement, Engagement.id == Phase.engagement_id)
        .join(Organisation, Organisation.id == Engagement.organisation_id)
        .where(
            or_(
                and_(
                    Milestone.status == MilestoneStatus.OFFEN,
                    Engagement.status.not_in(CLOSED_STATUSES),
                ),
                and_(Milestone.status != MilestoneStatus.OFFEN, Milestone.due_date >= recent),
            )
        )
        .order_by(Milestone.due_date, Milestone.id)
    )
    if engagement_id is not None:
        statement = statement.where(Engagement.id == engagement_id)
    else:
        statement = statement.where(
            or_(
                Milestone.owner_id == holder_id,
                and_(Milestone.owner_id.is_(None), Engagement.id.in_(_lead_of(holder_id))),
            )
        )
    return list(session.execute(statement))


def _follow_ups(
    session: Session, *, holder_id: int | None, engagement_id: int | None, today: date
) -> list[Any]:
    recent = clock.start_of_day(today - timedelta(days=RECENT_DAYS))
    statement = (
        select(
            FollowUp.id,
            FollowUp.due_at,
            FollowUp.kind,
            FollowUp.status,
            FollowUp.calendar_sequence,
            Engagement.id,
            Organisation.name,
        )
        .join(Engagement, Engagement.id == FollowUp.engagement_id)
        .join(Organisation, Organisation.id == Engagement.organisation_id)
        .where(or_(FollowUp.status == FollowUpStatus.OFFEN, FollowUp.due_at >= recent))
        .order_by(FollowUp.due_at, FollowUp.id)
    )
    if engagement_id is not None:
        statement = statement.where(FollowUp.engagement_id == engagement_id)
    else:
        statement = statement.where(
            or_(
                FollowUp.assignee_id == holder_id,
                and_(
                    FollowUp.assignee_id.is_(None),
                    FollowUp.engagement_id.in_(_lead_of(holder_id)),
                ),
            )
        )
    return list(session.execute(statement))


def _event(
    *,
    uid: str,
    now: datetime,
    sequence: int,
    start: Any,
    end: Any,
    summary: str,
    lines: list[str],
    link: str,
    cancelled: bool,
) -> Event:
    """One private event: what milestones and follow-ups have in common."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("sequence", sequence)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", "\n".join([*lines, link]))
    event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("class", "PRIVATE")
    return event


def _milestone_event(row: Any, *, context: FeedContext, now: datetime) -> Event:
    milestone_id, title, due, status, sequence, phase_name, engagement_id, organisation = row
    summary = _("Meilenstein: %(title)s – %(organisation)s", title=title, organisation=organisation)
    if status is MilestoneStatus.ERLEDIGT:
        summary = _("%(summary)s (erledigt)", summary=summary)
    elif status is MilestoneStatus.ENTFALLEN:
        summary = _("%(summary)s (entfallen)", summary=summary)
    event = _event(
        uid=f"milestone-{milestone_id}@{context.host}",
        now=now,
        sequence=sequence,
        start=due,
        end=due + timedelta(days=1),  # all-day: DTEND is the exclusive next day
        summary=summary,
        lines=[
            _("Prozessbegleitung: %(organisation)s", organisation=organisation),
            _("Phase: %(phase)s", phase=phase_name),
        ],
        link=context.link_for(engagement_id),
        cancelled=status is MilestoneStatus.ENTFALLEN,
    )
    event.add("transp", "TRANSPARENT")  # a due day does not block the day
    return event


def _follow_up_event(row: Any, *, context: FeedContext, now: datetime) -> Event:
    follow_up_id, due_at, kind, status, sequence, engagement_id, organisation = row
    kind_label = FollowUpKind(kind).label
    summary = _(
        "Wiedervorlage: %(kind)s – %(organisation)s", kind=kind_label, organisation=organisation
    )
    if status is FollowUpStatus.ERLEDIGT:
        summary = _("%(summary)s (erledigt)", summary=summary)
    elif status is FollowUpStatus.VERWORFEN:
        summary = _("%(summary)s (verworfen)", summary=summary)
    return _event(
        uid=f"follow-up-{follow_up_id}@{context.host}",
        now=now,
        sequence=sequence,
        # Wall time in the programme's zone with its TZID, so 09:00 stays 09:00 across DST.
        start=clock.local(due_at),
        end=clock.local(due_at + timedelta(minutes=FOLLOW_UP_MINUTES)),
        summary=summary,
        lines=[_("Prozessbegleitung: %(organisation)s", organisation=organisation)],
        link=context.link_for(engagement_id),
        cancelled=status is FollowUpStatus.VERWORFEN,
    )


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", clock.timezone().key)
    # Ask subscribed clients to look again every hour.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def build_feed(
    session: Session, token: str, *, now: datetime, context: FeedContext
) -> bytes | None:
    """The iCalendar feed of ``token``, or None (answer 404) for a malformed, unknown or
    revoked token, a holder who can no longer log in, or an engagement feed whose holder may
    no longer subscribe to it (or whose engagement is gone).

    A fixed number of statements: three for ``all``, five for an engagement feed. The texts
    are in the holder's language.
    """
    found = _holder_of(session, token)
    if found is None:
        return None
    row, holder = found
    if not holder.can_log_in:
        return None
    today = clock.local(now).date()
    with force_locale(holder.locale or "de"):
        if row.scope == SCOPE_ALL:
            name = _("caseflow – meine Termine")
            query = {"holder_id": holder.id, "engagement_id": None}
        else:
            engagement = (
                session.scalar(
                    select(Engagement)
                    .where(Engagement.id == row.engagement_id)
                    .options(
                        joinedload(Engagement.organisation),
                        selectinload(Engagement.assignments),
                    )
                )
                if row.engagement_id is not None
                else None
            )
            if engagement is None or row.scope != engagement_scope(engagement.id):
                return None
            if not may_subscribe(engagement, holder):
                return None
            name = _("caseflow – %(organisation)s", organisation=engagement.organisation.name)
            query = {"holder_id": None, "engagement_id": engagement.id}
        milestones = _milestones(session, today=today, **query)
        follow_ups = _follow_ups(session, today=today, **query)
        calendar = _calendar(name)
        for milestone in milestones:
            calendar.add_component(_milestone_event(milestone, context=context, now=now))
        for follow_up in follow_ups:
            calendar.add_component(_follow_up_event(follow_up, context=context, now=now))
    if follow_ups:
        days = [clock.local(follow_up[1]).date() for follow_up in follow_ups]
        # VTIMEZONE rules covering every timed event, and a year either side.
        calendar.add_missing_timezones(
            first_date=date(min(days).year - 1, 1, 1), last_date=date(max(days).year + 2, 1, 1)
        )
    return calendar.to_ical()


# -- SEQUENCE --------------------------------------------------------------------------------


def _shown_fields_changed(obj: Any, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    for name in fields:
        history = state.attrs[name].history
        if not history.added:
            continue
        if not history.deleted or history.deleted[0] != history.added[0]:
            return True
    return False


def raise_sequences(session: Session, _flush_context: Any, _instances: Any) -> None:
    """``before_flush``: raise ``calendar_sequence`` of every changed milestone and
    follow-up whose event looks different now (``WATCHED_FIELDS``)."""
    for obj in list(session.dirty):
        fields = WATCHED_FIELDS.get(type(obj))
        if fields is None or not session.is_modified(obj, include_collections=False):
            continue
        if _shown_fields_changed(obj, fields):
            obj.calendar_sequence = type(obj).calendar_sequence + 1


def register_listeners() -> None:
    """Listen on every session (once, however often this is called)."""
    if not event.contains(Session, "before_flush", raise_sequences):
        event.listen(Session, "before_flush", raise_sequences)


register_listeners()
