"""/engagements/<id>/export: one engagement as a printable page for the client organisation."""

from __future__ import annotations

from email.utils import parseaddr

from flask import abort, current_app, render_template

from caseflow import clock
from caseflow.engagements.models import CLOSED_STATUSES
from caseflow.extensions import db
from caseflow.portfolio.handout import engagement_handout
from caseflow.portfolio.views.blueprint import bp
from caseflow.staff.access import staff_required


@bp.get("/engagements/<int:engagement_id>/export")
@staff_required
def engagement_export(engagement_id: int) -> str:
    """The handout of one engagement (every staff member may read every engagement, as on
    the engagement page); staff-internal notes are left out (see ``portfolio.handout``)."""
    handout = engagement_handout(db.session, engagement_id)
    if handout is None:
        abort(404)
    return render_template(
        "portfolio/handout.html",
        handout=handout,
        engagement=handout.engagement,
        today=clock.today(),
        closed_statuses=CLOSED_STATUSES,
        contact_email=contact_email(),
    )


def contact_email() -> str:
    """The address the handout names for questions: the one caseflow sends its mail from
    (``MAIL_DEFAULT_SENDER``, ``Name <address>``); empty when none is configured."""
    return parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
