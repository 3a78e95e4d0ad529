"""/engagements/<id>/export: one engagement as a printable page for the client organisation."""

from __future__ import annotations

from email.utils import parseaddr

from flask import render_template

from caseflow import clock
from caseflow.engagements.models import CLOSED_STATUSES
from caseflow.engagements.views.common import require_view
from caseflow.extensions import db
from caseflow.portfolio.handout import engagement_handout
from caseflow.portfolio.views.blueprint import bp, handout_sections
from caseflow.settings.services import current as current_setting
from caseflow.staff.access import staff_required
from caseflow.web.sections import contributions


@bp.get("/engagements/<int:engagement_id>/export")
@staff_required
def engagement_export(engagement_id: int) -> str:
    """The handout of one engagement, for whoever may see the engagement page (404 for
    anyone else, ``require_view``); staff-internal notes are left out (see
    ``portfolio.handout``). Features above add their sections (``handout_sections``)."""
    handout = engagement_handout(db.session, engagement_id)
    require_view(handout.engagement if handout is not None else None)
    return render_template(
        "portfolio/handout.html",
        handout=handout,
        engagement=handout.engagement,
        today=clock.today(),
        closed_statuses=CLOSED_STATUSES,
        contact_email=contact_email(),
        sections=contributions(handout_sections, handout.engagement, session=db.session),
    )


def contact_email() -> str:
    """The address the handout names for questions: the one caseflow sends its mail from
    (``MAIL_DEFAULT_SENDER``, ``Name <address>``); empty when none is configured."""
    return parseaddr(current_setting("MAIL_DEFAULT_SENDER") or "")[1]
