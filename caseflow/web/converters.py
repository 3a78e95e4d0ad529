"""URL converters."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# Primary keys are INTEGER: 32 bits on PostgreSQL (SQLite would take 64).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` with an upper bound: ``/engagements/3000000000`` is a 404 and not an
    out-of-range error from the database."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def form_id(value: str | None) -> int | None:
    """The id a form sent (ASCII digits, at most ``MAX_ID``), or None for anything else: a
    value no form offered must not reach the database as an out-of-range integer."""
    raw = (value or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ID))):
        return None
    number = int(raw)
    return number if number <= MAX_ID else None


def register_converters(app: Flask) -> None:
    """Replace the default ``int`` converter; must run before blueprints are registered."""
    app.url_map.converters["int"] = IdConverter
