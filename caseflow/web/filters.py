"""Reading list filters from the query string: a bad value is ignored with a note."""

from __future__ import annotations

import re
from datetime import date
from enum import Enum
from typing import TypeVar

from flask_babel import gettext as _

E = TypeVar("E", bound=Enum)

# What a date input sends: YYYY-MM-DD (``date.fromisoformat`` alone would also take
# "20250203" or "2025-W06-1"). Years outside FILTER_YEARS are refused so that day arithmetic
# in queries (the next day, midnight in UTC) cannot overflow.
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FILTER_YEARS = range(1900, 3000)


def enum_filter(
    raw: str | None, enum_class: type[E], notes: list[str], *, message: str | None = None
) -> E | None:
    """The member of ``enum_class`` named by ``raw``; None (and a German note) if unknown.

    ``message`` replaces the default note ("Den Status … gibt es nicht"); it is a translated
    text with a ``%(value)s`` placeholder for the value given.
    """
    if not raw:
        return None
    try:
        return enum_class(raw)
    except ValueError:
        if message is None:
            notes.append(
                _("Den Status „%(value)s“ gibt es nicht; der Filter wurde ignoriert.", value=raw)
            )
        else:
            notes.append(str(message) % {"value": raw})
        return None


def date_filter(raw: str | None, notes: list[str], *, label: str) -> date | None:
    """The ISO date (``2025-02-03``) in ``raw``; None (and a German note naming the filter
    ``label``) when it is not a real date or lies outside ``FILTER_YEARS``."""
    if not raw:
        return None
    value = raw.strip()
    try:
        day = date.fromisoformat(value) if _ISO_DAY.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        notes.append(
            _(
                "%(label)s: „%(value)s“ ist kein gültiges Datum; der Filter wurde ignoriert.",
                label=label,
                value=raw,
            )
        )
        return None
    if day.year not in FILTER_YEARS:
        notes.append(
            _(
                "%(label)s: „%(value)s“ liegt außerhalb des möglichen Zeitraums; "
                "der Filter wurde ignoriert.",
                label=label,
                value=raw,
            )
        )
        return None
    return day
