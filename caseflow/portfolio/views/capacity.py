"""/capacity: staff × month."""

from __future__ import annotations

from flask import current_app, render_template

from caseflow.extensions import db
from caseflow.portfolio.capacity import capacity_table
from caseflow.portfolio.views.blueprint import bp
from caseflow.staff.access import lead_required


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
