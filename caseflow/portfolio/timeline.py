"""The timeline's data: every engagement with the figures its row shows."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from caseflow.engagements.queries import EngagementRow, list_engagements
from caseflow.staff.models import StaffMember


@dataclass(frozen=True)
class TimelineGroup:
    """The engagements one lead consultant leads (``lead`` None: nobody leads them)."""

    lead: StaffMember | None
    rows: list[EngagementRow]


def timeline_groups(session: Session, *, today: date) -> list[TimelineGroup]:
    """Every engagement, grouped by lead consultant (by name), each group by start date."""
    groups: dict[int | None, list[EngagementRow]] = defaultdict(list)
    leads: dict[int | None, StaffMember | None] = {None: None}
    for row in list_engagements(session, today=today):
        lead = row.engagement.lead
        key = lead.id if lead is not None else None
        leads[key] = lead
        groups[key].append(row)
    ordered = sorted(
        groups,
        key=lambda key: (key is None, leads[key].name.lower() if leads[key] else "", key or 0),
    )
    return [TimelineGroup(lead=leads[key], rows=groups[key]) for key in ordered]
