"""Input every view can rely on, checked before any other request hook reads the body.

- No NUL characters anywhere in the query or the form: PostgreSQL text cannot hold NUL
  (0x00); a value with one would fail deep inside a query.
- A form body (``application/x-www-form-urlencoded``) is UTF-8 throughout, its percent-escapes
  too: Werkzeug would keep an escape that is no UTF-8 (``J%FCrgen``) as literal text.
- No uploaded files and no JSON bodies: Flask-WTF would read both as form data (a file in
  place of a text field, a number in place of a string). The one exception are views marked
  ``takes_files(limit)`` (document uploads): for them the hook sets the request's size limit
  and reads the body (files spooled to temporary files) right here, before anything asks the
  database: on SQLite a request that may write holds the write lock from its first
  statement, and an upload arriving slowly must not hold it meanwhile. A body over the limit
  is noted (``upload_too_large()``) for the view to answer with its form; JSON and NUL
  characters are refused as everywhere.

No browser sends any of this by accident, so such a request is refused up front with a 400 page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from flask import Flask, abort, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

F = TypeVar("F", bound=Callable[..., Any])

NUL = "\x00"
FORM_MIMETYPE = "application/x-www-form-urlencoded"
# The methods whose body Flask-WTF reads as form data (``flask_wtf.form.SUBMIT_METHODS``).
SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _refuse_undecodable_form_body() -> None:
    if request.mimetype != FORM_MIMETYPE:
        return
    # Cached, so that the form parser reads the same bytes afterwards; MAX_CONTENT_LENGTH
    # limits how much is read (413 beyond it).
    body = request.get_data(cache=True)
    try:
        parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        abort(400)


def _refuse_files_and_json() -> None:
    if request.method in SUBMIT_METHODS and (request.is_json or request.files):
        abort(400)


def _refuse_nul_characters() -> None:
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if NUL in key or NUL in value:
                abort(400)


def takes_files(limit: Callable[[], int]) -> Callable[[F], F]:
    """Mark a view as one that takes uploaded files (multipart form data), in requests of at
    most ``limit()`` bytes (called in the request, so it may read the app's config)."""

    def mark(view: F) -> F:
        view.upload_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def _upload_limit() -> Callable[[], int] | None:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "upload_limit", None)


def _receive_upload(limit: int) -> None:
    request.max_content_length = limit
    if request.method not in SUBMIT_METHODS:
        return
    if request.is_json:
        abort(400)
    try:
        request.files  # noqa: B018 (reads the whole body: form fields and files)
    except RequestEntityTooLarge:
        g.upload_too_large = True
        return
    _refuse_nul_characters()


def upload_too_large() -> bool:
    """Whether the body of this upload was over its view's limit (and so not read)."""
    return bool(g.get("upload_too_large"))


def check_input() -> None:
    """Refuse (400) a request with input no view can take; see the module docstring."""
    limit = _upload_limit()
    if limit is not None:
        _receive_upload(limit())
        return
    _refuse_undecodable_form_body()
    _refuse_files_and_json()
    _refuse_nul_characters()


def register_input_checks(app: Flask) -> None:
    # First of all hooks: Flask-WTF's CSRF check, registered earlier, parses the form, after
    # which the raw body can no longer be read.
    app.before_request_funcs.setdefault(None, []).insert(0, check_input)
