"""The staff's application list (``/applications``)."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from caseflow.extensions import db
from caseflow.intake.models import ApplicationRound, ApplicationStatus
from caseflow.intake.queries import list_applications, list_rounds
from caseflow.intake.views.blueprint import bp
from caseflow.staff.access import staff_required
from caseflow.web.filters import enum_filter


def _round_filter(
    raw: str | None, rounds: list[ApplicationRound], notes: list[str]
) -> ApplicationRound | None:
    if not raw:
        return None
    chosen = next((round_ for round_ in rounds if str(round_.id) == raw.strip()), None)
    if chosen is None:
        notes.append(
            _(
                "Die Bewerbungsrunde „%(value)s“ gibt es nicht; der Filter wurde ignoriert.",
                value=raw,
            )
        )
    return chosen


@bp.get("/applications")
@staff_required
def applications() -> str:
    """All applications, filterable by status and round."""
    notes: list[str] = []
    rounds = list_rounds(db.session)
    status = enum_filter(request.args.get("status"), ApplicationStatus, notes)
    round_ = _round_filter(request.args.get("round"), rounds, notes)
    rows = list_applications(
        db.session,
        statuses=[status] if status is not None else None,
        round_id=round_.id if round_ is not None else None,
    )
    return render_template(
        "intake/applications.html",
        rows=rows,
        rounds=rounds,
        statuses=list(ApplicationStatus),
        selected_status=status,
        selected_round=round_,
        notes=notes,
    )
