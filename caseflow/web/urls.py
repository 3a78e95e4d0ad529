"""Checking redirect targets taken from the request (``next``)."""

from __future__ import annotations

from urllib.parse import urlsplit


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
