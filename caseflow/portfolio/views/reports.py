"""/reports: the programme's key figures."""

from __future__ import annotations

from flask import render_template

from caseflow import clock
from caseflow.engagements.models import BarrierStatus
from caseflow.engagements.queries import (
    engagement_counts_by_status,
)
from caseflow.extensions import db
from caseflow.intake.queries import application_counts_by_status
from caseflow.portfolio.figures import barrier_matrix, milestone_figures, organisations_by_sector
from caseflow.portfolio.views.blueprint import bp
from caseflow.staff.access import lead_required


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
