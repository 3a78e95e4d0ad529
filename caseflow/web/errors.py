"""Error pages in the user's language for everything a browser can run into."""

from __future__ import annotations

import logging
import math
import time
import traceback
from typing import Any

from flask import Flask, g, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from caseflow.extensions import db, limiter, login_manager
from caseflow.translating import gettext as _
from caseflow.translating import ngettext

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
    """The error page of ``code``: a fixed title and message (or ``detail``, a text of ours),
    never anything of the request. Even the language switch, which otherwise returns to the
    page's address with its query, leads to the start page here: an address may carry
    submitted values (a search for a person's name) or a secret (the status link's token)."""
    title, message = _messages().get(code, _messages()[500])
    body = render_template(
        "errors/error.html",
        code=code,
        title=title,
        message=detail or message,
        current_path="/",
    )
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


def error_kinds(error: BaseException) -> str:
    """The kinds of ``error`` and of the errors it came from (``__cause__``,
    ``__context__``), without their messages: ``IntegrityError (UniqueViolation)``,
    ``RuntimeError <- KeyError``."""
    kinds = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current).__name__
        original = getattr(current, "orig", None)
        if isinstance(current, DBAPIError) and original is not None:
            kind += f" ({type(original).__name__})"
        kinds.append(kind)
        current = current.__cause__ or current.__context__
    return " <- ".join(kinds)


def _log_exception(exc_info: Any) -> None:
    """Flask's log of an unhandled error, naming the route's pattern instead of the path (a
    path may carry a secret, the status link's token) and the error's kind and traceback
    instead of its message: a message may quote submitted values (``invalid literal for
    int(): 'Petra …'``, PostgreSQL's "Failing row contains (…)"), that is, personal data.
    The traceback's file, line and code locate the fault."""
    where = request.url_rule.rule if request.url_rule is not None else "(no route)"
    error = exc_info[1]
    log.error(
        "unhandled %s on %s %s: %s\n%s",
        "database error" if isinstance(error, DBAPIError) else "error",
        request.method,
        where,
        error_kinds(error) if error is not None else "?",
        "".join(traceback.format_tb(exc_info[2])),
    )


def _handle_unexpected(error: Exception):
    # Flask has logged the error already (through _log_exception).
    db.session.rollback()
    _as_anonymous()
    return render_error(500)


def _close_session(error: BaseException | None) -> None:
    """End the request's database session before Flask-SQLAlchemy's own teardown does
    (teardown functions run in reverse order of registration; this one is registered after
    ``db.init_app``). When the database server went away after the request's last statement
    (a restart cuts every connection), the rollback of that end fails; then the session's
    connections are dropped without a rollback, so that the answer already made (a page, or
    the 503 page) reaches the browser instead of a bare 500 from the server."""
    try:
        db.session.remove()
    except SQLAlchemyError as exc:
        log.warning("database connection lost at the end of a request (%s)", type(exc).__name__)
        db.session().invalidate()
        db.session.remove()


def register_error_handlers(app: Flask) -> None:
    app.log_exception = _log_exception  # type: ignore[method-assign]
    app.teardown_appcontext(_close_session)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(RateLimitExceeded, _handle_rate_limit)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(OperationalError, _handle_database_down)
    app.register_error_handler(ServiceUnavailable, _handle_http)
    app.register_error_handler(InternalServerError, _handle_unexpected)
