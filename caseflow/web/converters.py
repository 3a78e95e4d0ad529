"""URL converters."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# The largest value a database integer parameter can carry (SQLite and PostgreSQL bigint).
MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` with an upper bound: ``/engagements/99999999999999999999`` is a 404 and not
    an overflow error in the database driver."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def register_converters(app: Flask) -> None:
    """Replace the default ``int`` converter; must run before blueprints are registered."""
    app.url_map.converters["int"] = IdConverter
