"""Locale selection and the date filters templates use (``31.07.2026``, Europe/Berlin)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, has_request_context, session
from flask_babel import format_date, format_datetime, format_decimal
from flask_login import current_user

from caseflow.clock import local
from caseflow.translating import current_locale

SESSION_KEY = "locale"


def supported_locales() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """The staff member's saved choice, else the session's, else German.

    The browser's Accept-Language is deliberately not consulted: caseflow's language is
    German (DESIGN.md §1), and English is offered to whoever chooses it in the header.
    """
    languages = supported_locales()
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    saved = getattr(current_user, "locale", None)
    if saved in languages:
        return saved
    chosen = session.get(SESSION_KEY)
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _is_german() -> bool:
    locale = current_locale()
    return locale is None or locale.language == "de"


def format_day(value: date | datetime | None) -> str:
    """``31.07.2026`` in German, ``31 Jul 2026`` in English; datetimes in local time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    if _is_german():
        # Babel's pattern "dd.MM.yyyy" spelled out: list pages format hundreds of dates, and
        # Babel's pattern machinery was most of the cost of each (bench/run.py --profile).
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    return format_date(value, "d MMM yyyy")


def format_moment(value: datetime | None) -> str:
    """``31.07.2026, 14:05`` (Europe/Berlin)."""
    if value is None:
        return ""
    return format_datetime(value, "dd.MM.yyyy, HH:mm" if _is_german() else "d MMM yyyy, HH:mm")


def format_score(value: float | None) -> str:
    """A review score like ``3,5`` (German) or ``3.5``; an en dash when there is none."""
    if value is None:
        return "–"
    return format_decimal(value, "0.0#")


def format_file_size(size: int) -> str:
    """A file size for people: ``820 KB``, ``4,2 MB`` (German) or ``4.2 MB``."""
    if size < 1024 * 1024:
        return f"{format_decimal(max(1, round(size / 1024)), '#,##0')} KB"
    return f"{format_decimal(size / (1024 * 1024), '#,##0.0')} MB"


def register_i18n(app: Flask) -> None:
    app.add_template_filter(format_file_size, "file_size")
    app.add_template_filter(format_score, "score")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_moment, "moment")
    app.jinja_env.globals["current_locale"] = lambda: str(current_locale() or "de")
