"""The kinds of notifications and how each staff member wants to be told of each kind.

A channel is ``app`` (in the app only), ``email`` (in the app and by email) or ``off``
(nothing; only the weekly digest can be turned off). Without a stored choice a kind has its
default channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.followups.models import NotificationPreference
from caseflow.translating import lazy_gettext as _l

APP = "app"
EMAIL = "email"
OFF = "off"
CHANNELS = (APP, EMAIL, OFF)


@dataclass(frozen=True)
class Kind:
    """One kind of notification: its key, its German label, its default channel, and
    whether it may be turned off entirely."""

    key: str
    label: Any  # a lazy German string
    default: str = EMAIL
    may_turn_off: bool = False


KINDS: tuple[Kind, ...] = (
    Kind("milestone_due", _l("Meilenstein bald fällig")),
    Kind("milestone_overdue", _l("Meilenstein überfällig")),
    Kind("follow_up_due", _l("Wiedervorlage fällig")),
    Kind("engagement_ending", _l("Prozessbegleitung endet bald")),
    Kind("application_new", _l("Neue Bewerbung")),
    Kind("application_undecided", _l("Bewerbung noch nicht entschieden")),
    Kind("digest", _l("Wochenübersicht (montags)"), may_turn_off=True),
    Kind("document_damaged", _l("Gespeicherte Datei beschädigt")),
)
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


def default_channel(kind: str) -> str:
    """The channel of ``kind`` for someone who has not chosen (unknown kinds: email)."""
    known = KINDS_BY_KEY.get(kind)
    return known.default if known else EMAIL


def stored_channels(session: Session, staff_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """The stored choices of these staff members as ``{(staff_id, kind): channel}``; one
    query."""
    ids = sorted(set(staff_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            NotificationPreference.staff_member_id,
            NotificationPreference.kind,
            NotificationPreference.channel,
        ).where(NotificationPreference.staff_member_id.in_(ids))
    )
    return {(staff_id, kind): channel for staff_id, kind, channel in rows}


def channel_of(stored: dict[tuple[int, str], str], staff_id: int, kind: str) -> str:
    """The channel ``staff_id`` gets ``kind`` on, from ``stored_channels``' answer."""
    return stored.get((staff_id, kind)) or default_channel(kind)
