"""What the engagement views share: loading with permission checks, the acting member, the
programme window, and the answers to refused or conflicting changes."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from caseflow.engagements.models import Engagement
from caseflow.engagements.rules import ProgrammeWindow
from caseflow.engagements.services.common import may_edit, stale_message
from caseflow.extensions import db
from caseflow.staff.models import StaffMember

__all__ = [
    "acting_member",
    "attach",
    "load_engagement",
    "page_url",
    "programme_window",
    "refused",
    "stale_message",
]


def programme_window() -> ProgrammeWindow:
    return ProgrammeWindow(
        current_app.config["PROGRAMME_START"], current_app.config["PROGRAMME_END"]
    )


def acting_member() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def load_engagement(engagement_id: int, *, for_edit: bool = False) -> Engagement:
    """The engagement, or a 404; with ``for_edit`` a 403 unless the acting member may edit."""
    engagement = db.session.get(Engagement, engagement_id)
    if engagement is None:
        abort(404)
    if for_edit and not may_edit(engagement, acting_member()):
        abort(403)
    return engagement


def page_url(engagement_id: int, anchor: str | None = None) -> str:
    return url_for("engagements.detail", engagement_id=engagement_id, _anchor=anchor)


def refused(engagement_id: int, message: str, anchor: str | None = None) -> Response:
    """Roll back, flash ``message`` as an error and go back to the engagement page."""
    db.session.rollback()
    flash(message, "error")
    return redirect(page_url(engagement_id, anchor))


def attach(form: FlaskForm, field: str | None, message: str) -> None:
    """Show a service's message next to ``field`` of ``form`` (or at the form's top)."""
    if field is not None and field in form:
        form[field].errors = [*form[field].errors, message]
    else:
        form.form_errors.append(message)
