"""Key figures of the programme for the reports page."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from caseflow.database import count_by
from caseflow.engagements.models import (
    Barrier,
    BarrierCategory,
    BarrierStatus,
    Milestone,
    MilestoneStatus,
)
from caseflow.organisations.choices import Sector
from caseflow.organisations.models import Organisation


@dataclass(frozen=True)
class MilestoneFigures:
    """Milestones by state; ``overdue`` is the part of ``open`` due before today."""

    done: int
    open: int
    overdue: int
    dropped: int

    @property
    def total(self) -> int:
        """All milestones."""
        return self.done + self.open + self.dropped


@dataclass(frozen=True)
class BarrierMatrix:
    """Barriers per category and status."""

    counts: dict[BarrierCategory, dict[BarrierStatus, int]] = field(default_factory=dict)

    def row_total(self, category: BarrierCategory) -> int:
        """All barriers of one category."""
        return sum(self.counts[category].values())

    def column_total(self, status: BarrierStatus) -> int:
        """All barriers in one status."""
        return sum(row[status] for row in self.counts.values())

    @property
    def total(self) -> int:
        """All barriers."""
        return sum(self.row_total(category) for category in self.counts)


def organisations_by_sector(session: Session) -> dict[Sector, int]:
    """How many organisations each sector has (zero included); one statement."""
    return count_by(session, Organisation.sector, Sector)


def milestone_figures(session: Session, *, today: date) -> MilestoneFigures:
    """Milestones done, open, overdue (open and due before ``today``) and dropped."""
    status = Milestone.status
    statement = select(
        func.count(case((status == MilestoneStatus.ERLEDIGT, 1))),
        func.count(case((status == MilestoneStatus.OFFEN, 1))),
        func.count(case(((status == MilestoneStatus.OFFEN) & (Milestone.due_date < today), 1))),
        func.count(case((status == MilestoneStatus.ENTFALLEN, 1))),
    )
    done, open_, overdue, dropped = session.execute(statement).one()
    return MilestoneFigures(done=done, open=open_, overdue=overdue, dropped=dropped)


def barrier_matrix(session: Session) -> BarrierMatrix:
    """Barriers per category × status (every cell present); one statement."""
    counts = {category: dict.fromkeys(BarrierStatus, 0) for category in BarrierCategory}
    statement = select(Barrier.category, Barrier.status, func.count(Barrier.id)).group_by(
        Barrier.category, Barrier.status
    )
    for category, status, count in session.execute(statement):
        counts[category][status] = count
    return BarrierMatrix(counts=counts)
