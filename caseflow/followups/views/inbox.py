"""The notification bell, the inbox and the notification preferences."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.models import Engagement
from caseflow.engagements.services.common import may_view
from caseflow.extensions import db
from caseflow.followups.forms import PreferencesForm
from caseflow.followups.inbox import (
    PreferenceError,
    channels_of,
    inbox_page,
    mark_all_read,
    mark_read,
    offered_kinds,
    own_notification,
    save_preferences,
    unread_count,
    unread_state,
)
from caseflow.followups.models import Notification
from caseflow.followups.views.blueprint import bp
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _
from caseflow.translating import ngettext
from caseflow.web.converters import MAX_ID
from caseflow.web.urls import safe_next

# ``?show=`` of the inbox: every notification or only the unread ones.
SHOW_ALL = "all"
SHOW_UNREAD = "unread"
_PAGE_DIGITS = 6
_ID_DIGITS = len(str(MAX_ID))


@bp.app_context_processor
def _bell_context() -> dict[str, Any]:
    """The unread count for the bell in the header: one query per request, only for a
    logged-in staff member (public and error pages for visitors ask nothing)."""
    if not has_request_context():
        return {}
    user = current_user
    if user is None or not user.is_authenticated:
        return {}
    if "unread_notifications" not in g:
        g.unread_notifications = unread_count(db.session, user.id)
    return {"unread_notifications": g.unread_notifications}


def _page_number(raw: str | None) -> int:
    """The page asked for; 1 for anything that is not a plain, plausible number."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= _PAGE_DIGITS:
        return max(1, int(raw))
    return 1


def _shown_id(raw: str | None) -> int | None:
    """The newest notification id the "mark all read" form was shown with; None for
    anything that is not a plain id."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= _ID_DIGITS:
        value = int(raw)
        return value if 0 < value <= MAX_ID else None
    return None


def _inbox_url(**args: Any) -> str:
    return url_for("followups.inbox", **{key: value for key, value in args.items() if value})


def _back_to_inbox() -> Response:
    """Back to the inbox view the form was sent from (its ``show`` and ``page``). The unread
    list starts again at its first page: what was read has left it, so the pages moved."""
    show = request.form.get("show")
    if show == SHOW_UNREAD:
        return redirect(_inbox_url(show=SHOW_UNREAD))
    page = _page_number(request.form.get("page"))
    return redirect(_inbox_url(page=page if page > 1 else None))


def _load_own(notification_id: int) -> Notification:
    notification = own_notification(db.session, current_user.id, notification_id)
    if notification is None:
        abort(404)
    return notification


def _is_hidden_engagement_page(path: str) -> bool:
    """Whether ``path`` (a path on this site) is a page of an engagement the logged-in person
    may not see (any more: taken off its team) or that no longer exists."""
    adapter = current_app.url_map.bind("localhost")
    try:
        _endpoint, args = adapter.match(urlsplit(path).path, method="GET")
    except HTTPException:  # no page here (or a redirect, as RequestRedirect)
        return False
    engagement_id = args.get("engagement_id")
    if not isinstance(engagement_id, int):
        return False
    engagement = db.session.get(Engagement, engagement_id)
    return engagement is None or not may_view(engagement, current_user._get_current_object())


@bp.get("/notifications")
@staff_required
def inbox() -> str:
    """The logged-in person's notifications, newest first, 50 a page; ``?show=unread`` lists
    the unread ones only. A page beyond the last is a 404."""
    show = request.args.get("show") or SHOW_ALL
    notes: list[str] = []
    if show not in (SHOW_ALL, SHOW_UNREAD):
        notes.append(_("Diesen Filter gibt es nicht; es werden alle Benachrichtigungen gezeigt."))
        show = SHOW_ALL
    page = inbox_page(
        db.session,
        current_user.id,
        page=_page_number(request.args.get("page")),
        unread_only=show == SHOW_UNREAD,
    )
    if page is None:
        abort(404)
    # One query for the bell's count and the newest unread id ("mark all read" marks up to
    # it); the bell then asks nothing more.
    g.unread_notifications, newest_unread = unread_state(db.session, current_user.id)
    return render_template(
        "followups/inbox.html",
        inbox=page,
        show=show,
        notes=notes,
        newest_unread=newest_unread,
        previous_url=_inbox_url(show=show if show != SHOW_ALL else None, page=page.page - 1)
        if page.has_previous
        else None,
        next_url=_inbox_url(show=show if show != SHOW_ALL else None, page=page.page + 1)
        if page.has_next
        else None,
    )


@bp.get("/notifications/<int:notification_id>")
@staff_required
def open_notification(notification_id: int) -> Response:
    """Mark one's own notification read and go to what it is about (a path on this site;
    the inbox when it has none). Someone else's notification is a 404. A notification about
    an engagement one may no longer see (taken off its team) leads to the inbox with a note
    instead of a 404. A HEAD request (a link checker, a preview) only gets the redirect:
    nobody has read anything."""
    notification = _load_own(notification_id)
    target = safe_next(notification.link) or url_for("followups.inbox")
    hidden = _is_hidden_engagement_page(target)
    if request.method != "HEAD":
        mark_read(db.session, notification, now=clock.now())
        db.session.commit()
    if hidden:
        if request.method != "HEAD":
            flash(
                _(
                    "Diese Prozessbegleitung können Sie nicht (mehr) öffnen: Sie gehören nicht "
                    "zu ihrem Team. Bei Fragen hilft die Projektleitung."
                ),
                "info",
            )
        return redirect(url_for("followups.inbox"))
    return redirect(target)


@bp.post("/notifications/<int:notification_id>/read")
@staff_required
def mark_notification_read(notification_id: int) -> Response:
    """Mark one of one's own notifications read (again is fine) and return to the inbox."""
    notification = _load_own(notification_id)
    mark_read(db.session, notification, now=clock.now())
    db.session.commit()
    flash(_("Die Benachrichtigung ist als gelesen markiert."), "success")
    return _back_to_inbox()


@bp.post("/notifications/read-all")
@staff_required
def mark_all_notifications_read() -> Response:
    """Mark one's unread notifications read, up to the newest one the inbox showed (form
    field ``shown``, its id): one that arrived since stays unread. Return to the inbox."""
    shown = _shown_id(request.form.get("shown"))
    if shown is None:
        flash(
            _(
                "Die Benachrichtigungen konnten nicht als gelesen markiert werden. Bitte laden "
                "Sie die Seite neu und versuchen Sie es noch einmal."
            ),
            "error",
        )
        return _back_to_inbox()
    count = mark_all_read(db.session, current_user.id, up_to=shown, now=clock.now())
    db.session.commit()
    if count:
        flash(
            ngettext(
                "%(num)d Benachrichtigung ist als gelesen markiert.",
                "%(num)d Benachrichtigungen sind als gelesen markiert.",
                count,
            ),
            "success",
        )
    else:
        flash(_("Sie haben keine ungelesenen Benachrichtigungen."), "info")
    return _back_to_inbox()


@bp.route("/notifications/settings", methods=["GET", "POST"])
@staff_required
def notification_settings() -> Response | tuple[str, int]:
    """Per kind of notification: in the app only, or in the app and by email (the weekly
    digest may also be turned off)."""
    me = current_user._get_current_object()
    form = PreferencesForm(data=channels_of(db.session, me.id), kinds=offered_kinds(me))
    if form.is_submitted():
        if not form.validate():
            return _render_settings(form, 422)
        try:
            changed = save_preferences(db.session, me, form.choices, actor=me, now=clock.now())
            db.session.commit()
        except PreferenceError as error:
            db.session.rollback()
            form[error.field].errors = [*form[error.field].errors, str(error)]
            return _render_settings(form, 422)
        if changed:
            flash(_("Ihre Einstellungen für Benachrichtigungen sind gespeichert."), "success")
        else:
            flash(_("Sie haben nichts geändert."), "info")
        return redirect(url_for("followups.notification_settings"))
    return _render_settings(form, 200)


def _render_settings(form: PreferencesForm, status: int) -> tuple[str, int]:
    return render_template(
        "followups/preferences.html", form=form, has_email=bool(current_user.email)
    ), status
