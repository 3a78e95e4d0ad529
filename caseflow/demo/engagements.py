"""The demo engagements: planned when decided, then brought to their state on demo day."""

from __future__ import annotations

from datetime import date, timedelta

from caseflow import clock
from caseflow.demo.context import (
    DECIDING_LEAD,
    DEMO_TODAY,
    ONE_DAY,
    Demo,
    DemoError,
    Entry,
    at,
    demo_morning,
    parse_day,
    parse_moment,
)
from caseflow.demo.progress import record_progress
from caseflow.engagements.models import CLOSED_STATUSES, Engagement, EngagementStatus
from caseflow.engagements.rules import ProgrammeWindow
from caseflow.engagements.services import plan_engagement
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus

# DiFair's funding period; the demo tells its story inside it whatever the app is configured to.
DEMO_WINDOW = ProgrammeWindow(start=date(2024, 4, 1), end=date(2026, 7, 31))


def create_engagements(demo: Demo) -> None:
    """Plan every engagement when it was decided, then bring it to its state on demo day."""
    # plan_engagement flushes what it creates; the later states go in with one flush.
    with demo.session.no_autoflush:
        for spec in demo.programme["engagements"]:
            engagement = _plan(demo, spec)
            demo.engagements[spec["org"]] = engagement
            _set_status(engagement, spec)
            horizon = _horizon(spec)
            if horizon is not None:
                record_progress(demo, engagement, spec, horizon)
            _add_follow_ups(demo, engagement, spec)
    demo.session.flush()


def _plan(demo: Demo, spec: Entry) -> Engagement:
    accepted = demo.accepted_application(spec["org"])
    if accepted is None:
        raise DemoError(f"Demodaten: keine angenommene Bewerbung für „{spec['org']}“.")
    with clock.frozen(parse_moment(accepted["decided"])) as decided_at:
        return plan_engagement(
            demo.session,
            organisation=demo.organisations[spec["org"]],
            start_date=parse_day(spec["start"]),
            planned_end_date=parse_day(spec["end"]),
            lead=demo.member(spec["lead"]),
            co_consultants=[demo.member(name) for name in spec["co"]],
            window=DEMO_WINDOW,
            actor=demo.member(DECIDING_LEAD),
            now=decided_at,
            template=demo.template,
        )


def _set_status(engagement: Engagement, spec: Entry) -> None:
    status = EngagementStatus(spec["status"])
    engagement.status = status
    engagement.status_reason = spec.get("status_reason")
    if status in CLOSED_STATUSES:
        engagement.actual_end_date = parse_day(spec.get("actual_end", spec["end"]))
        engagement.status_changed_at = at(engagement.actual_end_date, 16)
    elif status is EngagementStatus.PAUSIERT:
        engagement.status_changed_at = at(parse_day(spec["status_since"]), 10)
    elif status is EngagementStatus.AKTIV:
        engagement.status_changed_at = at(engagement.start_date, 9)


def _horizon(spec: Entry) -> date | None:
    """The last day work happened in the engagement (None: it has not begun)."""
    status = EngagementStatus(spec["status"])
    if status is EngagementStatus.GEPLANT:
        return None
    if status in CLOSED_STATUSES:
        return parse_day(spec.get("actual_end", spec["end"]))
    if status is EngagementStatus.PAUSIERT:
        return parse_day(spec["status_since"])
    return DEMO_TODAY - ONE_DAY


# --- follow-ups -------------------------------------------------------------------------


def _add_follow_ups(demo: Demo, engagement: Engagement, spec: Entry) -> None:
    """Check-ins for the lead consultant, created two weeks ahead (at the latest today)."""
    for entry in spec.get("followups", ()):
        due_at = parse_moment(entry["due"])
        demo.session.add(
            FollowUp(
                engagement=engagement,
                due_at=due_at,
                kind=FollowUpKind.CHECK_IN,
                assignee=engagement.lead,
                status=FollowUpStatus(entry.get("status", FollowUpStatus.OFFEN)),
                note=entry["note"],
                created_at=min(due_at - timedelta(days=14), demo_morning()),
                closed_at=parse_moment(entry["closed"]) if "closed" in entry else None,
            )
        )
