"""The privacy notice of the public form (``/datenschutz``), in versions.

A notice that changes in substance gets a new version with the date from which it applies;
older versions stay readable at ``/datenschutz/<version>``, and every application keeps the
version its form linked (``Application.privacy_notice_version``), beside the version of the
consent text it agreed to. The texts are templates under ``templates/intake/privacy/``;
a later version may extend an earlier one and replace only what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PrivacyNotice:
    version: str
    applies_from: date
    template: str
    # What changed against the version before (German, shown in the list of versions).
    change: str = ""


NOTICES: tuple[PrivacyNotice, ...] = (
    PrivacyNotice("2025-01", date(2025, 1, 1), "intake/privacy/2025-01.html"),
    PrivacyNotice(
        "2026-12",
        date(2026, 12, 7),
        "intake/privacy/2026-12.html",
        change="Aufbewahrung: wann die Daten der Ansprechpersonen abgeschlossener "
        "Prozessbegleitungen anonymisiert werden.",
    ),
)


def published(today: date) -> list[PrivacyNotice]:
    """The versions published by ``today``, oldest first (never none: the first counts as
    published from the start)."""
    return [notice for notice in NOTICES if notice.applies_from <= today] or [NOTICES[0]]


def current_notice(today: date) -> PrivacyNotice:
    """The notice that applies on ``today`` (the newest one whose date has come)."""
    return published(today)[-1]


def notice_of(version: str | None, today: date) -> PrivacyNotice | None:
    """The version ``version`` if it is published by ``today``, else None."""
    return next((notice for notice in published(today) if notice.version == version), None)
