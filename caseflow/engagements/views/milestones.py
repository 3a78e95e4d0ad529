"""Milestones and phases of an engagement: complete, reopen, drop, edit and add milestones,
and begin the next phase. Each change is made through one service in
``caseflow.engagements.services.milestones``; a stale form is refused with a flash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, render_template, request
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
from caseflow.engagements.services.common import EngagementError
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
from caseflow.engagements.views.blueprint import bp, milestone_notes
from caseflow.engagements.views.common import (
    Page,
    acting_member,
    load_engagement,
    refused,
    save_change,
    saved,
)
from caseflow.extensions import db
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _
from caseflow.web.sections import contributions

T = TypeVar("T")


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


def _submit(
    form: VersionedForm,
    template: str,
    engagement: Engagement,
    anchor: str,
    change: Callable[[], T],
    done: Callable[[T], Response],
    **context: Any,
) -> Page:
    """A milestone form page: shown (GET) or sent back with its messages (422); a valid form
    makes ``change`` through ``save_change``, a service's message for a field shown there."""
    if not form.validate_on_submit():
        status = 200 if request.method == "GET" else 422
        return _render(template, engagement, form, status, **context)
    return save_change(
        engagement.id,
        anchor,
        change,
        done,
        form=form,
        again=lambda: _render(template, engagement, form, 422, **context),
    )


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
    return _submit(
        form,
        "milestone_complete.html",
        engagement,
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
        lambda _result: saved(
            engagement_id,
            _("Der Meilenstein „%(title)s“ ist erledigt.", title=milestone.title),
            _anchor(milestone),
        ),
        milestone=milestone,
        other_ways=_other_ways(engagement, milestone),
    )


def _other_ways(engagement: Engagement, milestone: Milestone) -> list[tuple[str, str]]:
    """The actions other features offer on ``milestone`` (``milestone_notes``: "Nachweis
    hochladen", which completes it with the upload), for the completion page to name."""
    columns = contributions(milestone_notes, engagement, session=db.session, today=clock.today())
    return [
        value.action
        for column in columns
        if (value := column.values.get(milestone.id)) is not None and value.action is not None
    ]


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
    return save_change(
        engagement_id,
        _anchor(milestone),
        lambda: reopen_milestone(
            db.session,
            milestone,
            actor=acting_member(),
            now=clock.now(),
            expected_version=form.expected_version,
        ),
        lambda _result: saved(
            engagement_id,
            _("Der Meilenstein „%(title)s“ ist wieder offen.", title=milestone.title),
            _anchor(milestone),
        ),
    )


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
    return _submit(
        form,
        "milestone_drop.html",
        engagement,
        _anchor(milestone),
        lambda: drop_milestone(
            db.session,
            milestone,
            actor=acting_member(),
            now=clock.now(),
            reason=form.reason.data,
            expected_version=form.expected_version,
        ),
        lambda _result: saved(
            engagement_id,
            _("Der Meilenstein „%(title)s“ entfällt.", title=milestone.title),
            _anchor(milestone),
        ),
        milestone=milestone,
    )


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
    return _submit(
        form,
        "milestone_form.html",
        engagement,
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
        lambda _result: saved(
            engagement_id,
            _("Der Meilenstein „%(title)s“ ist gespeichert.", title=milestone.title),
            _anchor(milestone),
        ),
        milestone=milestone,
        phase=milestone.phase,
    )


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
    return _submit(
        form,
        "milestone_form.html",
        engagement,
        anchor,
        lambda: add_milestone(
            db.session,
            phase,
            actor=acting_member(),
            now=clock.now(),
            title=form.title.data,
            owner_id=form.owner_id,
            due_date=form.due_date.data,
            is_gate=form.is_gate.data,
            expected_version=form.expected_version,
        ),
        lambda added: saved(
            engagement_id,
            _("Der Meilenstein „%(title)s“ ist hinzugefügt.", title=added.title),
            _anchor(added),
        ),
        milestone=None,
        phase=phase,
    )


@bp.post("/engagements/<int:engagement_id>/phases/<int:phase_id>/start", endpoint="start_phase")
@staff_required
def start_phase_page(engagement_id: int, phase_id: int) -> Page:
    """Mark a phase as begun ("Phase beginnen"); refused while a gate before it is open."""
    phase = _phase_of(engagement_id, phase_id)
    anchor = f"phase-{phase.id}"
    form = VersionOnlyForm()
    if not form.validate_on_submit():
        return refused(engagement_id, " ".join(form.form_errors) or str(VERSION_MESSAGE), anchor)
    return save_change(
        engagement_id,
        anchor,
        lambda: start_phase(
            db.session,
            phase,
            actor=acting_member(),
            now=clock.now(),
            expected_version=form.expected_version,
        ),
        lambda _result: saved(
            engagement_id, _("Die Phase „%(phase)s“ hat begonnen.", phase=phase.name), anchor
        ),
    )
