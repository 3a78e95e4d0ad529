"""/timeline: every engagement on the programme's calendar."""

from __future__ import annotations

from flask import render_template

from caseflow import clock
from caseflow.extensions import db
from caseflow.portfolio.timeline import timeline_groups
from caseflow.portfolio.views.blueprint import bp
from caseflow.staff.access import lead_required


@bp.get("/timeline")
@lead_required
def timeline() -> str:
    """Every engagement, grouped by lead consultant (a table; the chart comes later)."""
    today = clock.today()
    return render_template(
        "portfolio/timeline.html", groups=timeline_groups(db.session, today=today), today=today
    )
