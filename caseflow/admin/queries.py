"""Read-only queries behind the administration pages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session, selectinload

from caseflow.audit.models import AuditEvent
from caseflow.audit.queries import EventFilter, count_events, newest_event_id
from caseflow.audit.services import record
from caseflow.database import Model
from caseflow.engagements.models import Engagement, PhaseTemplate, TemplatePhase
from caseflow.intake.models import Application
from caseflow.organisations.models import Organisation
from caseflow.outcomes.models import SelfcheckStatement
from caseflow.staff.models import StaffMember


def phase_templates(session: Session) -> list[PhaseTemplate]:
    """Every phase template with its phases and milestones, the default first, then by
    name; a fixed number of statements."""
    return list(
        session.scalars(
            select(PhaseTemplate)
            .options(selectinload(PhaseTemplate.phases).selectinload(TemplatePhase.milestones))
            .order_by(PhaseTemplate.is_default.desc(), func.lower(PhaseTemplate.name))
        )
    )


def phase_template(session: Session, template_id: int) -> PhaseTemplate | None:
    """One phase template with its phases and milestones (None: there is none)."""
    return session.scalar(
        select(PhaseTemplate)
        .where(PhaseTemplate.id == template_id)
        .options(selectinload(PhaseTemplate.phases).selectinload(TemplatePhase.milestones))
    )


# -- the audit log viewer (``/admin/audit``) -------------------------------------------------

# Object types of the audit trail that have a page, with the model whose rows they name.
LINKED_MODELS: dict[str, type[Model]] = {
    "application": Application,
    "engagement": Engagement,
    "organisation": Organisation,
    "phase_template": PhaseTemplate,
    "selfcheck_statement": SelfcheckStatement,
}
EXPORT_OBJECT_TYPE = "audit_log"


def audit_actors(session: Session) -> list[StaffMember]:
    """The staff members who appear as the actor of at least one audit event, by name; one
    query (an index probe on ``audit_event.actor_id`` per staff member)."""
    acted = select(AuditEvent.id).where(AuditEvent.actor_id == StaffMember.id).exists()
    return list(
        session.scalars(
            select(StaffMember).where(acted).order_by(func.lower(StaffMember.name), StaffMember.id)
        )
    )


def existing_objects(
    session: Session, references: Iterable[tuple[str, int | None]]
) -> set[tuple[str, int]]:
    """Which of ``references`` (object type, id) name a row that still exists, for the types
    of ``LINKED_MODELS`` (others are left out); one query for all types, none without any
    reference of those types."""
    wanted: dict[str, set[int]] = {}
    for object_type, object_id in references:
        if object_type in LINKED_MODELS and object_id is not None:
            wanted.setdefault(object_type, set()).add(object_id)
    if not wanted:
        return set()
    parts = []
    for object_type, ids in sorted(wanted.items()):
        key = LINKED_MODELS[object_type].id
        parts.append(
            select(literal(object_type).label("object_type"), key.label("object_id")).where(
                key.in_(sorted(ids))
            )
        )
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    return {(str(row.object_type), int(row.object_id)) for row in session.execute(statement)}


@dataclass(frozen=True)
class AuditExport:
    """An export of the audit trail that has been recorded: the events it covers are those
    matching the filter with an id up to ``up_to_id`` (the newest before the export), so
    the file holds exactly ``rows`` events, whatever is recorded while it is written."""

    event: AuditEvent
    rows: int
    up_to_id: int


def record_audit_export(
    session: Session, filters: EventFilter, *, actor: StaffMember, now: datetime
) -> AuditExport:
    """Record that ``actor`` exports the audit events matching ``filters``.

    After: one ``audit.exported`` event (object type ``audit_log``, no id) whose changes
    hold the filter (``EventFilter.described``) and the number of events exported; flushed.
    Reading the rows is up to the caller (``matching_events`` with ``up_to_id``). Three
    queries (newest id, count, insert).
    """
    up_to_id = newest_event_id(session) or 0
    rows = count_events(session, filters, up_to_id=up_to_id)
    event = record(
        session,
        actor=actor,
        action="audit.exported",
        object_type=EXPORT_OBJECT_TYPE,
        object_id=None,
        changes={"filter": filters.described(), "rows": rows},
        at=now,
    )
    session.flush()
    return AuditExport(event=event, rows=rows, up_to_id=up_to_id)
