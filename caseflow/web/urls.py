"""URLs: checking redirect targets taken from the request (``next``), and absolute links
that a forged Host header cannot change."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirects).

    Refused: absolute URLs, scheme-relative ``//host``, backslash tricks (``/\\host``),
    control characters, and anything that is not a path starting with one ``/``.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute link (for an email or a calendar address): on ``BASE_URL`` when it is
    set (always in production), so that a forged Host header cannot put another address
    into what caseflow hands out; else on this request's host."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
