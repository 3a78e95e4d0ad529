"""Input every view can rely on, checked before any other request hook reads the body.

- No NUL characters anywhere in the query or the form: PostgreSQL text cannot hold NUL
  (0x00); a value with one would fail deep inside a query.
- A form body (``application/x-www-form-urlencoded``) is UTF-8 throughout, its percent-escapes
  too: Werkzeug would keep an escape that is no UTF-8 (``J%FCrgen``) as literal text.
- No uploaded files and no JSON bodies: Flask-WTF would read both as form data (a file in
  place of a text field, a number in place of a string). The one exception are views marked
  ``takes_files`` (document uploads): the hook leaves their body alone, so that the view can
  raise the size limit before the body is read, and the view calls ``check_upload_input``.

No browser sends any of this by accident, so such a request is refused up front with a 400 page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from flask import Flask, abort, current_app, request

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


def takes_files(view: F) -> F:
    """Mark ``view`` as one that takes uploaded files (multipart form data)."""
    view.takes_files = True  # type: ignore[attr-defined]
    return view


def _for_a_view_taking_files() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "takes_files", False))


def check_upload_input() -> None:
    """What ``check_input`` checks, for a view that ``takes_files``, once it has set the
    request's size limit: no JSON, no NUL characters (files are welcome)."""
    if request.is_json:
        abort(400)
    _refuse_nul_characters()


def check_input() -> None:
    """Refuse (400) a request with input no view can take; see the module docstring."""
    if _for_a_view_taking_files():
        return
    _refuse_undecodable_form_body()
    _refuse_files_and_json()
    _refuse_nul_characters()


def register_input_checks(app: Flask) -> None:
    # First of all hooks: Flask-WTF's CSRF check, registered earlier, parses the form, after
    # which the raw body can no longer be read.
    app.before_request_funcs.setdefault(None, []).insert(0, check_input)
