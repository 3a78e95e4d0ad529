"""The programme window in effect: the admins' settings (``caseflow.settings``) in the shape
the date rules take (``rules.ProgrammeWindow``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from caseflow.engagements.rules import ProgrammeWindow
from caseflow.settings.services import values


def programme_window(session: Session | None = None) -> ProgrammeWindow:
    """The programme window and the allowed durations in effect (``PROGRAMME_START``,
    ``PROGRAMME_END``, ``MIN_DURATION_MONTHS``, ``MAX_DURATION_MONTHS``). In a request the
    session may be left out; outside requests pass the job's session."""
    start, end, shortest, longest = values(
        "PROGRAMME_START",
        "PROGRAMME_END",
        "MIN_DURATION_MONTHS",
        "MAX_DURATION_MONTHS",
        session=session,
    )
    return ProgrammeWindow(start, end, shortest, longest)
