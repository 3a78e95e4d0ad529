"""Input every view can rely on: no NUL characters anywhere in the query or the form.

PostgreSQL text cannot hold NUL (0x00); a value with one would fail deep inside a query.
No browser sends one by accident, so such a request is refused up front with a 400 page.
"""

from __future__ import annotations

from flask import Flask, abort, request

NUL = "\x00"


def _refuse_nul_characters() -> None:
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if NUL in key or NUL in value:
                abort(400)


def register_input_checks(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
