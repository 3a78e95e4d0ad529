"""Read-only portfolio pages: the dashboard, timeline, capacity and reports.

(The open follow-ups on the engagement page come from ``caseflow.followups.views``.)
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from caseflow import clock
from caseflow.engagements.models import BarrierStatus
from caseflow.engagements.queries import (
    OPEN_STATUSES,
    engagement_counts_by_status,
    list_engagements,
)
from caseflow.extensions import db
from caseflow.followups.inbox import latest_unread
from caseflow.intake.queries import application_counts_by_status
from caseflow.portfolio.queries import (
    MILESTONE_HORIZON_DAYS,
    applications_awaiting_decision,
    barrier_matrix,
    capacity_table,
    milestone_figures,
    my_milestones,
    open_follow_ups,
    organisations_by_sector,
    timeline_groups,
)
from caseflow.staff.access import lead_required, staff_required
from caseflow.staff.models import Role

bp = Blueprint("portfolio", __name__)

# How many of the newest unread notifications the dashboard lists (the rest: the inbox).
DASHBOARD_NOTIFICATIONS = 5


@bp.get("/dashboard")
@staff_required
def dashboard() -> str:
    """The logged-in person's milestones, engagements, follow-ups and newest unread
    notifications; for leads also the applications awaiting a decision and the engagements
    with overdue milestones."""
    today = clock.today()
    me = current_user.id
    is_lead = current_user.has_role(Role.LEAD)
    return render_template(
        "portfolio/dashboard.html",
        today=today,
        horizon_days=MILESTONE_HORIZON_DAYS,
        milestones=my_milestones(db.session, me, today=today),
        engagements=list_engagements(
            db.session, today=today, statuses=OPEN_STATUSES, staff_member_id=me
        ),
        follow_ups=open_follow_ups(db.session, assignee_id=me),
        notifications=latest_unread(db.session, me, limit=DASHBOARD_NOTIFICATIONS),
        is_lead=is_lead,
        awaiting=applications_awaiting_decision(db.session) if is_lead else {},
        overdue_engagements=(
            list_engagements(db.session, today=today, statuses=OPEN_STATUSES, overdue_only=True)
            if is_lead
            else []
        ),
    )


@bp.get("/timeline")
@lead_required
def timeline() -> str:
    """Every engagement, grouped by lead consultant (a table; the chart comes later)."""
    today = clock.today()
    return render_template(
        "portfolio/timeline.html", groups=timeline_groups(db.session, today=today), today=today
    )


@bp.get("/capacity")
@lead_required
def capacity() -> str:
    """Staff × month: how many engagements each person has in each programme month."""
    table = capacity_table(
        db.session,
        start=current_app.config["PROGRAMME_START"],
        end=current_app.config["PROGRAMME_END"],
    )
    return render_template("portfolio/capacity.html", table=table)


@bp.get("/reports")
@lead_required
def reports() -> str:
    """Key figures of the programme as tables."""
    today = clock.today()
    return render_template(
        "portfolio/reports.html",
        today=today,
        applications=application_counts_by_status(db.session),
        engagements=engagement_counts_by_status(db.session),
        sectors=organisations_by_sector(db.session),
        milestones=milestone_figures(db.session, today=today),
        barriers=barrier_matrix(db.session),
        barrier_statuses=list(BarrierStatus),
    )
