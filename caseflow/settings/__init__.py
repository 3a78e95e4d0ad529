"""Programme settings that admins change in the browser (DESIGN.md §6, issue 7 point 2).

``init_app`` is called by ``create_app`` once the configuration and the layout are loaded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from caseflow.extensions import db
from caseflow.mail import SENDER_PROVIDER_KEY
from caseflow.settings.services import EXTENSION_KEY, current, detect_overrides, values

log = logging.getLogger(__name__)


def _programme_context() -> dict[str, Any]:
    """The programme window every page's layout shows (footer, landing page, captions),
    as in effect. An error page must render even when the database is down: then the
    configured window is shown."""
    try:
        start, end = values("PROGRAMME_START", "PROGRAMME_END")
    except SQLAlchemyError:
        db.session.rollback()
        start, end = current_app.config["PROGRAMME_START"], current_app.config["PROGRAMME_END"]
    return {
        "programme_start": start,
        "programme_end": end,
        "two_factor_off": _two_factor_off,
    }


def _two_factor_off() -> bool:
    """Whether nobody needs a second factor (the demo data's setting), for the demo banner.
    False when the settings cannot be read: the 503 page of a database outage shows the
    banner too, and must render without the database."""
    try:
        return not current("TWO_FACTOR_ROLES")
    except SQLAlchemyError:
        db.session.rollback()
        return False


def _mail_sender() -> str:
    """The sender in effect. Mail still goes out, from the configured sender, when the
    settings cannot be read (a database without the table): inside a savepoint, so that
    the failed read does not spoil the caller's transaction."""
    try:
        with db.session.begin_nested():
            return current("MAIL_DEFAULT_SENDER")
    except SQLAlchemyError:
        log.warning("settings: the mail sender could not be read; using MAIL_DEFAULT_SENDER")
        return current_app.config.get("MAIL_DEFAULT_SENDER") or ""


def init_app(app: Flask, environ: Mapping[str, str] | None = None) -> None:
    """Find the settings the deployment fixes (environment variables, the instance file;
    ``ConfigError`` for an environment value that does not fit), let pages show the
    programme window in effect (after ``web.layout``'s values, which it replaces) and let
    mail go out from the sender in effect."""
    app.extensions[EXTENSION_KEY] = detect_overrides(
        app, os.environ if environ is None else environ
    )
    app.context_processor(_programme_context)
    app.extensions[SENDER_PROVIDER_KEY] = _mail_sender
