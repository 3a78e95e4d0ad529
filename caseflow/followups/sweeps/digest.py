"""The weekly digest: Monday 08:00 Europe/Berlin, for each consultant with open work."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.engagements.models import (
    Assignment,
    Engagement,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.followups.models import (
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    NotificationPreference,
)
from caseflow.followups.notify import Notice, notify_all
from caseflow.followups.preferences import OFF
from caseflow.followups.sweeps.common import (
    OPEN_STATUSES,
    active_recipient,
    follow_up_of_interest,
    in_language,
    join_recipients,
    local_today,
    page_path,
)
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import ngettext
from caseflow.web.i18n import format_day

DIGEST_HOUR = 8  # Monday, local time
DIGEST_DAYS = 14


# -- weekly digest -----------------------------------------------------------------------------


@dataclass
class _DigestItems:
    """What one person's digest lists: ``(due, organisation, title or kind)`` each."""

    overdue: list[tuple[date, str, str]] = field(default_factory=list)
    upcoming: list[tuple[date, str, str]] = field(default_factory=list)
    follow_ups: list[tuple[datetime, str, FollowUpKind]] = field(default_factory=list)


def digest_week(now: datetime) -> tuple[int, int] | None:
    """The ISO ``(year, week)`` whose digest is due at ``now``: from Monday 08:00 Berlin
    time until the week ends; None before Monday 08:00."""
    local = clock.local(now)
    monday = local.date() - timedelta(days=local.weekday())
    starts = datetime.combine(monday, time(DIGEST_HOUR), tzinfo=clock.timezone())
    if local < starts:
        return None
    year, week, _weekday = monday.isocalendar()
    return year, week


def _digest_recipients(session: Session) -> list[tuple[int, str | None]]:
    """``(id, locale)`` of everyone who gets the digest; one query."""
    on_open_team = exists(
        select(Assignment.id)
        .join(Engagement, Assignment.engagement_id == Engagement.id)
        .where(
            Assignment.staff_member_id == StaffMember.id,
            Engagement.status.in_(OPEN_STATUSES),
        )
    )
    turned_off = exists(
        select(NotificationPreference.staff_member_id).where(
            NotificationPreference.staff_member_id == StaffMember.id,
            NotificationPreference.kind == "digest",
            NotificationPreference.channel == OFF,
        )
    )
    statement = (
        select(StaffMember.id, StaffMember.locale)
        .where(
            StaffMember.is_active.is_(True),
            StaffMember.password_hash.is_not(None),
            StaffMember.email.is_not(None),
            on_open_team,
            ~turned_off,
        )
        .order_by(StaffMember.id)
    )
    return [(staff_id, locale) for staff_id, locale in session.execute(statement)]


def _digest_items(session: Session, today: date) -> dict[int, _DigestItems]:
    """Everyone's overdue and coming milestones and open follow-ups; two queries. An item
    belongs to its owner (assignee) when active, else to the engagement's lead when active,
    else to nobody (``caseflow.followups.sweeps.common.active_recipient``)."""
    window_end = today + timedelta(days=DIGEST_DAYS)
    items: dict[int, _DigestItems] = defaultdict(_DigestItems)
    recipient_id, _locale = active_recipient()
    milestones = (
        join_recipients(
            select(
                recipient_id,
                Milestone.due_date,
                Organisation.name,
                Milestone.title,
            )
            .join(Phase, Milestone.phase_id == Phase.id)
            .join(Engagement, Phase.engagement_id == Engagement.id)
            .join(Organisation, Engagement.organisation_id == Organisation.id),
            Milestone.owner_id,
        )
        .where(
            Milestone.status == MilestoneStatus.OFFEN,
            Engagement.status.in_(OPEN_STATUSES),
            Milestone.due_date < window_end,
        )
        .order_by(Milestone.due_date, Organisation.name, Milestone.title, Milestone.id)
    )
    for staff_id, due, organisation, title in session.execute(milestones):
        if staff_id is None:
            continue
        entries = items[staff_id].overdue if due < today else items[staff_id].upcoming
        entries.append((due, organisation, title))
    follow_ups = (
        join_recipients(
            select(
                recipient_id,
                FollowUp.due_at,
                Organisation.name,
                FollowUp.kind,
            )
            .join(Engagement, FollowUp.engagement_id == Engagement.id)
            .join(Organisation, Engagement.organisation_id == Organisation.id),
            FollowUp.assignee_id,
        )
        .where(
            FollowUp.status == FollowUpStatus.OFFEN,
            FollowUp.due_at < clock.start_of_day(window_end),
            follow_up_of_interest(),
        )
        .order_by(FollowUp.due_at, Organisation.name, FollowUp.id)
    )
    for staff_id, due_at, organisation, kind in session.execute(follow_ups):
        if staff_id is not None:
            items[staff_id].follow_ups.append((due_at, organisation, kind))
    return items


def _digest_summary(week: int, items: _DigestItems) -> str:
    """The one-line summary (in the current locale)."""
    return _(
        "Wochenübersicht KW %(week)s: %(upcoming)s, %(overdue)s, %(follow_ups)s",
        week=week,
        upcoming=ngettext(
            "%(num)s Meilenstein in den nächsten zwei Wochen",
            "%(num)s Meilensteine in den nächsten zwei Wochen",
            len(items.upcoming),
        ),
        overdue=_("%(num)s überfällig", num=len(items.overdue)),
        follow_ups=ngettext(
            "%(num)s offene Wiedervorlage",
            "%(num)s offene Wiedervorlagen",
            len(items.follow_ups),
        ),
    )


def _digest_body(week: int, items: _DigestItems) -> str:
    """The full plain-text digest (in the current locale): one line per entry with day,
    organisation and title; no contact persons."""

    def section(heading: str, lines: list[str]) -> list[str]:
        return [heading, *(lines or [_("– keine –")]), ""]

    def line(day: date | datetime, organisation: str, title: str) -> str:
        return f"- {format_day(day)} · {organisation} · {title}"

    parts = [_digest_summary(week, items), ""]
    parts += section(_("Überfällige Meilensteine:"), [line(*entry) for entry in items.overdue])
    parts += section(
        _("Meilensteine in den nächsten zwei Wochen:"),
        [line(*entry) for entry in items.upcoming],
    )
    parts += section(
        _("Offene Wiedervorlagen:"),
        [line(due_at, organisation, kind.label) for due_at, organisation, kind in items.follow_ups],
    )
    return "\n".join(parts).rstrip() + "\n"


def weekly_digest(session: Session, now: datetime) -> int:
    """Send this ISO week's digest, from Monday 08:00 Berlin time on, to everyone who gets
    one (see the module docstring); once per person and week. Five statements whatever the
    number of people (recipients, milestones, follow-ups, insert, superseding last week's
    unread digest)."""
    due = digest_week(now)
    if due is None:
        return 0
    year, week = due
    recipients = _digest_recipients(session)
    if not recipients:
        return 0
    everything = _digest_items(session, local_today(now))
    link = page_path("portfolio.dashboard")
    notices = []
    for staff_id, locale in recipients:
        items = everything.get(staff_id) or _DigestItems()
        with in_language(locale):
            notices.append(
                Notice(
                    recipient_id=staff_id,
                    kind="digest",
                    text=_digest_summary(week, items),
                    link=link,
                    dedup_key=f"digest:{staff_id}:{year}-W{week:02d}",
                    topic="digest",
                    body=_digest_body(week, items),
                )
            )
    return notify_all(session, notices, now=now)
