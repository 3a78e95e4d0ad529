"""Activities of an engagement: the full list, logging one, and changing or deleting one's
own (only the author, while still allowed to edit the engagement). A stale edit or delete
form is shown again with what was entered and the current version, nothing saved."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.forms.records import ActivityForm, DeleteActivityForm
from caseflow.engagements.models import Activity, Engagement
from caseflow.engagements.services.activities import (
    activities_of,
    activity_refusal,
    activity_was_deleted,
    change_activity_message,
    delete_activity,
    delete_activity_message,
    find_activity,
    log_activity,
    may_change_activity,
    staff_choices,
    update_activity,
)
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
    may_edit,
)
from caseflow.engagements.views.blueprint import bp
from caseflow.engagements.views.common import (
    acting_member,
    attach,
    load_engagement,
    save_change,
    saved,
    shown,
    stale_form,
)
from caseflow.extensions import db
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _
from caseflow.web.errors import render_error

ANCHOR = "activities-title"

Page = tuple[str, int] | tuple[str, int, dict[str, str]]


@bp.context_processor
def _activity_helpers() -> dict[str, Any]:
    """What the activity templates of this blueprint ask: may the acting member change one?"""
    return {"may_change_activity": may_change_activity}


def _list_url(engagement_id: int) -> str:
    return url_for("engagements.activities", engagement_id=engagement_id)


def _own_activity(engagement: Engagement, activity_id: int, not_author: str) -> Activity | Page:
    """The activity of ``engagement`` (404 for another engagement's), or a 403 page saying
    why the acting member may not change it (``not_author`` unless they wrote it)."""
    activity = find_activity(db.session, engagement, activity_id)
    if activity is None:
        abort(404)
    refusal = activity_refusal(activity, acting_member(), not_author)
    if refusal is not None:
        return render_error(403, refusal)
    return activity


def _already_deleted(engagement_id: int) -> Response:
    flash(_("Die Aktivität ist bereits gelöscht."), "info")
    return redirect(_list_url(engagement_id))


def _render_delete(
    engagement: Engagement, activity: Activity, form: DeleteActivityForm, *, status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "engagements/activity_delete.html", engagement=engagement, activity=activity, form=form
    )
    return page, status


def _render_form(
    engagement: Engagement,
    form: ActivityForm,
    *,
    activity: Activity | None = None,
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "engagements/activity_form.html", engagement=engagement, form=form, activity=activity
    )
    return page, status


@bp.get("/engagements/<int:engagement_id>/activities")
@staff_required
def activities(engagement_id: int) -> str:
    """Every activity of the engagement, newest first; edit links on one's own."""
    engagement = load_engagement(engagement_id)
    return render_template(
        "engagements/activities.html",
        engagement=engagement,
        activities=activities_of(db.session, engagement.id),
        can_edit=may_edit(engagement, acting_member()),
        me=acting_member(),
    )


@bp.route("/engagements/<int:engagement_id>/activities/new", methods=["GET", "POST"])
@staff_required
def new_activity(engagement_id: int) -> Response | tuple[str, int]:
    """Log an activity (the engagement's team and leads; closed engagements too)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    form = ActivityForm(data=shown({"version": engagement.version, "occurred_on": clock.today()}))
    form.offer(staff_choices(db.session, engagement))
    if request.method == "GET":
        return _render_form(engagement, form)
    if not form.validate_on_submit():
        return _render_form(engagement, form, status=422)
    return save_change(
        engagement_id,
        ANCHOR,
        lambda: log_activity(
            db.session,
            engagement,
            form.values(),
            actor=acting_member(),
            now=clock.now(),
            today=clock.today(),
        ),
        lambda _result: saved(engagement_id, _("Die Aktivität wurde erfasst."), ANCHOR),
        form=form,
        again=lambda: _render_form(load_engagement(engagement_id), form, status=422),
    )


@bp.route(
    "/engagements/<int:engagement_id>/activities/<int:activity_id>/edit", methods=["GET", "POST"]
)
@staff_required
def edit_activity(engagement_id: int, activity_id: int) -> Response | Page:
    """Change an activity (its author only)."""
    engagement = load_engagement(engagement_id)
    found = _own_activity(engagement, activity_id, change_activity_message())
    if not isinstance(found, Activity):
        return found
    activity = found
    form = ActivityForm(
        data=shown(
            {
                "version": engagement.version,
                "kind": activity.kind.value,
                "occurred_on": activity.occurred_on,
                "duration_minutes": activity.duration_minutes,
                "participants_count": activity.participants_count,
                "staff": [member.id for member in activity.staff],
                "note": activity.note,
            }
        )
    )
    form.offer(staff_choices(db.session, engagement, activity))
    if request.method == "GET":
        return _render_form(engagement, form, activity=activity)
    if not form.validate_on_submit():
        return _render_form(engagement, form, activity=activity, status=422)
    try:
        update_activity(
            db.session,
            activity,
            form.values(),
            actor=acting_member(),
            now=clock.now(),
            today=clock.today(),
            expected_version=form.expected_version,
        )
        db.session.commit()
    except EngagementNotPermitted as error:
        db.session.rollback()
        return render_error(403, str(error))
    except (StaleEngagement, StaleDataError):
        db.session.rollback()
        engagement = load_engagement(engagement_id)
        found_again = find_activity(db.session, engagement, activity_id)
        if found_again is None:
            return _already_deleted(engagement_id)
        stale_form(form, engagement)
        return _render_form(engagement, form, activity=found_again, status=409)
    except EngagementError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        engagement = load_engagement(engagement_id)
        activity = find_activity(db.session, engagement, activity_id) or activity
        return _render_form(engagement, form, activity=activity, status=422)
    flash(_("Die Aktivität wurde geändert."), "success")
    return redirect(_list_url(engagement_id))


@bp.route(
    "/engagements/<int:engagement_id>/activities/<int:activity_id>/delete",
    methods=["GET", "POST"],
    endpoint="delete_activity",
)
@staff_required
def delete_activity_page(engagement_id: int, activity_id: int) -> Response | Page:
    """Ask, then delete an activity (its author only). An activity already deleted (a
    double click, an old tab) leads back to the list with a note instead of a 404."""
    engagement = load_engagement(engagement_id)
    if find_activity(db.session, engagement, activity_id) is None and activity_was_deleted(
        db.session, engagement, activity_id
    ):
        return _already_deleted(engagement_id)
    found = _own_activity(engagement, activity_id, delete_activity_message())
    if not isinstance(found, Activity):
        return found
    activity = found
    form = DeleteActivityForm(data=shown({"version": engagement.version}))
    if request.method == "GET":
        return _render_delete(engagement, activity, form)
    if not form.validate_on_submit():
        return _render_delete(engagement, activity, form, status=422)
    try:
        delete_activity(
            db.session,
            activity,
            actor=acting_member(),
            now=clock.now(),
            expected_version=form.expected_version,
        )
        db.session.commit()
    except EngagementNotPermitted as error:
        db.session.rollback()
        return render_error(403, str(error))
    except StaleEngagement:
        db.session.rollback()
        engagement = load_engagement(engagement_id)
        found_again = find_activity(db.session, engagement, activity_id)
        if found_again is None:
            return _already_deleted(engagement_id)
        stale_form(form, engagement)
        return _render_delete(engagement, found_again, form, status=409)
    flash(_("Die Aktivität wurde gelöscht."), "success")
    return redirect(_list_url(engagement_id))
