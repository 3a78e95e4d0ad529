"""The barrier register of an engagement: adding a barrier and changing one (its status
through the transition table) while the engagement is open. A stale edit form is shown
again with what was entered and the current version, nothing saved."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.forms.records import BarrierForm
from caseflow.engagements.models import Barrier, BarrierStatus, Engagement
from caseflow.engagements.services.barriers import (
    add_barrier,
    allowed_barrier_statuses,
    barrier_register,
    barriers_closed_message,
    barriers_editable,
    find_barrier,
    update_barrier,
)
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
)
from caseflow.engagements.views.blueprint import bp
from caseflow.engagements.views.common import (
    acting_member,
    attach,
    load_engagement,
    refused,
    save_change,
    saved,
    shown,
    stale_form,
)
from caseflow.extensions import db
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _

ANCHOR = "barriers-title"


@bp.context_processor
def _barrier_helpers() -> dict[str, Any]:
    """What the register section of the engagement page asks: the counts per category and
    status, and whether the register can still change."""
    return {"barrier_register": barrier_register, "barriers_editable": barriers_editable}


def _render_form(
    engagement: Engagement,
    form: BarrierForm,
    *,
    barrier: Barrier | None = None,
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "engagements/barrier_form.html", engagement=engagement, form=form, barrier=barrier
    )
    return page, status


@bp.route("/engagements/<int:engagement_id>/barriers/new", methods=["GET", "POST"])
@staff_required
def new_barrier(engagement_id: int) -> Response | tuple[str, int]:
    """Add a barrier to the register (the team and leads, while the engagement is open)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    if not barriers_editable(engagement):
        return refused(engagement_id, barriers_closed_message(), ANCHOR)
    form = BarrierForm(
        data=shown(
            {
                "version": engagement.version,
                "status": BarrierStatus.ERKANNT.value,
                "identified_on": clock.today(),
            }
        )
    )
    form.offer(allowed_barrier_statuses(None))
    if request.method == "GET":
        return _render_form(engagement, form)
    if not form.validate_on_submit():
        return _render_form(engagement, form, status=422)
    return save_change(
        engagement_id,
        ANCHOR,
        lambda: add_barrier(
            db.session,
            engagement,
            form.values(),
            actor=acting_member(),
            now=clock.now(),
            today=clock.today(),
        ),
        lambda _result: saved(engagement_id, _("Die Zugangsbarriere wurde erfasst."), ANCHOR),
        form=form,
        again=lambda: _render_form(load_engagement(engagement_id), form, status=422),
    )


@bp.route(
    "/engagements/<int:engagement_id>/barriers/<int:barrier_id>/edit", methods=["GET", "POST"]
)
@staff_required
def edit_barrier(engagement_id: int, barrier_id: int) -> Response | tuple[str, int]:
    """Change a barrier: texts, category, days, and its status along the transition table."""
    engagement = load_engagement(engagement_id, for_edit=True)
    barrier = find_barrier(db.session, engagement, barrier_id)
    if barrier is None:
        abort(404)
    if not barriers_editable(engagement):
        return refused(engagement_id, barriers_closed_message(), ANCHOR)
    form = BarrierForm(
        data=shown(
            {
                "version": engagement.version,
                "category": barrier.category.value,
                "description": barrier.description,
                "status": barrier.status.value,
                "identified_on": barrier.identified_on,
                "resolved_on": barrier.resolved_on,
                "measure_taken": barrier.measure_taken,
            }
        )
    )
    form.offer(allowed_barrier_statuses(barrier.status))
    if request.method == "GET":
        return _render_form(engagement, form, barrier=barrier)
    if not form.validate_on_submit():
        return _render_form(engagement, form, barrier=barrier, status=422)
    try:
        update_barrier(
            db.session,
            barrier,
            form.values(),
            actor=acting_member(),
            now=clock.now(),
            today=clock.today(),
            expected_version=form.expected_version,
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleEngagement, StaleDataError):
        db.session.rollback()
        engagement = load_engagement(engagement_id)
        barrier = find_barrier(db.session, engagement, barrier_id) or barrier
        if not barriers_editable(engagement):
            return refused(engagement_id, barriers_closed_message(), ANCHOR)
        stale_form(form, engagement)
        form.offer(allowed_barrier_statuses(barrier.status))
        return _render_form(engagement, form, barrier=barrier, status=409)
    except EngagementError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        engagement = load_engagement(engagement_id)
        barrier = find_barrier(db.session, engagement, barrier_id) or barrier
        form.offer(allowed_barrier_statuses(barrier.status))
        return _render_form(engagement, form, barrier=barrier, status=422)
    return saved(engagement_id, _("Die Zugangsbarriere wurde geändert."), ANCHOR)
