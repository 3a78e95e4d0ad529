"""/capacity: staff × month, and the engagements behind one cell."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import format_date

from caseflow import clock
from caseflow.extensions import db
from caseflow.portfolio.capacity import (
    LimitState,
    capacity_table,
    cell_engagements,
    limit_state,
    parse_month,
)
from caseflow.portfolio.views.blueprint import bp
from caseflow.settings.services import values
from caseflow.staff.access import lead_required
from caseflow.staff.models import StaffMember


@bp.get("/capacity")
@lead_required
def capacity() -> str:
    """Staff × month: running and planned engagements of each person in each programme
    month, cells over ``CAPACITY_LIMIT`` marked."""
    start, end, limit = values("PROGRAMME_START", "PROGRAMME_END", "CAPACITY_LIMIT")
    table = capacity_table(db.session, start=start, end=end, today=clock.today(), limit=limit)
    return render_template(
        "portfolio/capacity.html",
        table=table,
        states=LimitState,
        month_labels=[format_date(month, "MMMM yyyy") for month in table.months],
    )


@bp.get("/capacity/<int:staff_member_id>/<month>")
@lead_required
def capacity_cell(staff_member_id: int, month: str) -> str:
    """The engagements one cell of /capacity counts; 404 for an unknown person or a month
    that is malformed or outside the programme."""
    start, end, limit = values("PROGRAMME_START", "PROGRAMME_END", "CAPACITY_LIMIT")
    first_day = parse_month(month, start=start, end=end)
    member = db.session.get(StaffMember, staff_member_id) if first_day is not None else None
    if first_day is None or member is None:
        abort(404)
    rows = cell_engagements(db.session, staff_member_id, first_day, today=clock.today())
    running = sum(1 for row in rows if not row.is_planned)
    planned = len(rows) - running
    return render_template(
        "portfolio/capacity_cell.html",
        member=member,
        month=first_day,
        month_label=format_date(first_day, "MMMM yyyy"),
        rows=rows,
        running=running,
        planned=planned,
        limit=limit,
        state=limit_state(running, planned, limit),
        states=LimitState,
    )
