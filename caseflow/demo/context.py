"""What the demo builders share: the demo day, the state of one load and the date helpers.

Every date is built around ``DEMO_TODAY``; local times are Berlin wall-clock times stored as
aware UTC datetimes.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from caseflow import clock
from caseflow.engagements.models import Engagement, PhaseTemplate
from caseflow.intake.models import ApplicationRound, ApplicationStatus
from caseflow.organisations.models import Organisation
from caseflow.staff.identity import name_key
from caseflow.staff.models import StaffMember

DEMO_TODAY = date(2025, 10, 15)
ONE_DAY = timedelta(days=1)

# The project lead who decides on applications and plans the engagements they lead to.
DECIDING_LEAD = "Teo Lünstroth"

Entry = dict[str, Any]


class DemoError(RuntimeError):
    """The demo cannot be loaded (German message); nothing was changed."""


@dataclass
class Demo:
    """Everything the builders share while one demo is being loaded."""

    session: Session
    data: dict[str, Any]
    rng: random.Random
    staff: dict[str, StaffMember] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    rounds: dict[str, ApplicationRound] = field(default_factory=dict)
    engagements: dict[str, Engagement] = field(default_factory=dict)
    template: PhaseTemplate | None = None

    @property
    def texts(self) -> Entry:
        return self.data["texts"]

    @property
    def programme(self) -> Entry:
        return self.data["programme"]

    def member(self, name: str) -> StaffMember:
        """The staff member of that name (accents and case ignored)."""
        member = self.staff.get(name_key(name))
        if member is None:
            raise DemoError(
                f"Die Kontaktliste enthält keine Person namens „{name}“; "
                "die Demodaten brauchen sie."
            )
        return member

    def organisation_entry(self, key: str) -> Entry:
        return next(e for e in self.data["organisations"]["organisations"] if e["key"] == key)

    def accepted_application(self, key: str) -> Entry | None:
        return next(
            (
                entry
                for entry in self.programme["applications"]
                if entry["org"] == key and entry["status"] == ApplicationStatus.ANGENOMMEN
            ),
            None,
        )


def parse_day(text: str) -> date:
    """``"2025-10-15"`` as a date."""
    return date.fromisoformat(text)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local Berlin wall-clock time on ``day`` as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.timezone()).astimezone(UTC)


def parse_moment(text: str) -> datetime:
    """``"2025-10-15 09:30"`` (local Berlin time) as an aware UTC datetime."""
    day, wall = text.split(" ")
    local = datetime.combine(parse_day(day), time.fromisoformat(wall), tzinfo=clock.timezone())
    return local.astimezone(UTC)


def local_day(moment: datetime) -> date:
    """The local Berlin day of ``moment``."""
    return moment.astimezone(clock.timezone()).date()


def demo_morning() -> datetime:
    """8:00 on the demo day, the latest moment anything in the data set was created."""
    return at(DEMO_TODAY, 8)


def count_rows(session: Session, model: type, *where: ColumnElement[bool]) -> int:
    """The number of ``model`` rows that meet every condition in ``where``."""
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def counts_by(session: Session, column: InstrumentedAttribute[Any]) -> Counter[Any]:
    """The number of rows for each value of ``column``."""
    rows = session.execute(select(column, func.count()).group_by(column))
    return Counter({value: number for value, number in rows})
