"""``/engagements/<id>``: the page that answers "where are we?", and its status moves."""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.forms import StatusForm
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Engagement,
    EngagementStatus,
    MilestoneStatus,
)
from caseflow.engagements.queries import engagement_detail
from caseflow.engagements.services import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
    change_status,
    may_edit,
)
from caseflow.engagements.services.milestones import phase_states
from caseflow.engagements.transitions import TransitionError, allowed_transitions
from caseflow.engagements.views.blueprint import bp, engagement_sections, milestone_notes
from caseflow.engagements.views.common import (
    acting_member,
    attach,
    load_engagement,
    refused,
    require_view,
    saved,
    stale_message,
)
from caseflow.extensions import db
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _
from caseflow.web.sections import contributions


def _status_forms(engagement: Engagement, posted: StatusForm | None) -> list[StatusForm]:
    """One form per move the transition table offers; ``posted`` (sent back with its
    errors) in place of the fresh one for its target."""
    return [
        posted
        if posted is not None and posted.target.data == target.value
        else StatusForm(
            prefix="status",
            formdata=None,
            data={"target": target.value, "version": engagement.version},
        )
        for target in allowed_transitions(engagement.status)
    ]


def _render_page(
    engagement_id: int, *, status: int = 200, status_form: StatusForm | None = None
) -> tuple[str, int]:
    today = clock.today()
    found = engagement_detail(db.session, engagement_id, today=today)
    engagement = require_view(found.engagement if found is not None else None)
    sections = contributions(engagement_sections, engagement, session=db.session, today=today)
    notes = contributions(milestone_notes, engagement, session=db.session, today=today)
    can_edit = may_edit(engagement, acting_member())
    page = render_template(
        "engagements/detail.html",
        detail=found,
        sections=sections,
        milestone_notes=notes,
        today=today,
        can_edit=can_edit,
        status_forms=_status_forms(engagement, status_form) if can_edit else [],
        statuses=EngagementStatus,
        milestone_statuses=MilestoneStatus,
        closed_statuses=CLOSED_STATUSES,
        phase_states=phase_states(engagement),
    )
    return page, status


@bp.get("/engagements/<int:engagement_id>")
@staff_required
def detail(engagement_id: int) -> tuple[str, int]:
    """One engagement: team, phases with milestones, activities, barriers, history."""
    return _render_page(engagement_id)


@bp.post("/engagements/<int:engagement_id>/status")
@staff_required
def set_status(engagement_id: int) -> Response | tuple[str, int]:
    """Move the engagement to another status (start, pause, resume, complete, cancel)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    form = StatusForm(prefix="status")
    if not form.validate_on_submit():
        if form.target.errors:  # not a move the page offers: a tampered form
            return refused(
                engagement_id, " ".join(str(m) for m in form.target.errors), "status-title"
            )
        if form.target_status not in allowed_transitions(engagement.status):
            # Shown on a state that has changed since; its form is no longer on the page.
            return refused(
                engagement_id, " ".join(form.form_errors) or stale_message(), "status-title"
            )
        return _render_page(engagement_id, status=422, status_form=form)
    target = form.target_status
    try:
        change_status(
            db.session,
            engagement,
            target,
            actor=acting_member(),
            now=clock.now(),
            reason=form.reason.data,
            expected_version=form.expected_version,
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleEngagement, StaleDataError):
        return refused(engagement_id, stale_message(), "status-title")
    except TransitionError as error:
        return refused(engagement_id, str(error), "status-title")
    except EngagementError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        return _render_page(engagement_id, status=422, status_form=form)
    return saved(
        engagement_id, _("Der Status ist jetzt „%(status)s“.", status=target.label), "status-title"
    )
