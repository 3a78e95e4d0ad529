"""The dashboard: what is due for the logged-in person, and for leads the programme's to-dos.

(The open follow-ups on the engagement page come from ``caseflow.followups.views``.)
"""

from __future__ import annotations

from flask import render_template
from flask_babel import format_number
from flask_login import current_user

from caseflow import clock
from caseflow.engagements.queries import (
    OPEN_STATUSES,
    EngagementFilter,
    EngagementSlice,
    engagement_slice,
)
from caseflow.extensions import db
from caseflow.followups.inbox import latest_unread
from caseflow.portfolio.queries import (
    DASHBOARD_ROWS,
    MILESTONE_HORIZON_DAYS,
    applications_awaiting_decision,
    my_milestones,
    open_follow_ups,
)
from caseflow.portfolio.views.blueprint import bp
from caseflow.staff.access import staff_required
from caseflow.staff.models import Role

# How many of the newest unread notifications the dashboard lists (the rest: the inbox).
DASHBOARD_NOTIFICATIONS = 5


@bp.get("/dashboard")
@staff_required
def dashboard() -> str:
    """The logged-in person's milestones, engagements, follow-ups and newest unread
    notifications; for leads also the applications awaiting a decision and the engagements
    with overdue milestones. Each list shows its first ``DASHBOARD_ROWS`` (the most urgent
    where there is an urgency) with the number of the others and a link to the full list,
    so the page costs the same however much work there is."""
    today = clock.today()
    me = current_user.id
    is_lead = current_user.has_role(Role.LEAD)
    return render_template(
        "portfolio/dashboard.html",
        today=today,
        horizon_days=MILESTONE_HORIZON_DAYS,
        milestones=my_milestones(db.session, me, today=today),
        engagements=engagement_slice(
            db.session,
            EngagementFilter(statuses=OPEN_STATUSES, staff_member_id=me),
            today=today,
            limit=DASHBOARD_ROWS,
        ),
        follow_ups=open_follow_ups(db.session, assignee_id=me),
        notifications=latest_unread(db.session, me, limit=DASHBOARD_NOTIFICATIONS),
        is_lead=is_lead,
        # The full lists behind the shortened ones: a lead's own engagements need "nur meine".
        mine_args={"mine": 1} if is_lead else {},
        format_number=format_number,
        awaiting=applications_awaiting_decision(db.session) if is_lead else {},
        overdue_engagements=(
            engagement_slice(
                db.session,
                EngagementFilter(statuses=OPEN_STATUSES, overdue_only=True),
                today=today,
                limit=DASHBOARD_ROWS,
            )
            if is_lead
            else EngagementSlice(rows=[], total=0)
        ),
    )
