"""Follow-ups by hand: the section "Offene Wiedervorlagen" of the engagement page, and the
routes that add, change, complete and discard follow-ups of an engagement."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.models import CLOSED_STATUSES, Engagement
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    may_edit,
    may_view,
)
from caseflow.engagements.views.blueprint import engagement_sections
from caseflow.engagements.views.common import (
    acting_member,
    attach,
    load_engagement,
    page_url,
    refused,
)
from caseflow.extensions import db
from caseflow.followups.forms import DiscardForm, EditFollowUpForm, FollowUpForm
from caseflow.followups.models import FollowUp, FollowUpStatus
from caseflow.followups.services import (
    FollowUpClosed,
    StaleFollowUp,
    add_follow_up,
    assignee_candidates,
    complete_follow_up,
    discard_follow_up,
    edit_follow_up,
    fingerprint,
    latest_due_on,
    open_follow_ups_of,
)
from caseflow.followups.views.blueprint import bp
from caseflow.settings.services import current as current_setting
from caseflow.staff.access import staff_required
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day
from caseflow.web.sections import PageSection

ANCHOR = "follow-ups-title"


@engagement_sections.connect
def _engagement_follow_ups(
    engagement: Engagement, *, session: Session, today: date, **_kwargs: Any
) -> PageSection:
    """The open follow-ups on the engagement page, with their actions; one statement."""
    member = acting_member()
    can_edit = may_edit(engagement, member)
    return PageSection(
        "followups/_engagement_follow_ups.html",
        {
            "engagement_id": engagement.id,
            "rows": open_follow_ups_of(session, engagement.id),
            "today": today,
            "can_edit": can_edit,
            "can_add": can_edit and engagement.status not in CLOSED_STATUSES,
            "member_id": member.id,
        },
        order=10,
    )


def _load_follow_up(engagement_id: int, follow_up_id: int) -> FollowUp:
    """The follow-up of this engagement, or a 404 (also for one of another engagement)."""
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.engagement_id != engagement_id:
        abort(404)
    return follow_up


def _assignees(engagement: Engagement, current: StaffMember | None = None) -> list[StaffMember]:
    """Whom the form offers: the active staff who can log in and may see the engagement (its
    team, leads and admins), so nobody is handed a follow-up they cannot open; the current
    assignee stays offered."""
    return [
        member
        for member in assignee_candidates(db.session)
        if may_view(engagement, member) or (current is not None and member.id == current.id)
    ]


def _render_form(
    engagement: Engagement,
    form: FollowUpForm,
    *,
    follow_up: FollowUp | None = None,
    status: int = 200,
) -> tuple[str, int]:
    action = (
        url_for("followups.edit_follow_up", engagement_id=engagement.id, follow_up_id=follow_up.id)
        if follow_up is not None
        else url_for("followups.new_follow_up", engagement_id=engagement.id)
    )
    return render_template(
        "followups/form.html",
        engagement=engagement,
        follow_up=follow_up,
        form=form,
        action=action,
        today=clock.today(),
        latest=latest_due_on(current_setting("PROGRAMME_END")),
    ), status


@bp.route("/engagements/<int:engagement_id>/follow-ups/new", methods=["GET", "POST"])
@staff_required
def new_follow_up(engagement_id: int) -> Response | tuple[str, int]:
    """Add a follow-up to an open engagement (its team, leads and admins)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    if engagement.status in CLOSED_STATUSES:
        return refused(
            engagement_id,
            _(
                "Für eine abgeschlossene oder abgebrochene Prozessbegleitung können keine "
                "Wiedervorlagen angelegt werden."
            ),
            ANCHOR,
        )
    me = acting_member()
    form = FollowUpForm(data={"assignee": str(me.id)} if me.is_active else None)
    form.offer(assignees=_assignees(engagement))
    if not form.is_submitted():
        return _render_form(engagement, form)
    if not form.validate():
        return _render_form(engagement, form, status=422)
    try:
        follow_up = add_follow_up(
            db.session,
            engagement,
            due_on=form.due_day,
            due_time=form.due_wall_time,
            kind=form.chosen_kind,
            assignee_id=form.assignee_id,
            note=form.note.data,
            actor=me,
            now=clock.now(),
            programme_end=current_setting("PROGRAMME_END"),
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except EngagementError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        return _render_form(engagement, form, status=422)
    flash(
        _(
            "Die Wiedervorlage ist angelegt: fällig am %(day)s.",
            day=format_day(follow_up.due_at),
        ),
        "success",
    )
    return redirect(page_url(engagement_id, ANCHOR))


@bp.route(
    "/engagements/<int:engagement_id>/follow-ups/<int:follow_up_id>/edit",
    methods=["GET", "POST"],
    endpoint="edit_follow_up",
)
@staff_required
def edit_follow_up_view(engagement_id: int, follow_up_id: int) -> Response | tuple[str, int]:
    """Change an open follow-up's due day and time, assignee and note (the team, leads and
    admins)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    follow_up = _load_follow_up(engagement_id, follow_up_id)
    if follow_up.status is not FollowUpStatus.OFFEN:
        return refused(
            engagement_id,
            _("Diese Wiedervorlage ist nicht mehr offen und bleibt, wie sie ist."),
            ANCHOR,
        )
    due = clock.local(follow_up.due_at)
    form = EditFollowUpForm(
        data={
            "due_on": due.date(),
            "due_time": due.time(),
            "assignee": str(follow_up.assignee_id or ""),
            "note": follow_up.note,
            "shown": fingerprint(follow_up),
        }
    )
    form.offer(assignees=_assignees(engagement, follow_up.assignee))
    if not form.is_submitted():
        return _render_form(engagement, form, follow_up=follow_up)
    if not form.validate():
        return _render_form(engagement, form, follow_up=follow_up, status=422)
    try:
        changed = edit_follow_up(
            db.session,
            follow_up,
            due_on=form.due_day,
            due_time=form.due_wall_time,
            assignee_id=form.assignee_id,
            note=form.note.data,
            actor=acting_member(),
            now=clock.now(),
            programme_end=current_setting("PROGRAMME_END"),
            # A missing digest (a tampered form) is refused like an old one.
            expected_fingerprint=form.shown.data or "",
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except (FollowUpClosed, StaleFollowUp) as error:
        return refused(engagement_id, str(error), ANCHOR)
    except EngagementError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        return _render_form(engagement, form, follow_up=follow_up, status=422)
    if changed:
        flash(_("Die Wiedervorlage ist geändert."), "success")
    else:
        flash(_("Sie haben nichts geändert."), "info")
    return redirect(page_url(engagement_id, ANCHOR))


@bp.post(
    "/engagements/<int:engagement_id>/follow-ups/<int:follow_up_id>/complete",
    endpoint="complete_follow_up",
)
@staff_required
def complete_follow_up_view(engagement_id: int, follow_up_id: int) -> Response:
    """Mark a follow-up done (the team, leads and admins; its assignee too, as far as they
    may see the engagement: 404 for anyone else)."""
    load_engagement(engagement_id)
    follow_up = _load_follow_up(engagement_id, follow_up_id)
    try:
        complete_follow_up(db.session, follow_up, actor=acting_member(), now=clock.now())
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except FollowUpClosed as error:
        return refused(engagement_id, str(error), ANCHOR)
    flash(_("Die Wiedervorlage ist erledigt."), "success")
    return redirect(page_url(engagement_id, ANCHOR))


@bp.post(
    "/engagements/<int:engagement_id>/follow-ups/<int:follow_up_id>/discard",
    endpoint="discard_follow_up",
)
@staff_required
def discard_follow_up_view(engagement_id: int, follow_up_id: int) -> Response | tuple[str, int]:
    """Discard a follow-up that is no longer needed, with an optional reason (the team,
    leads and admins)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    follow_up = _load_follow_up(engagement_id, follow_up_id)
    form = DiscardForm()
    if not form.validate():
        return render_template(
            "followups/discard.html", engagement=engagement, follow_up=follow_up, form=form
        ), 422
    try:
        discard_follow_up(
            db.session, follow_up, actor=acting_member(), now=clock.now(), reason=form.reason.data
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except FollowUpClosed as error:
        return refused(engagement_id, str(error), ANCHOR)
    except EngagementError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        return render_template(
            "followups/discard.html", engagement=engagement, follow_up=follow_up, form=form
        ), 422
    flash(_("Die Wiedervorlage ist verworfen."), "success")
    return redirect(page_url(engagement_id, ANCHOR))
