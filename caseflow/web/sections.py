"""How a feature adds to the pages of a feature below it without importing upwards.

The lower feature sends a blinker signal while it builds a page; receivers in features above
return a ``ListColumn`` (one more column in a list) or a ``PageSection`` (one more section on
a page). This is how Indico's modules extend each other's pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from blinker import Signal


@dataclass(frozen=True)
class ListColumn:
    """A column a feature above adds to a list: heading and the value per row id."""

    heading: str
    values: Mapping[int, Any]
    default: Any = 0
    order: int = 0

    def value_for(self, row_id: int) -> Any:
        """The value shown in the row of ``row_id``."""
        return self.values.get(row_id, self.default)


@dataclass(frozen=True)
class PageSection:
    """A section a feature above adds to a page: a template and the data it shows."""

    template: str
    data: Mapping[str, Any] = field(default_factory=dict)
    order: int = 0


def contributions(signal: Signal, sender: Any, **kwargs: Any) -> list[Any]:
    """What the receivers of ``signal`` return for ``sender``, in their ``order``."""
    results = [value for _receiver, value in signal.send(sender, **kwargs) if value is not None]
    return sorted(results, key=lambda contribution: contribution.order)
