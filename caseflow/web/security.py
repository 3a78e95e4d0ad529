"""Security headers on every response (HTML, JSON, files, errors, static files).

The pages carry no inline script, no inline style and no event handler attributes, so the
Content Security Policy needs no ``'unsafe-inline'``. No page or stylesheet uses ``data:``
URIs (the favicon is a file), so images, like everything else, come from caseflow itself.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"

# Set on every response; a value a view has set itself is kept (the token pages send the
# stricter ``Referrer-Policy: no-referrer``).
DEFAULT_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # For browsers that predate CSP's frame-ancestors.
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _is_public_page() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "is_public", False))


def _is_signed_in() -> bool:
    # The session, not ``current_user``: loading the staff member would ask the database,
    # which may just have failed (see ``caseflow.web.errors``).
    return session.get("_user_id") is not None


def add_security_headers(response: Response) -> Response:
    """Give ``response`` the security headers (see ``DEFAULT_HEADERS``), HSTS in production,
    and ``Cache-Control: no-store`` unless it is a static file or a public page seen by a
    visitor who is not signed in. Headers a view has set itself are kept, except that a
    caching header without ``no-store`` on a private response becomes ``no-store``."""
    for name, value in DEFAULT_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["CASEFLOW_ENV"] == "production":
        # Only production is served over HTTPS; elsewhere HSTS would lock out localhost.
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint == "static":
        return response  # static files keep their caching (and need no session)
    # Staff data must not stay in the browser's or a proxy's cache (shared computers).
    private = not _is_public_page() or _is_signed_in()
    if private and "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "no-store"
    return response


def register_security_headers(app: Flask) -> None:
    """Add the security headers to every response of ``app``."""
    app.after_request(add_security_headers)
