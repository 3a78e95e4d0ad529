"""Activities of an engagement: meetings, workshops, trainings, calls and notes.

Decisions (issue 4, point 9):

- Activities may be logged on every engagement the actor may edit, closed ones included: a
  final talk after completion happens and belongs to the record. Their day lies between
  ``ACTIVITY_SLACK_DAYS`` before the engagement's start (preparation talks) and today.
- Only the author of an activity may change or delete it, and only while they may still
  edit the engagement: an author who has left the team (and is no lead) no longer may.

Versions (fix C2, point 3): logging an activity conflicts with nothing, so it checks no
version and bumps none. Activities are their author's own rows: changing or deleting one
checks the version the form was shown with but bumps none, so it never makes anyone else's
form stale. Every change writes one audit event on the engagement; the note appears there
only redacted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import format_number
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from caseflow.audit.models import AuditEvent
from caseflow.audit.services import record, redacted
from caseflow.engagements.models import Activity, ActivityKind, Engagement
from caseflow.engagements.services.common import (
    RECORD_TEXT_MAX_LENGTH,
    EngagementError,
    EngagementNotPermitted,
    check_version,
    clean_text,
    may_edit,
    require_editor,
)
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _

ACTIVITY_SLACK_DAYS = 90
MAX_DURATION_MINUTES = 1440
MAX_PARTICIPANTS = 999


@dataclass(frozen=True)
class ActivityInput:
    """What a consultant enters about an activity (read from the form by the view)."""

    kind: ActivityKind
    occurred_on: date
    duration_minutes: int | None = None
    participants_count: int | None = None
    staff_ids: Collection[int] = field(default_factory=tuple)
    note: str | None = None


# --- reading -----------------------------------------------------------------------------


def activities_of(session: Session, engagement_id: int) -> list[Activity]:
    """Every activity of the engagement, newest first, with author and staff (two
    statements, whatever the number of activities)."""
    return list(
        session.scalars(
            select(Activity)
            .where(Activity.engagement_id == engagement_id)
            .options(joinedload(Activity.author), selectinload(Activity.staff))
            .order_by(Activity.occurred_on.desc(), Activity.id.desc())
        )
    )


def find_activity(session: Session, engagement: Engagement, activity_id: int) -> Activity | None:
    """The activity ``activity_id`` if it belongs to ``engagement``, else None."""
    activity = session.get(Activity, activity_id)
    if activity is None or activity.engagement_id != engagement.id:
        return None
    return activity


def staff_choices(
    session: Session, engagement: Engagement, activity: Activity | None = None
) -> list[StaffMember]:
    """Who can be named as involved in an activity: the engagement's team, every active staff
    member, and whoever the activity already names; sorted by name. One statement."""
    team_ids = {assignment.staff_member_id for assignment in engagement.assignments}
    current_ids = {member.id for member in activity.staff} if activity is not None else set()
    return list(
        session.scalars(
            select(StaffMember)
            .where(
                or_(
                    StaffMember.is_active.is_(True),
                    StaffMember.id.in_(sorted(team_ids | current_ids)),
                )
            )
            .order_by(StaffMember.name, StaffMember.id)
        )
    )


def _is_author(activity: Activity, member: StaffMember) -> bool:
    return activity.author_id is not None and activity.author_id == member.id


def may_change_activity(activity: Activity, member: StaffMember) -> bool:
    """Whether ``member`` may change or delete ``activity``: its author, while they may still
    edit the engagement (on its team, or a lead or admin)."""
    return _is_author(activity, member) and may_edit(activity.engagement, member)


def activity_refusal(activity: Activity, member: StaffMember, not_author: str) -> str | None:
    """Why ``member`` may not change or delete ``activity`` (``not_author`` when they did not
    write it, ``left_team_message()`` when they wrote it but may no longer edit the
    engagement), or None when they may."""
    if not _is_author(activity, member):
        return not_author
    if not may_edit(activity.engagement, member):
        return left_team_message()
    return None


# --- checks ------------------------------------------------------------------------------


def _check_number(value: int | None, *, maximum: int, field: str, message: str) -> None:
    if value is not None and not 0 <= value <= maximum:
        raise EngagementError(message, field=field)


def _duration_message() -> str:
    return _(
        "Bitte geben Sie die Dauer als ganze Zahl von 0 bis %(max)s Minuten an.",
        max=format_number(MAX_DURATION_MINUTES),
    )


def _participants_message() -> str:
    return _(
        "Bitte geben Sie die Zahl der Teilnehmenden als ganze Zahl von 0 bis %(max)s an.",
        max=format_number(MAX_PARTICIPANTS),
    )


def _check_activity_day(engagement: Engagement, occurred_on: date, today: date) -> None:
    earliest = engagement.start_date - timedelta(days=ACTIVITY_SLACK_DAYS)
    if occurred_on > today:
        raise EngagementError(
            _("Aktivitäten können erst erfasst werden, wenn sie stattgefunden haben."),
            field="occurred_on",
        )
    if occurred_on < earliest:
        raise EngagementError(
            _(
                "Das Datum darf höchstens %(days)s Tage vor dem Beginn der Prozessbegleitung "
                "liegen, also nicht vor dem %(earliest)s.",
                days=ACTIVITY_SLACK_DAYS,
                earliest=earliest.strftime("%d.%m.%Y"),
            ),
            field="occurred_on",
        )


def _involved_staff(
    session: Session,
    engagement: Engagement,
    staff_ids: Collection[int],
    already: Sequence[StaffMember],
) -> list[StaffMember]:
    wanted = set(staff_ids)
    if not wanted:
        return []
    found = list(session.scalars(select(StaffMember).where(StaffMember.id.in_(sorted(wanted)))))
    team_ids = {assignment.staff_member_id for assignment in engagement.assignments}
    already_ids = {member.id for member in already}
    allowed = [
        member
        for member in found
        if member.is_active or member.id in team_ids or member.id in already_ids
    ]
    if len(allowed) != len(wanted):
        raise EngagementError(
            _("Bitte wählen Sie nur Personen aus der Liste der Mitarbeitenden."), field="staff"
        )
    return sorted(allowed, key=lambda member: (member.name, member.id))


def _clean_activity(
    session: Session,
    engagement: Engagement,
    values: ActivityInput,
    *,
    today: date,
    already: Sequence[StaffMember] = (),
) -> tuple[str | None, list[StaffMember]]:
    """Check ``values``; return the cleaned note and the staff involved."""
    _check_activity_day(engagement, values.occurred_on, today)
    _check_number(
        values.duration_minutes,
        maximum=MAX_DURATION_MINUTES,
        field="duration_minutes",
        message=_duration_message(),
    )
    _check_number(
        values.participants_count,
        maximum=MAX_PARTICIPANTS,
        field="participants_count",
        message=_participants_message(),
    )
    note = clean_text(values.note, field="note", max_length=RECORD_TEXT_MAX_LENGTH)
    staff = _involved_staff(session, engagement, values.staff_ids, already)
    return note, staff


def _require_changer(activity: Activity, actor: StaffMember, not_author: str) -> None:
    refusal = activity_refusal(activity, actor, not_author)
    if refusal is not None:
        raise EngagementNotPermitted(refusal)


def change_activity_message() -> str:
    """Why someone else than the author may not change an activity."""
    return _("Nur die Person, die die Aktivität erfasst hat, kann sie ändern.")


def delete_activity_message() -> str:
    """Why someone else than the author may not delete an activity."""
    return _("Nur die Person, die die Aktivität erfasst hat, kann sie löschen.")


def left_team_message() -> str:
    """Why the author of an activity may no longer change or delete it."""
    return _("Sie gehören nicht mehr zum Team dieser Prozessbegleitung.")


def activity_was_deleted(session: Session, engagement: Engagement, activity_id: int) -> bool:
    """Whether an activity ``activity_id`` of ``engagement`` was deleted (its
    ``activity.deleted`` event is in the engagement's audit trail). One statement."""
    deleted = session.scalars(
        select(AuditEvent.changes).where(
            AuditEvent.object_type == "engagement",
            AuditEvent.object_id == engagement.id,
            AuditEvent.action == "activity.deleted",
        )
    )
    return any(changes.get("activity") == activity_id for changes in deleted)


# --- changes -----------------------------------------------------------------------------


def log_activity(
    session: Session,
    engagement: Engagement,
    values: ActivityInput,
    *,
    actor: StaffMember,
    now: datetime,
    today: date,
) -> Activity:
    """Log an activity of ``engagement`` with ``actor`` as its author.

    Before: ``actor`` may edit the engagement (closed engagements included); ``occurred_on``
    lies from ``ACTIVITY_SLACK_DAYS`` before the start to ``today``; duration 0–1440 minutes
    and participants 0–999 when given; the staff involved are on the team or active; the note
    at most 5,000 characters. No version is checked: a new activity conflicts with nothing.
    After: the new activity (author ``actor``, ``created_at = now``); the engagement's version
    unchanged (open forms of others stay valid); one ``activity.created`` audit event (note
    redacted); flushed. Raises ``EngagementNotPermitted`` or ``EngagementError`` (with the
    field), changing nothing.
    """
    require_editor(engagement, actor)
    note, staff = _clean_activity(session, engagement, values, today=today)
    activity = Activity(
        engagement=engagement,
        occurred_on=values.occurred_on,
        kind=values.kind,
        duration_minutes=values.duration_minutes,
        participants_count=values.participants_count,
        note=note,
        author=actor,
        created_at=now,
        staff=staff,
    )
    session.add(activity)
    session.flush()
    record(
        session,
        actor=actor,
        action="activity.created",
        object_type="engagement",
        object_id=engagement.id,
        changes={
            "activity": activity.id,
            "kind": activity.kind,
            "occurred_on": activity.occurred_on,
            "duration_minutes": activity.duration_minutes,
            "participants_count": activity.participants_count,
            "staff": [member.id for member in staff],
            "note": redacted(note),
        },
        at=now,
    )
    session.flush()
    return activity


def update_activity(
    session: Session,
    activity: Activity,
    values: ActivityInput,
    *,
    actor: StaffMember,
    now: datetime,
    today: date,
    expected_version: int | None = None,
) -> None:
    """Change ``activity`` to ``values``.

    Before: ``actor`` is the activity's author and may still edit the engagement (an author
    who has left the team is refused with ``left_team_message()``); the form was shown on the
    engagement's current version; the same rules as ``log_activity`` hold (people already
    named stay allowed even when no longer active).
    After: the activity changed; the engagement's version unchanged (an activity is its
    author's own row); one ``activity.updated`` audit event with the changed fields as
    ``[old, new]`` (the note redacted) — none when nothing changed; flushed. Raises
    ``EngagementNotPermitted``, ``StaleEngagement`` or ``EngagementError``, changing nothing.
    """
    engagement = activity.engagement
    _require_changer(activity, actor, change_activity_message())
    check_version(engagement, expected_version)
    note, staff = _clean_activity(session, engagement, values, today=today, already=activity.staff)
    changes: dict[str, Any] = {}
    for name, new in (
        ("kind", values.kind),
        ("occurred_on", values.occurred_on),
        ("duration_minutes", values.duration_minutes),
        ("participants_count", values.participants_count),
    ):
        old = getattr(activity, name)
        if old != new:
            changes[name] = [old, new]
            setattr(activity, name, new)
    if activity.note != note:
        changes["note"] = [redacted(activity.note), redacted(note)]
        activity.note = note
    old_staff = [member.id for member in activity.staff]
    new_staff = [member.id for member in staff]
    if sorted(old_staff) != sorted(new_staff):
        changes["staff"] = [old_staff, new_staff]
        activity.staff = staff
    if not changes:
        return
    record(
        session,
        actor=actor,
        action="activity.updated",
        object_type="engagement",
        object_id=engagement.id,
        changes={"activity": activity.id, **changes},
        at=now,
    )
    session.flush()


def delete_activity(
    session: Session,
    activity: Activity,
    *,
    actor: StaffMember,
    now: datetime,
    expected_version: int | None = None,
) -> None:
    """Delete ``activity``.

    Before: ``actor`` is its author and may still edit the engagement (an author who has
    left the team is refused with ``left_team_message()``); the form was shown on the
    engagement's current version.
    After: the activity and its staff links are gone; the engagement's version unchanged;
    one ``activity.deleted`` audit event (kind and day kept, the note redacted); flushed.
    Raises ``EngagementNotPermitted`` or ``StaleEngagement``, changing nothing.
    """
    engagement = activity.engagement
    _require_changer(activity, actor, delete_activity_message())
    check_version(engagement, expected_version)
    record(
        session,
        actor=actor,
        action="activity.deleted",
        object_type="engagement",
        object_id=engagement.id,
        changes={
            "activity": activity.id,
            "kind": activity.kind,
            "occurred_on": activity.occurred_on,
            "note": redacted(activity.note),
        },
        at=now,
    )
    session.delete(activity)
    session.flush()
