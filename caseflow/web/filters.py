"""Reading list filters from the query string: a bad value is ignored with a note."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import Protocol, TypeVar

from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l


class Choice(Protocol):
    """Something a select box offers by its numeric id (a staff member, …)."""

    @property
    def id(self) -> int: ...


E = TypeVar("E", bound=Enum)
C = TypeVar("C", bound=Choice)

# The notes for the sector and district filters that several lists offer (``enum_filter``).
UNKNOWN_SECTOR = _l("Den Bereich „%(value)s“ gibt es nicht; der Filter wurde ignoriert.")
UNKNOWN_DISTRICT = _l("Den Bezirk „%(value)s“ gibt es nicht; der Filter wurde ignoriert.")
# Ids as a select box sends them; longer digit strings cannot be an id.
_ID = re.compile(r"[0-9]{1,12}")

# What a date input sends: YYYY-MM-DD (``date.fromisoformat`` alone would also take
# "20250203" or "2025-W06-1"); and, typed where a browser shows a plain text box, the German
# day as pages show it: 3.2.2025 or 03.02.2025. Years outside FILTER_YEARS are refused so that
# day arithmetic in queries (the next day, midnight in UTC) cannot overflow.
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_GERMAN_DAY = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
FILTER_YEARS = range(1900, 3000)
# The message of a form's date field whose value ``parse_day`` cannot read.
DATE_MESSAGE = _l("Bitte geben Sie ein gültiges Datum an, zum Beispiel 01.09.2025.")


def parse_day(value: str) -> date | None:
    """The calendar day in ``value`` (``2025-02-03`` or ``3.2.2025``), or None when it is not
    a real day written one of these ways."""
    value = value.strip()
    if match := _ISO_DAY.fullmatch(value):
        year, month, day = match.groups()
    elif match := _GERMAN_DAY.fullmatch(value):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


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
    """The day (``2025-02-03`` or ``3.2.2025``) in ``raw``; None (and a German note naming
    the filter ``label``) when it is not a real date or lies outside ``FILTER_YEARS``."""
    if not raw:
        return None
    day = parse_day(raw)
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


def choice_filter(
    raw: str | None, choices: Sequence[C], notes: list[str], *, label: str
) -> C | None:
    """The one of ``choices`` whose id ``raw`` names; None (and a German note naming the
    filter ``label``) for anything else."""
    if not raw:
        return None
    value = raw.strip()
    if _ID.fullmatch(value):
        chosen = next((choice for choice in choices if choice.id == int(value)), None)
        if chosen is not None:
            return chosen
    notes.append(
        _(
            "%(label)s: „%(value)s“ ist keine der angebotenen Personen; "
            "der Filter wurde ignoriert.",
            label=label,
            value=raw,
        )
    )
    return None


def page_links(page: int, pages: int, *, window: int = 2) -> list[int]:
    """The page numbers a page navigation links: the first, the last, and ``window`` either
    side of ``page``; a gap between two of them is shown as an ellipsis."""
    around = range(max(1, page - window), min(pages, page + window) + 1)
    return sorted({1, pages, *around})
