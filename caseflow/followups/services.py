"""Follow-ups made by hand: adding, changing, completing and discarding them, and moving them
with a rescheduled engagement.

A follow-up (*Wiedervorlage*) is a row of its own, not part of the engagement's plan: adding
or closing one does not bump the engagement's version (a follow-up added while someone else
edits a milestone is no conflict). Double submits and two people closing the same follow-up
at once are caught on the follow-up itself: it is closed with a conditional UPDATE (``WHERE
status = 'offen'``), so only one of them succeeds.

Rules for the due day (decided for issue 4 point 11):

- not before today (Europe/Berlin); today is allowed, whatever the time of day;
- not later than ``LATEST_AFTER_PROGRAMME_END`` (6 months) after the programme end: the
  automatic sustainability checks come 3 and 6 months after an engagement ends, and no
  engagement ends after the programme, so 6 months after its end is the last day anybody
  will look at a follow-up. A manual one may lie after the engagement's own end (for a
  sustainability check by hand), but not beyond that horizon.

Rules for the time of day (Europe/Berlin wall time, default 09:00):

- a time that does not exist on that day (the hour skipped when summer time begins, e.g.
  02:30 on 30 March 2025) is refused: it is not silently moved to 03:30;
- a time that exists twice (the hour repeated when summer time ends, e.g. 02:30 on
  26 October 2025) means its first occurrence, still in summer time (``fold=0``).

Assignees are active staff members who can log in (``StaffMember.can_log_in``: a password
and an email address): a contact-list entry without a login would never see the follow-up.

Changing a follow-up is checked against the state its form showed (``fingerprint``): a
follow-up has no version column, so a change made on an older state is refused instead of
silently overwriting someone else's newer change.

Services check every rule, change rows, write the audit trail and flush; the caller commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from dateutil.relativedelta import relativedelta
from sqlalchemy import select, update
from sqlalchemy.orm import Session, contains_eager

from caseflow import clock
from caseflow.audit.services import record, redacted
from caseflow.engagements.models import CLOSED_STATUSES, Engagement
from caseflow.engagements.services.common import (
    TEXT_MAX_LENGTH,
    EngagementError,
    EngagementNotPermitted,
    clean_text,
    may_edit,
    may_view,
    require_editor,
)
from caseflow.engagements.shifting import ShiftItem, shift_candidates
from caseflow.engagements.signals import team_left
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.converters import MAX_ID
from caseflow.web.i18n import format_day

NOTE_MAX_LENGTH = TEXT_MAX_LENGTH
DEFAULT_DUE_TIME = time(9, 0)
LATEST_AFTER_PROGRAMME_END = relativedelta(months=6)
SHIFT_TITLE_LENGTH = 60


class FollowUpClosed(EngagementError):
    """The follow-up is no longer open (closed by a second click or by someone else)."""


class StaleFollowUp(EngagementError):
    """The follow-up changed after its edit form was shown: nothing is changed."""


@dataclass(frozen=True)
class FollowUpRow:
    """An open follow-up with its due day in the programme's time zone."""

    follow_up: FollowUp
    due_on: date
    due_time: time

    @property
    def shows_time(self) -> bool:
        """Whether the page names the time: only when it is not the usual 09:00."""
        return self.due_time != DEFAULT_DUE_TIME


# -- reading ---------------------------------------------------------------------------------


def open_follow_ups_of(session: Session, engagement_id: int) -> list[FollowUpRow]:
    """The open follow-ups of one engagement, earliest first, assignees loaded; one
    statement."""
    statement = (
        select(FollowUp)
        .outerjoin(FollowUp.assignee)
        .where(FollowUp.engagement_id == engagement_id, FollowUp.status == FollowUpStatus.OFFEN)
        .options(contains_eager(FollowUp.assignee))
        .order_by(FollowUp.due_at, FollowUp.id)
    )
    rows = []
    for follow_up in session.scalars(statement):
        local = clock.local(follow_up.due_at)
        rows.append(FollowUpRow(follow_up=follow_up, due_on=local.date(), due_time=local.time()))
    return rows


def assignee_candidates(session: Session) -> list[StaffMember]:
    """Everybody a follow-up may be assigned to: the active staff who can log in (the
    condition of ``StaffMember.can_log_in``), by name."""
    statement = (
        select(StaffMember)
        .where(
            StaffMember.is_active.is_(True),
            StaffMember.password_hash.is_not(None),
            StaffMember.password_hash != "",
            StaffMember.email.is_not(None),
            StaffMember.email != "",
        )
        .order_by(StaffMember.name, StaffMember.id)
    )
    return list(session.scalars(statement))


def fingerprint(follow_up: FollowUp) -> str:
    """A short digest of what the edit form of ``follow_up`` changes (due moment, assignee,
    note). The form carries it, and ``edit_follow_up`` compares it with the row it locked."""
    shown = repr(
        [follow_up.due_at.astimezone(UTC).isoformat(), follow_up.assignee_id, follow_up.note]
    )
    return hashlib.sha256(shown.encode()).hexdigest()[:32]


def may_complete(follow_up: FollowUp, member: StaffMember) -> bool:
    """Whether ``member`` may mark ``follow_up`` done: whoever may edit its engagement, and
    the person it is assigned to."""
    return follow_up.assignee_id == member.id or may_edit(follow_up.engagement, member)


# -- dates -------------------------------------------------------------------------------------


def due_moment(due_on: date, due_time: time | None = None) -> datetime:
    """``due_on`` at ``due_time`` (default 09:00) in the programme's time zone, as aware
    UTC. A time that exists twice (end of summer time) is its first occurrence; a time that
    does not exist (start of summer time) comes out an hour later, so adding and changing
    check it with ``_check_due_time`` first (moving with a rescheduled engagement does not)."""
    wall = due_time or DEFAULT_DUE_TIME
    return datetime.combine(due_on, wall, tzinfo=clock.timezone()).astimezone(UTC)


def _check_due_time(due_on: date, due_time: time | None) -> None:
    """Refuse a wall time that ``due_on`` does not have (skipped when summer time begins)."""
    zone = clock.timezone()
    wall = datetime.combine(due_on, due_time or DEFAULT_DUE_TIME, tzinfo=zone)
    if wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise EngagementError(
            _(
                "Diese Uhrzeit gibt es am %(day)s wegen der Umstellung auf Sommerzeit nicht. "
                "Bitte wählen Sie eine andere Uhrzeit.",
                day=format_day(due_on),
            ),
            field="due_time",
        )


def latest_due_on(programme_end: date) -> date:
    """The last day a follow-up may be due (see the module docstring)."""
    return programme_end + LATEST_AFTER_PROGRAMME_END


def _check_due_on(due_on: date, *, today: date, programme_end: date) -> None:
    if due_on < today:
        raise EngagementError(
            _(
                "Das Fälligkeitsdatum liegt in der Vergangenheit. Bitte wählen Sie heute "
                "(%(today)s) oder einen späteren Tag.",
                today=format_day(today),
            ),
            field="due_on",
        )
    latest = latest_due_on(programme_end)
    if due_on > latest:
        raise EngagementError(
            _(
                "Eine Wiedervorlage kann höchstens sechs Monate nach dem Ende des "
                "Förderzeitraums fällig sein, also spätestens am %(latest)s.",
                latest=format_day(latest),
            ),
            field="due_on",
        )


def _active_assignee(
    session: Session, assignee_id: int, engagement: Engagement, *, keep: int | None = None
) -> StaffMember:
    """The assignee with this id, if they may see the engagement (``may_view``: its team,
    leads, admins); ``keep``, an assignee the follow-up already has, may stay."""
    # An id beyond the INTEGER primary keys is nobody (PostgreSQL would refuse the query).
    member = session.get(StaffMember, assignee_id) if 0 < assignee_id <= MAX_ID else None
    if member is None or not member.is_active:
        raise EngagementError(
            _("Bitte wählen Sie eine aktive Person aus der Liste als zuständig aus."),
            field="assignee",
        )
    if not member.can_log_in:
        raise EngagementError(
            _(
                "%(name)s hat keinen Zugang zu caseflow und würde die Wiedervorlage nie sehen. "
                "Bitte wählen Sie eine Person aus der Liste.",
                name=member.name,
            ),
            field="assignee",
        )
    if member.id != keep and not may_view(engagement, member):
        raise EngagementError(
            _(
                "%(name)s gehört nicht zum Team dieser Prozessbegleitung und könnte die "
                "Wiedervorlage nicht öffnen. Bitte wählen Sie eine Person aus der Liste.",
                name=member.name,
            ),
            field="assignee",
        )
    return member


# -- changing ----------------------------------------------------------------------------------


def add_follow_up(
    session: Session,
    engagement: Engagement,
    *,
    due_on: date,
    due_time: time | None = None,
    kind: FollowUpKind,
    assignee_id: int,
    note: str | None,
    actor: StaffMember,
    now: datetime,
    programme_end: date,
) -> FollowUp:
    """Add a follow-up by hand to ``engagement``.

    Before: ``actor`` may edit the engagement (``may_edit``); the engagement is open
    (geplant, aktiv, pausiert); ``due_on`` is today or later (Europe/Berlin, today taken from
    ``now``) and at most six months after ``programme_end``; ``due_time`` exists on that day
    (not in the hour skipped when summer time begins); ``assignee_id`` is an active staff
    member who can log in; ``note`` at most ``NOTE_MAX_LENGTH`` characters.
    After: a new open follow-up due at ``due_time`` (default 09:00) local time on ``due_on``,
    ``created_at = now``; one ``follow_up.created`` audit event on the engagement (the note
    redacted); flushed. The engagement's version is not changed.
    Raises ``EngagementNotPermitted`` or ``EngagementError`` (``field`` one of ``due_on``,
    ``due_time``, ``assignee``, ``note``, or None for a closed engagement), adding nothing.
    """
    require_editor(engagement, actor)
    if engagement.status in CLOSED_STATUSES:
        raise EngagementError(
            _(
                "Diese Prozessbegleitung ist „%(status)s“: neue Wiedervorlagen gibt es nur für "
                "geplante, aktive oder pausierte Prozessbegleitungen.",
                status=engagement.status.label,
            )
        )
    _check_due_on(due_on, today=clock.local(now).date(), programme_end=programme_end)
    _check_due_time(due_on, due_time)
    assignee = _active_assignee(session, assignee_id, engagement)
    cleaned = clean_text(note, field="note", max_length=NOTE_MAX_LENGTH)
    follow_up = FollowUp(
        engagement=engagement,
        due_at=due_moment(due_on, due_time),
        kind=kind,
        assignee=assignee,
        status=FollowUpStatus.OFFEN,
        note=cleaned,
        created_at=now,
    )
    session.add(follow_up)
    session.flush()
    record(
        session,
        actor=actor,
        action="follow_up.created",
        object_type="engagement",
        object_id=engagement.id,
        changes={
            "follow_up": follow_up.id,
            "due_at": [None, follow_up.due_at],
            "kind": [None, kind],
            "assignee_id": [None, assignee.id],
            "note": [None, redacted(cleaned)],
        },
        at=now,
    )
    session.flush()
    return follow_up


def _close(session: Session, follow_up: FollowUp, target: FollowUpStatus, now: datetime) -> None:
    """Close ``follow_up`` only if it is still open, in one conditional UPDATE (which also
    raises its calendar event's SEQUENCE); raise ``FollowUpClosed`` when another request
    closed it first."""
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up.id, FollowUp.status == FollowUpStatus.OFFEN)
        .values(status=target, closed_at=now, calendar_sequence=FollowUp.calendar_sequence + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(follow_up, ["status", "closed_at"])
    if result.rowcount != 1:
        raise FollowUpClosed(_closed_message(follow_up))


def _closed_message(follow_up: FollowUp) -> str:
    if follow_up.status is FollowUpStatus.ERLEDIGT:
        return _("Diese Wiedervorlage ist bereits erledigt.")
    return _("Diese Wiedervorlage wurde bereits verworfen.")


def complete_follow_up(
    session: Session, follow_up: FollowUp, *, actor: StaffMember, now: datetime
) -> None:
    """Mark an open follow-up done.

    Before: ``actor`` may edit the follow-up's engagement or is its assignee (the
    engagement's status does not matter: sustainability checks come after its end); the
    follow-up is open.
    After: status ``erledigt``, ``closed_at = now`` (set by a conditional UPDATE, so of two
    concurrent requests only one succeeds); one ``follow_up.completed`` audit event on the
    engagement; flushed.
    Raises ``EngagementNotPermitted`` or ``FollowUpClosed`` (already closed), changing
    nothing.
    """
    if not may_complete(follow_up, actor):
        raise EngagementNotPermitted(
            _(
                "Nur die zuständige Person, das Team der Prozessbegleitung und die "
                "Projektleitung dürfen diese Wiedervorlage erledigen."
            )
        )
    _close(session, follow_up, FollowUpStatus.ERLEDIGT, now)
    record(
        session,
        actor=actor,
        action="follow_up.completed",
        object_type="engagement",
        object_id=follow_up.engagement_id,
        changes={"follow_up": follow_up.id, "status": [FollowUpStatus.OFFEN, follow_up.status]},
        at=now,
    )
    session.flush()


def discard_follow_up(
    session: Session,
    follow_up: FollowUp,
    *,
    actor: StaffMember,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Discard an open follow-up that is no longer needed.

    Before: ``actor`` may edit the follow-up's engagement; the follow-up is open; ``reason``
    (optional) at most ``NOTE_MAX_LENGTH`` characters.
    After: status ``verworfen``, ``closed_at = now`` (a conditional UPDATE, as for
    completing); a given reason is added to the note ("Verworfen: …"); one
    ``follow_up.discarded`` audit event on the engagement (texts redacted); flushed.
    Raises ``EngagementNotPermitted``, ``EngagementError`` (``field="reason"``) or
    ``FollowUpClosed``, changing nothing.
    """
    require_editor(follow_up.engagement, actor)
    cleaned = clean_text(reason, field="reason", max_length=NOTE_MAX_LENGTH)
    _close(session, follow_up, FollowUpStatus.VERWORFEN, now)
    changes: dict[str, object] = {
        "follow_up": follow_up.id,
        "status": [FollowUpStatus.OFFEN, follow_up.status],
    }
    if cleaned is not None:
        before = follow_up.note
        addition = _("Verworfen: %(reason)s", reason=cleaned)
        follow_up.note = f"{before}\n\n{addition}" if before else addition
        changes["note"] = [redacted(before), redacted(follow_up.note)]
    record(
        session,
        actor=actor,
        action="follow_up.discarded",
        object_type="engagement",
        object_id=follow_up.engagement_id,
        changes=changes,
        at=now,
    )
    session.flush()


def edit_follow_up(
    session: Session,
    follow_up: FollowUp,
    *,
    due_on: date,
    due_time: time | None = None,
    assignee_id: int,
    note: str | None,
    actor: StaffMember,
    now: datetime,
    programme_end: date,
    expected_fingerprint: str | None = None,
) -> bool:
    """Change an open follow-up's due day and time, assignee and note.

    Before: ``actor`` may edit the follow-up's engagement; the follow-up is open and, when
    ``expected_fingerprint`` is given, its ``fingerprint`` is that one (both checked on the
    row locked for this transaction, so a concurrent change or close wins or waits); a
    changed due moment lies on a day from today up to six months after ``programme_end`` (an
    overdue follow-up may keep its day while only the note or assignee changes);
    ``due_time`` exists on ``due_on``; ``assignee_id`` is an active staff member who can log
    in; ``note`` at most ``NOTE_MAX_LENGTH`` characters.
    After: the changed values; one ``follow_up.updated`` audit event on the engagement with
    the changed fields (the note redacted), none when nothing changed; flushed. Returns
    whether anything changed.
    Raises ``EngagementNotPermitted``, ``FollowUpClosed``, ``StaleFollowUp`` (changed since
    the form was shown) or ``EngagementError`` (``field`` one of ``due_on``, ``due_time``,
    ``assignee``, ``note``), changing nothing.
    """
    require_editor(follow_up.engagement, actor)
    session.refresh(follow_up, with_for_update=True)
    if follow_up.status is not FollowUpStatus.OFFEN:
        raise FollowUpClosed(_closed_message(follow_up))
    if expected_fingerprint is not None and expected_fingerprint != fingerprint(follow_up):
        raise StaleFollowUp(
            _(
                "Jemand anderes hat diese Wiedervorlage gerade geändert. Ihre Änderung wurde "
                "nicht gespeichert; bitte prüfen Sie den aktuellen Stand und versuchen Sie es "
                "noch einmal."
            )
        )
    _check_due_time(due_on, due_time)
    due_at = due_moment(due_on, due_time)
    if due_at != follow_up.due_at:
        _check_due_on(due_on, today=clock.local(now).date(), programme_end=programme_end)
    assignee = _active_assignee(
        session, assignee_id, follow_up.engagement, keep=follow_up.assignee_id
    )
    cleaned = clean_text(note, field="note", max_length=NOTE_MAX_LENGTH)
    changes: dict[str, object] = {}
    if due_at != follow_up.due_at:
        changes["due_at"] = [follow_up.due_at, due_at]
        follow_up.due_at = due_at
    if assignee.id != follow_up.assignee_id:
        changes["assignee_id"] = [follow_up.assignee_id, assignee.id]
        follow_up.assignee = assignee
    if cleaned != follow_up.note:
        changes["note"] = [redacted(follow_up.note), redacted(cleaned)]
        follow_up.note = cleaned
    if not changes:
        return False
    record(
        session,
        actor=actor,
        action="follow_up.updated",
        object_type="engagement",
        object_id=follow_up.engagement_id,
        changes={"follow_up": follow_up.id, **changes},
        at=now,
    )
    session.flush()
    return True


# -- rescheduling ------------------------------------------------------------------------------


def _mover(follow_up: FollowUp) -> Callable[[date], None]:
    def move(new_date: date) -> None:
        wall = clock.local(follow_up.due_at).time()
        follow_up.due_at = due_moment(new_date, wall)

    return move


def _shift_title(follow_up: FollowUp) -> str:
    title = follow_up.kind.label
    if follow_up.note:
        note = " ".join(follow_up.note.split())
        if len(note) > SHIFT_TITLE_LENGTH:
            note = note[: SHIFT_TITLE_LENGTH - 1] + "…"
        title = f"{title}: {note}"
    return title


@shift_candidates.connect
def follow_up_shift_items(
    engagement: Engagement, *, session: Session, after: date, **_kwargs: object
) -> list[ShiftItem]:
    """The open follow-ups of ``engagement`` due (local date) on or after ``after``, as
    ``ShiftItem``s whose ``move`` keeps the local time of day. One statement."""
    statement = (
        select(FollowUp)
        .where(
            FollowUp.engagement_id == engagement.id,
            FollowUp.status == FollowUpStatus.OFFEN,
            FollowUp.due_at >= clock.start_of_day(after),
        )
        .order_by(FollowUp.due_at, FollowUp.id)
    )
    return [
        ShiftItem(
            kind="follow_up",
            item_id=follow_up.id,
            label=_("Wiedervorlage"),
            title=_shift_title(follow_up),
            due=clock.local(follow_up.due_at).date(),
            move=_mover(follow_up),
        )
        for follow_up in session.scalars(statement)
    ]


@team_left.connect
def hand_over_follow_ups(
    engagement: Engagement,
    *,
    session: Session,
    removed: list[StaffMember],
    lead: StaffMember,
    **_kwargs: object,
) -> dict[str, list[int]] | None:
    """Give the open follow-ups of ``engagement`` assigned to people who left its team to
    its (new) lead; one statement and a flush. Returns their ids for the team change's audit
    event, or None when there were none."""
    follow_ups = list(
        session.scalars(
            select(FollowUp)
            .where(
                FollowUp.engagement_id == engagement.id,
                FollowUp.status == FollowUpStatus.OFFEN,
                FollowUp.assignee_id.in_([member.id for member in removed]),
            )
            .order_by(FollowUp.id)
        )
    )
    for follow_up in follow_ups:
        follow_up.assignee = lead
    session.flush()
    if not follow_ups:
        return None
    return {"follow_ups_reassigned": [follow_up.id for follow_up in follow_ups]}
