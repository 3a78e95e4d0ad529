"""Rescheduling: shifting an engagement's later open dates by N days (DESIGN.md §3).

The contract between the rescheduling service and the features whose rows move with it:

- ``ShiftItem`` is one dated thing that a shift may move (an open milestone of this feature,
  an open follow-up of ``caseflow.followups``): what it is, its title for the preview, its
  current date, and ``move`` to set a new date on its row (the caller flushes).
- ``shift_candidates`` is a blinker signal sent by the rescheduling service with the engagement
  as sender and ``session`` and ``after`` (a date) as keyword arguments; every receiver returns
  a list of ``ShiftItem`` of its open rows of that engagement dated on or after ``after``.
  Features above engagements (follow-ups) connect to it, so engagements never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from blinker import Namespace

_signals = Namespace()
shift_candidates = _signals.signal("shift-candidates")


@dataclass(frozen=True)
class ShiftItem:
    """One dated row a shift may move.

    ``kind`` is a stable key (``"milestone"``, ``"follow_up"``) used in the audit trail;
    ``label`` the German kind shown in the preview ("Meilenstein", "Wiedervorlage");
    ``move(new_date)`` sets the row's date (a follow-up keeps its time of day).
    """

    kind: str
    item_id: int
    label: str
    title: str
    due: date
    move: Callable[[date], None]
