"""Reading list filters from the query string: a bad value is ignored with a note."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from flask_babel import gettext as _

E = TypeVar("E", bound=Enum)


def enum_filter(raw: str | None, enum_class: type[E], notes: list[str]) -> E | None:
    """The member of ``enum_class`` named by ``raw``; None (and a German note) if unknown."""
    if not raw:
        return None
    try:
        return enum_class(raw)
    except ValueError:
        notes.append(
            _("Den Status „%(value)s“ gibt es nicht; der Filter wurde ignoriert.", value=raw)
        )
        return None
