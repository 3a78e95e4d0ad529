"""The engagement pages: ``/engagements`` (list with filters) and ``/engagements/<id>``.

The engagement page is extended by features above this one (follow-ups) through the
``engagement_sections`` signal, sent with the engagement, ``session`` and ``today``; a
receiver returns a ``PageSection``. This feature in turn adds its engagements to the
organisation pages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from blinker import Namespace
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.forms import StatusForm
from caseflow.engagements.models import Engagement, EngagementStatus
from caseflow.engagements.queries import (
    engagement_counts_by_organisation,
    engagement_detail,
    list_engagements,
)
from caseflow.engagements.services import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
    change_status,
    may_edit,
)
from caseflow.engagements.transitions import TransitionError, allowed_transitions
from caseflow.extensions import db
from caseflow.organisations.models import Organisation
from caseflow.organisations.views import organisation_list_columns, organisation_sections
from caseflow.staff.access import staff_required
from caseflow.staff.models import Role, StaffMember
from caseflow.web.filters import enum_filter
from caseflow.web.sections import ListColumn, PageSection, contributions

bp = Blueprint("engagements", __name__)

_signals = Namespace()
engagement_sections = _signals.signal("engagement-sections")

_MINE_ON = "1"
_MINE_OFF = "0"


def _mine_filter(values: list[str], *, default: bool, notes: list[str]) -> bool:
    # The form sends a hidden "0" before the checkbox's "1", so an unticked box reads as off.
    if not values:
        return default
    if _MINE_ON in values:
        return True
    if all(value == _MINE_OFF for value in values):
        return False
    notes.append(_("Der Wert für „nur meine“ ist ungültig und wurde ignoriert."))
    return default


@bp.get("/engagements")
@staff_required
def index() -> str:
    """All engagements, filtered by status and (consultants by default) to one's own."""
    notes: list[str] = []
    status = enum_filter(request.args.get("status"), EngagementStatus, notes)
    mine = _mine_filter(
        request.args.getlist("mine"), default=not current_user.has_role(Role.LEAD), notes=notes
    )
    today = clock.today()
    rows = list_engagements(
        db.session,
        today=today,
        statuses=[status] if status is not None else None,
        staff_member_id=current_user.id if mine else None,
    )
    return render_template(
        "engagements/index.html",
        rows=rows,
        statuses=list(EngagementStatus),
        selected_status=status,
        mine=mine,
        notes=notes,
        today=today,
    )


def _acting_member() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _page_url(engagement_id: int, anchor: str | None = None) -> str:
    return url_for("engagements.detail", engagement_id=engagement_id, _anchor=anchor)


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
    if found is None:
        abort(404)
    engagement = found.engagement
    sections = contributions(engagement_sections, engagement, session=db.session, today=today)
    can_edit = may_edit(engagement, _acting_member())
    page = render_template(
        "engagements/detail.html",
        detail=found,
        sections=sections,
        today=today,
        can_edit=can_edit,
        status_forms=_status_forms(engagement, status_form) if can_edit else [],
        statuses=EngagementStatus,
    )
    return page, status


@bp.get("/engagements/<int:engagement_id>")
@staff_required
def detail(engagement_id: int) -> tuple[str, int]:
    """One engagement: team, phases with milestones, activities, barriers, history."""
    return _render_page(engagement_id)


def _stale_message() -> str:
    return _(
        "Jemand anderes hat diese Prozessbegleitung gerade geändert. Ihre Änderung wurde "
        "nicht gespeichert; bitte prüfen Sie den aktuellen Stand und versuchen Sie es noch "
        "einmal."
    )


def _refused(engagement_id: int, message: str) -> Response:
    db.session.rollback()
    flash(message, "error")
    return redirect(_page_url(engagement_id, "status-title"))


@bp.post("/engagements/<int:engagement_id>/status")
@staff_required
def set_status(engagement_id: int) -> Response | tuple[str, int]:
    """Move the engagement to another status (start, pause, resume, complete, cancel)."""
    engagement = db.session.get(Engagement, engagement_id)
    if engagement is None:
        abort(404)
    if not may_edit(engagement, _acting_member()):
        abort(403)
    form = StatusForm(prefix="status")
    if not form.validate_on_submit():
        if form.target.errors:  # not a move the page offers: a tampered form
            return _refused(engagement_id, " ".join(str(m) for m in form.target.errors))
        if form.target_status not in allowed_transitions(engagement.status):
            # Shown on a state that has changed since; its form is no longer on the page.
            return _refused(engagement_id, " ".join(form.form_errors) or _stale_message())
        return _render_page(engagement_id, status=422, status_form=form)
    target = form.target_status
    try:
        change_status(
            db.session,
            engagement,
            target,
            actor=_acting_member(),
            now=clock.now(),
            reason=form.reason.data,
            expected_version=form.expected_version,
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleEngagement, StaleDataError):
        return _refused(engagement_id, _stale_message())
    except TransitionError as error:
        return _refused(engagement_id, str(error))
    except EngagementError as error:
        db.session.rollback()
        if error.field is not None and error.field in form:
            form[error.field].errors = [*form[error.field].errors, str(error)]
        else:
            form.form_errors.append(str(error))
        return _render_page(engagement_id, status=422, status_form=form)
    flash(_("Der Status ist jetzt „%(status)s“.", status=target.label), "success")
    return redirect(_page_url(engagement_id, "status-title"))


@organisation_list_columns.connect
def _engagement_count_column(_sender: Any, *, session: Session, **_kwargs: Any) -> ListColumn:
    return ListColumn(
        heading=_("Prozessbegleitungen"),
        values=engagement_counts_by_organisation(session),
        order=10,
    )


@organisation_sections.connect
def _organisation_engagements(
    organisation: Organisation, *, session: Session, today: date, **_kwargs: Any
) -> PageSection:
    rows = list_engagements(session, today=today, organisation_id=organisation.id)
    return PageSection(
        "engagements/_organisation_engagements.html", {"rows": rows, "today": today}, order=10
    )
