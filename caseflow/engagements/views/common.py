"""What the engagement views share: loading with permission checks, the acting member, the
programme window, making one change, and the answers to refused or conflicting changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow.engagements.forms.common import VersionedForm
from caseflow.engagements.models import Engagement
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
    may_edit,
    may_view,
    stale_message,
)
from caseflow.engagements.services.window import programme_window
from caseflow.extensions import db
from caseflow.staff.models import StaffMember

__all__ = [
    "Page",
    "acting_member",
    "attach",
    "load_engagement",
    "page_url",
    "programme_window",
    "refused",
    "require_view",
    "save_change",
    "saved",
    "shown",
    "stale_message",
    "stale_form",
]

Page = Response | tuple[str, int]
T = TypeVar("T")


def acting_member() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def require_view(engagement: Engagement | None) -> Engagement:
    """``engagement`` when the acting member may see it (``may_view``); else a 404, the same
    answer as for an id that does not exist, so guessing ids tells nothing."""
    if engagement is None or not may_view(engagement, acting_member()):
        abort(404)
    return engagement


def load_engagement(engagement_id: int, *, for_edit: bool = False) -> Engagement:
    """The engagement, or a 404 when there is none or the acting member may not see it
    (``require_view``); with ``for_edit`` a 403 unless they may also edit it. Every page of an
    engagement (and of what is in it) loads it through here."""
    engagement = require_view(db.session.get(Engagement, engagement_id))
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


def shown(values: dict[str, Any]) -> dict[str, Any] | None:
    """``values`` to fill a form that is shown (GET); a posted form is read from what was
    sent only, so a missing field is not quietly filled in (a missing version is refused)."""
    return values if request.method == "GET" else None


def stale_form(form: VersionedForm, engagement: Engagement) -> None:
    """Prepare ``form`` to be shown again after a stale save: the message at its top and the
    engagement's current version, so that sending it again saves what was entered."""
    form.form_errors.append(stale_message())
    form.version.data = str(engagement.version)


def saved(engagement_id: int, message: str, anchor: str | None = None) -> Response:
    """Flash ``message`` as a success and go back to the engagement page at ``anchor``."""
    flash(message, "success")
    return redirect(page_url(engagement_id, anchor))


def save_change(
    engagement_id: int,
    anchor: str | None,
    change: Callable[[], T],
    done: Callable[[T], Response],
    *,
    form: FlaskForm | None = None,
    again: Callable[[], Page] | None = None,
) -> Page:
    """Make ``change`` (one service call), commit and answer ``done(its result)``. Refusals
    are answered here: not permitted → 403; a stale form → back to the engagement page at
    ``anchor`` with the stale message; a message for a field → shown at that field of
    ``form`` and answered by ``again()`` (the form page, 422) when they are given; any other
    message → back to the engagement page with it."""
    try:
        result = change()
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleEngagement, StaleDataError):
        return refused(engagement_id, stale_message(), anchor)
    except EngagementError as error:
        if form is None or again is None or error.field is None:
            return refused(engagement_id, str(error), anchor)
        db.session.rollback()
        attach(form, error.field, str(error))
        return again()
    return done(result)
