"""Milestones and phases of an engagement: complete, reopen, drop, edit and add milestones,
and begin the next phase. Each change is made through one service in
``caseflow.engagements.services.milestones``; a stale form is refused with a flash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.forms.common import VERSION_MESSAGE, VersionedForm
from caseflow.engagements.forms.milestones import (
    AddMilestoneForm,
    CompleteMilestoneForm,
    DropMilestoneForm,
    MilestoneForm,
    VersionOnlyForm,
)
from caseflow.engagements.models import Engagement, Milestone, Phase
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
)
from caseflow.engagements.services.milestones import (
    add_milestone,
    complete_milestone,
    drop_milestone,
    edit_milestone,
    owner_candidates,
    reopen_milestone,
    require_completable,
    require_droppable,
    require_open,
    start_phase,
)
from caseflow.engagements.views.blueprint import bp
from caseflow.engagements.views.common import (
    acting_member,
    attach,
    load_engagement,
    page_url,
    refused,
    stale_message,
)
from caseflow.extensions import db
from caseflow.staff.access import staff_required

Page = Response | tuple[str, int]


def _milestone_of(engagement_id: int, milestone_id: int) -> Milestone:
    """The milestone of the engagement (404 when either is unknown or the milestone belongs
    to another engagement; 403 unless the acting member may edit)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.phase.engagement_id != engagement.id:
        abort(404)
    return milestone


def _phase_of(engagement_id: int, phase_id: int) -> Phase:
    """The phase of the engagement (404 / 403 as ``_milestone_of``)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    phase = db.session.get(Phase, phase_id)
    if phase is None or phase.engagement_id != engagement.id:
        abort(404)
    return phase


def _anchor(milestone: Milestone) -> str:
    return f"milestone-{milestone.id}"


def _render(
    template: str, engagement: Engagement, form: VersionedForm, status: int, **context: Any
) -> Page:
    page = render_template(
        f"engagements/{template}", engagement=engagement, form=form, today=clock.today(), **context
    )
    return page, status


def _fresh(form: VersionedForm, engagement: Engagement) -> None:
    """Fill a form shown for the first time with the engagement's current version."""
    form.version.data = str(engagement.version)


def _check_before_form(*checks: Callable[[], None]) -> str | None:
    """The refusal message when the form may not be shown at all (closed engagement, a
    milestone in the wrong status), else None."""
    try:
        for check in checks:
            check()
    except EngagementError as error:
        return str(error)
    return None


def _apply(
    engagement_id: int,
    anchor: str,
    change: Callable[[], None],
    on_field_error: Callable[[EngagementError], Page] | None = None,
) -> Page | None:
    """Run ``change`` (one service call) and commit; the answer to a refusal, or None when
    the change was made. A message for a field goes to ``on_field_error(error)``."""
    try:
        change()
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleEngagement, StaleDataError):
        return refused(engagement_id, stale_message(), anchor)
    except EngagementError as error:
        if on_field_error is not None and error.field is not None:
            db.session.rollback()
            return on_field_error(error)
        return refused(engagement_id, str(error), anchor)
    return None


@bp.route(
    "/engagements/<int:engagement_id>/milestones/<int:milestone_id>/complete",
    methods=["GET", "POST"],
    endpoint="complete_milestone",
)
@staff_required
def complete_milestone_page(engagement_id: int, milestone_id: int) -> Page:
    """Mark a milestone done: the day and an optional evidence note."""
    milestone = _milestone_of(engagement_id, milestone_id)
    engagement = milestone.phase.engagement
    refusal = _check_before_form(
        lambda: require_open(engagement), lambda: require_completable(milestone)
    )
    if refusal is not None:
        return refused(engagement_id, refusal, _anchor(milestone))
    form = CompleteMilestoneForm()
    if request.method == "GET":
        _fresh(form, engagement)
        form.completed_on.data = clock.today()

    def again(status: int) -> Page:
        return _render("milestone_complete.html", engagement, form, status, milestone=milestone)

    if not form.validate_on_submit():
        return again(200 if request.method == "GET" else 422)

    def field_error(error: EngagementError) -> Page:
        attach(form, error.field, str(error))
        return again(422)

    answer = _apply(
        engagement_id,
        _anchor(milestone),
        lambda: complete_milestone(
            db.session,
            milestone,
            actor=acting_member(),
            now=clock.now(),
            completed_on=form.completed_on.data,
            evidence_note=form.evidence_note.data,
            expected_version=form.expected_version,
        ),
        field_error,
    )
    if answer is not None:
        return answer
    flash(_("Der Meilenstein „%(title)s“ ist erledigt.", title=milestone.title), "success")
    return redirect(page_url(engagement_id, _anchor(milestone)))


@bp.post(
    "/engagements/<int:engagement_id>/milestones/<int:milestone_id>/reopen",
    endpoint="reopen_milestone",
)
@staff_required
def reopen_milestone_page(engagement_id: int, milestone_id: int) -> Page:
    """Open a done or dropped milestone again (a button on the engagement page)."""
    milestone = _milestone_of(engagement_id, milestone_id)
    form = VersionOnlyForm()
    if not form.validate_on_submit():
        return refused(
            engagement_id, " ".join(form.form_errors) or str(VERSION_MESSAGE), _anchor(milestone)
        )
    answer = _apply(
        engagement_id,
        _anchor(milestone),
        lambda: reopen_milestone(
            db.session,
            milestone,
            actor=acting_member(),
            now=clock.now(),
            expected_version=form.expected_version,
        ),
    )
    if answer is not None:
        return answer
    flash(_("Der Meilenstein „%(title)s“ ist wieder offen.", title=milestone.title), "success")
    return redirect(page_url(engagement_id, _anchor(milestone)))


@bp.route(
    "/engagements/<int:engagement_id>/milestones/<int:milestone_id>/drop",
    methods=["GET", "POST"],
    endpoint="drop_milestone",
)
@staff_required
def drop_milestone_page(engagement_id: int, milestone_id: int) -> Page:
    """Let a milestone drop (entfallen), with a reason."""
    milestone = _milestone_of(engagement_id, milestone_id)
    engagement = milestone.phase.engagement
    refusal = _check_before_form(
        lambda: require_open(engagement), lambda: require_droppable(milestone)
    )
    if refusal is not None:
        return refused(engagement_id, refusal, _anchor(milestone))
    form = DropMilestoneForm()
    if request.method == "GET":
        _fresh(form, engagement)

    def again(status: int) -> Page:
        return _render("milestone_drop.html", engagement, form, status, milestone=milestone)

    if not form.validate_on_submit():
        return again(200 if request.method == "GET" else 422)

    def field_error(error: EngagementError) -> Page:
        attach(form, error.field, str(error))
        return again(422)

    answer = _apply(
        engagement_id,
        _anchor(milestone),
        lambda: drop_milestone(
            db.session,
            milestone,
            actor=acting_member(),
            now=clock.now(),
            reason=form.reason.data,
            expected_version=form.expected_version,
        ),
        field_error,
    )
    if answer is not None:
        return answer
    flash(_("Der Meilenstein „%(title)s“ entfällt.", title=milestone.title), "success")
    return redirect(page_url(engagement_id, _anchor(milestone)))


@bp.route(
    "/engagements/<int:engagement_id>/milestones/<int:milestone_id>/edit",
    methods=["GET", "POST"],
    endpoint="edit_milestone",
)
@staff_required
def edit_milestone_page(engagement_id: int, milestone_id: int) -> Page:
    """Change title, owner and due date of one milestone."""
    milestone = _milestone_of(engagement_id, milestone_id)
    engagement = milestone.phase.engagement
    refusal = _check_before_form(lambda: require_open(engagement))
    if refusal is not None:
        return refused(engagement_id, refusal, _anchor(milestone))
    form = MilestoneForm(obj=milestone if request.method == "GET" else None)
    form.offer(owner_candidates(engagement, milestone.owner))
    if request.method == "GET":
        _fresh(form, engagement)
        form.owner.data = str(milestone.owner_id) if milestone.owner_id else ""

    def again(status: int) -> Page:
        return _render(
            "milestone_form.html",
            engagement,
            form,
            status,
            milestone=milestone,
            phase=milestone.phase,
        )

    if not form.validate_on_submit():
        return again(200 if request.method == "GET" else 422)

    def field_error(error: EngagementError) -> Page:
        attach(form, error.field, str(error))
        return again(422)

    answer = _apply(
        engagement_id,
        _anchor(milestone),
        lambda: edit_milestone(
            db.session,
            milestone,
            actor=acting_member(),
            now=clock.now(),
            title=form.title.data,
            owner_id=form.owner_id,
            due_date=form.due_date.data,
            expected_version=form.expected_version,
        ),
        field_error,
    )
    if answer is not None:
        return answer
    flash(_("Der Meilenstein „%(title)s“ ist gespeichert.", title=milestone.title), "success")
    return redirect(page_url(engagement_id, _anchor(milestone)))


@bp.route(
    "/engagements/<int:engagement_id>/phases/<int:phase_id>/milestones/new",
    methods=["GET", "POST"],
    endpoint="add_milestone",
)
@staff_required
def add_milestone_page(engagement_id: int, phase_id: int) -> Page:
    """Add an extra milestone to a phase."""
    phase = _phase_of(engagement_id, phase_id)
    engagement = phase.engagement
    anchor = f"phase-{phase.id}"
    refusal = _check_before_form(lambda: require_open(engagement))
    if refusal is not None:
        return refused(engagement_id, refusal, anchor)
    form = AddMilestoneForm()
    form.offer(owner_candidates(engagement))
    if request.method == "GET":
        _fresh(form, engagement)
        me = acting_member()
        form.owner.data = str(me.id)  # not offered unless on the team: then the select is empty

    def again(status: int) -> Page:
        return _render("milestone_form.html", engagement, form, status, milestone=None, phase=phase)

    if not form.validate_on_submit():
        return again(200 if request.method == "GET" else 422)

    def field_error(error: EngagementError) -> Page:
        attach(form, error.field, str(error))
        return again(422)

    try:
        milestone = add_milestone(
            db.session,
            phase,
            actor=acting_member(),
            now=clock.now(),
            title=form.title.data,
            owner_id=form.owner_id,
            due_date=form.due_date.data,
            is_gate=form.is_gate.data,
            expected_version=form.expected_version,
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleEngagement, StaleDataError):
        return refused(engagement_id, stale_message(), anchor)
    except EngagementError as error:
        if error.field is None:
            return refused(engagement_id, str(error), anchor)
        db.session.rollback()
        return field_error(error)
    flash(_("Der Meilenstein „%(title)s“ ist hinzugefügt.", title=milestone.title), "success")
    return redirect(page_url(engagement_id, _anchor(milestone)))


@bp.post("/engagements/<int:engagement_id>/phases/<int:phase_id>/start", endpoint="start_phase")
@staff_required
def start_phase_page(engagement_id: int, phase_id: int) -> Page:
    """Mark a phase as begun ("Phase beginnen"); refused while a gate before it is open."""
    phase = _phase_of(engagement_id, phase_id)
    anchor = f"phase-{phase.id}"
    form = VersionOnlyForm()
    if not form.validate_on_submit():
        return refused(engagement_id, " ".join(form.form_errors) or str(VERSION_MESSAGE), anchor)
    answer = _apply(
        engagement_id,
        anchor,
        lambda: start_phase(
            db.session,
            phase,
            actor=acting_member(),
            now=clock.now(),
            expected_version=form.expected_version,
        ),
    )
    if answer is not None:
        return answer
    flash(_("Die Phase „%(phase)s“ hat begonnen.", phase=phase.name), "success")
    return redirect(page_url(engagement_id, anchor))
