"""Error pages in the user's language for everything a browser can run into."""

from __future__ import annotations

import logging
import math
import time
import traceback
from typing import Any

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from caseflow.extensions import db, limiter, login_manager

log = logging.getLogger(__name__)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Ungültige Anfrage"), _("Die Anfrage konnte nicht verarbeitet werden.")),
        403: (
            _("Kein Zugriff"),
            _(
                "Sie haben keine Berechtigung für diese Seite. Wenden Sie sich an die "
                "Projektleitung, wenn Sie Zugriff brauchen."
            ),
        ),
        404: (
            _("Seite nicht gefunden"),
            _(
                "Diese Seite gibt es nicht (mehr). Prüfen Sie die Adresse oder gehen Sie zur "
                "Startseite."
            ),
        ),
        405: (_("Nicht erlaubt"), _("Diese Aktion ist auf dieser Seite nicht möglich.")),
        413: (
            _("Anfrage zu groß"),
            _("Die gesendeten Daten sind zu umfangreich. Bitte kürzen Sie Ihre Eingaben."),
        ),
        429: (_("Zu viele Anfragen"), _("Bitte warten Sie einen Moment.")),
        500: (
            _("Interner Fehler"),
            _(
                "Etwas ist schiefgelaufen. Der Fehler wurde protokolliert; bitte versuchen Sie "
                "es später noch einmal."
            ),
        ),
        503: (
            _("Vorübergehend nicht erreichbar"),
            _(
                "caseflow kann die Datenbank gerade nicht erreichen. Bitte versuchen Sie es in "
                "einigen Minuten noch einmal."
            ),
        ),
    }


def render_error(code: int, detail: str | None = None, headers: dict[str, str] | None = None):
    title, message = _messages().get(code, _messages()[500])
    body = render_template("errors/error.html", code=code, title=title, message=detail or message)
    return body, code, headers or {}


def _as_anonymous() -> None:
    """Render the rest of this request as for a visitor: loading the staff member (or
    refreshing them after a rollback) would ask the database that has just failed."""
    g._login_user = login_manager.anonymous_user()


def _handle_http(error: HTTPException):
    code = error.code or 500
    if code < 400:
        return error
    headers = dict(error.get_headers()) if code in (405, 429) else {}
    headers.pop("Content-Type", None)
    return render_error(code if code in _messages() else 400, headers=headers)


def _handle_csrf(error: CSRFError):
    return render_error(
        400,
        _(
            "Das Formular ist abgelaufen oder wurde nicht vollständig gesendet. Bitte laden Sie "
            "die Seite neu und senden Sie es noch einmal."
        ),
    )


def _handle_rate_limit(error: RateLimitExceeded):
    current = limiter.current_limit
    retry_after = max(1, math.ceil(current.reset_at - time.time())) if current else None
    detail = _("Zu viele Versuche in kurzer Zeit.")
    if retry_after:
        minutes = math.ceil(retry_after / 60)
        detail += " " + ngettext(
            "Bitte versuchen Sie es in %(num)d Minute noch einmal.",
            "Bitte versuchen Sie es in %(num)d Minuten noch einmal.",
            minutes,
        )
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return render_error(429, detail, headers)


def _handle_database_down(error: OperationalError):
    log.error("database unavailable: %s", error.__class__.__name__)
    db.session.rollback()
    _as_anonymous()
    return render_error(503, headers={"Retry-After": "30"})


def _log_exception(exc_info: Any) -> None:
    """Flask's log of an unhandled error, naming the route's pattern instead of the path:
    a path may carry a secret (the status link's token)."""
    where = request.url_rule.rule if request.url_rule is not None else "(no route)"
    error = exc_info[1]
    if isinstance(error, DBAPIError):
        # The driver's message may quote the row (PostgreSQL: "Failing row contains (…)"),
        # that is, submitted personal data: the log keeps the error's kind and where it came
        # from, not its message.
        log.error(
            "unhandled database error on %s %s: %s (%s)\n%s",
            request.method,
            where,
            type(error).__name__,
            type(error.orig).__name__,
            "".join(traceback.format_tb(exc_info[2])),
        )
        return
    log.error("unhandled error on %s %s", request.method, where, exc_info=exc_info)


def _handle_unexpected(error: Exception):
    # Flask has logged the error already (through _log_exception).
    db.session.rollback()
    _as_anonymous()
    return render_error(500)


def register_error_handlers(app: Flask) -> None:
    app.log_exception = _log_exception  # type: ignore[method-assign]
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(RateLimitExceeded, _handle_rate_limit)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(OperationalError, _handle_database_down)
    app.register_error_handler(ServiceUnavailable, _handle_http)
    app.register_error_handler(InternalServerError, _handle_unexpected)
