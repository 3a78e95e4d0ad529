"""``/engagements/<id>/reschedule`` (move the start, a phase's end or a milestone, with a
preview) and ``/engagements/<id>/extend`` (a later planned end with a reason)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.forms.rescheduling import ExtendForm, RescheduleForm
from caseflow.engagements.models import Engagement, EngagementStatus, MilestoneStatus
from caseflow.engagements.rules import allowed_end_range
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
)
from caseflow.engagements.services.rescheduling import (
    Anchor,
    PlanChanged,
    ShiftRefused,
    check_anchor,
    extend,
    find_anchor,
    preview_reschedule,
    require_open,
    reschedule,
)
from caseflow.engagements.shifting import AnchorKind, ShiftPlan
from caseflow.engagements.views.blueprint import bp
from caseflow.engagements.views.common import (
    acting_member,
    attach,
    load_engagement,
    programme_window,
    refused,
    saved,
    stale_message,
)
from caseflow.extensions import db
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _
from caseflow.translating import ngettext
from caseflow.web.i18n import format_day

# Ids in the query string: digits only, and not longer than any id we hand out.
_MAX_ID_DIGITS = 18
_ANCHOR_ARGS = {"milestone", "phase", "start"}


def _anchor_of_request(engagement: Engagement) -> Anchor:
    """The anchor named by the query string (``milestone=<id>``, ``phase=<id>`` or
    ``start=1``); 404 when it names nothing of this engagement."""
    args = request.args
    if "milestone" in args:
        kind, raw = AnchorKind.MILESTONE, args["milestone"]
    elif "phase" in args:
        kind, raw = AnchorKind.PHASE, args["phase"]
    elif args.get("start") == "1":
        kind, raw = AnchorKind.START, None
    else:
        abort(404)
    anchor_id = None
    if raw is not None:
        if not (raw.isascii() and raw.isdigit() and len(raw) <= _MAX_ID_DIGITS):
            abort(404)
        anchor_id = int(raw)
    anchor = find_anchor(engagement, kind, anchor_id)
    if anchor is None:
        abort(404)
    return anchor


def _query(anchor: Anchor) -> dict[str, str]:
    if anchor.kind is AnchorKind.START:
        return {"start": "1"}
    return {anchor.kind.value: str(anchor.anchor_id)}


def _form_url(engagement: Engagement, anchor: Anchor) -> str:
    return url_for("engagements.reschedule", engagement_id=engagement.id, **_query(anchor))


def _render_reschedule(
    engagement: Engagement,
    anchor: Anchor,
    form: RescheduleForm,
    *,
    plan: ShiftPlan | None = None,
    suggests_extension: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    """The form; with ``plan`` its preview, whose digest the form then carries to "Verschieben"
    (the button is only there with a preview)."""
    if plan is not None:
        form.plan_digest.data = plan.digest
    page = render_template(
        "engagements/reschedule.html",
        engagement=engagement,
        anchor=anchor,
        form=form,
        plan=plan,
        summary=_shift_summary(plan) if plan is not None else None,
        suggests_extension=suggests_extension,
        action_url=_form_url(engagement, anchor),
        kinds=AnchorKind,
    )
    return page, status


def _render_choice(engagement: Engagement) -> Response | tuple[str, int]:
    """What can be moved: the start (while planned), the end of every phase but the last
    (that is the planned end: extend instead), and every open milestone."""
    try:
        require_open(engagement)
    except EngagementError as error:
        return refused(engagement.id, str(error), "phases-title")
    page = render_template(
        "engagements/reschedule_choose.html",
        engagement=engagement,
        can_move_start=engagement.status is EngagementStatus.GEPLANT,
        open_status=MilestoneStatus.OFFEN,
    )
    return page, 200


def _shift_summary(plan: ShiftPlan) -> str:
    days = abs(plan.days)
    if plan.days > 0:
        return ngettext("um %(num)d Tag später", "um %(num)d Tage später", days)
    return ngettext("um %(num)d Tag früher", "um %(num)d Tage früher", days)


@bp.route(
    "/engagements/<int:engagement_id>/reschedule", methods=["GET", "POST"], endpoint="reschedule"
)
@staff_required
def reschedule_form(engagement_id: int) -> Response | tuple[str, int]:
    """Move the start, a phase's end or a milestone: "Vorschau" shows the old and new dates
    (nothing saved), "Verschieben" saves (re-checking everything) if the plan is still the one
    the preview showed; else the new plan is shown as the preview (409), nothing saved."""
    engagement = load_engagement(engagement_id, for_edit=True)
    if request.method == "GET" and not _ANCHOR_ARGS & request.args.keys():
        return _render_choice(engagement)
    anchor = _anchor_of_request(engagement)
    if request.method == "GET":
        try:
            check_anchor(engagement, anchor)
        except EngagementError as error:
            return refused(engagement_id, str(error), "phases-title")
        form = RescheduleForm(
            formdata=None, data={"version": engagement.version, "new_date": anchor.current}
        )
        return _render_reschedule(engagement, anchor, form)

    form = RescheduleForm()
    if not form.validate_on_submit():
        if form.version.errors or "csrf_token" in form.errors:
            return _refused_here(engagement, anchor, " ".join(form.form_errors))
        return _render_reschedule(engagement, anchor, form, status=422)
    days = (form.new_date.data - anchor.current).days
    arguments = {
        "anchor": anchor,
        "days": days,
        "shift_later": form.shift_later.data,
        "actor": acting_member(),
        "today": clock.today(),
        "window": programme_window(),
    }
    try:
        if not form.is_saving:
            plan = preview_reschedule(db.session, engagement, **arguments)
            return _render_reschedule(engagement, anchor, form, plan=plan)
        plan = reschedule(
            db.session,
            engagement,
            now=clock.now(),
            expected_version=form.expected_version,
            expected_digest=form.plan_digest.data or "",
            **arguments,
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleEngagement, StaleDataError):
        return _refused_here(engagement, anchor, stale_message())
    except PlanChanged as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _render_reschedule(engagement, anchor, form, plan=error.plan, status=409)
    except ShiftRefused as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        return _render_reschedule(
            engagement,
            anchor,
            form,
            suggests_extension=error.suggests_extension,
            status=422,
        )
    except EngagementError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        return _render_reschedule(engagement, anchor, form, status=422)
    return saved(
        engagement_id,
        ngettext(
            "%(num)d Termin wurde verschoben (%(shift)s).",
            "%(num)d Termine wurden verschoben (%(shift)s).",
            len(plan.moves) + len(plan.phases) + (plan.new_start != plan.old_start),
            shift=_shift_summary(plan),
        ),
        "phases-title",
    )


def _refused_here(engagement: Engagement, anchor: Anchor, message: str) -> Response:
    """Roll back, flash ``message`` and show the form again on the current state."""
    db.session.rollback()
    flash(message or stale_message(), "error")
    return redirect(_form_url(engagement, anchor))


def _render_extend(
    engagement: Engagement, form: ExtendForm, *, status: int = 200
) -> tuple[str, int]:
    window = programme_window()
    _earliest, latest = allowed_end_range(engagement.start_date, window)
    page = render_template(
        "engagements/extend.html",
        engagement=engagement,
        form=form,
        latest_end=latest,
        max_months=window.max_months,
        # One line per earlier extension ("dd.mm.yyyy: bis dd.mm.yyyy – reason").
        previous_reasons=(engagement.extension_reason or "").splitlines(),
    )
    return page, status


@bp.route("/engagements/<int:engagement_id>/extend", methods=["GET", "POST"], endpoint="extend")
@staff_required
def extend_form(engagement_id: int) -> Response | tuple[str, int]:
    """Extend the engagement: a later planned end and the reason for it."""
    engagement = load_engagement(engagement_id, for_edit=True)
    if request.method == "GET":
        try:
            require_open(engagement)
        except EngagementError as error:
            return refused(engagement_id, str(error))
        form = ExtendForm(
            formdata=None,
            data={"version": engagement.version, "new_end": engagement.planned_end_date},
        )
        return _render_extend(engagement, form)

    form = ExtendForm()
    if not form.validate_on_submit():
        if form.version.errors or "csrf_token" in form.errors:
            db.session.rollback()
            flash(" ".join(form.form_errors) or stale_message(), "error")
            return redirect(url_for("engagements.extend", engagement_id=engagement_id))
        return _render_extend(engagement, form, status=422)
    try:
        extend(
            db.session,
            engagement,
            new_end=form.new_end.data,
            reason=form.reason.data,
            actor=acting_member(),
            now=clock.now(),
            today=clock.today(),
            expected_version=form.expected_version,
            window=programme_window(),
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleEngagement, StaleDataError):
        db.session.rollback()
        flash(stale_message(), "error")
        return redirect(url_for("engagements.extend", engagement_id=engagement_id))
    except EngagementError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        return _render_extend(engagement, form, status=422)
    return saved(
        engagement_id,
        _(
            "Die Prozessbegleitung wurde bis zum %(day)s verlängert.",
            day=format_day(engagement.planned_end_date),
        ),
    )
