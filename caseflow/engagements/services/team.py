"""The engagement's team: one lead consultant and any number of co-consultants, chosen from
active staff; the capacity warning for people who join; who can be chosen."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session, selectinload

from caseflow.audit.services import record
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.engagements.services.common import (
    EngagementError,
    check_version,
    require_editor,
    touch,
)
from caseflow.engagements.signals import team_left
from caseflow.staff.models import ENGAGEMENT_MEASURE, StaffMeasure, StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import ngettext

# Engagements that still take a consultant's time (the capacity check counts these).
LOADING_STATUSES = (EngagementStatus.GEPLANT, EngagementStatus.AKTIV, EngagementStatus.PAUSIERT)


@dataclass(frozen=True)
class CapacityWarning:
    """``member`` already accompanies ``other_count`` open engagements that overlap this one;
    with this one that is more than ``limit``."""

    member: StaffMember
    other_count: int
    limit: int

    @property
    def message(self) -> str:
        return ngettext(
            "%(name)s begleitet im Zeitraum bereits %(num)d Prozessbegleitung (Grenze: %(limit)s).",
            "%(name)s begleitet im Zeitraum bereits %(num)d Prozessbegleitungen "
            "(Grenze: %(limit)s).",
            self.other_count,
            name=self.member.name,
            limit=self.limit,
        )


class TeamNeedsConfirmation(Exception):
    """The chosen team is valid, but people joining it would carry more engagements than the
    capacity limit; nothing was changed. Ask, then call again with their ids confirmed."""

    def __init__(self, warnings: list[CapacityWarning]) -> None:
        super().__init__("; ".join(warning.message for warning in warnings))
        self.warnings = warnings

    @property
    def member_ids(self) -> list[int]:
        return sorted(warning.member.id for warning in self.warnings)


@dataclass(frozen=True)
class TeamChange:
    """What ``set_team`` did: whether anything changed, who left the team, and which open
    milestones of theirs went to the lead."""

    changed: bool
    lead: StaffMember
    removed: list[StaffMember] = field(default_factory=list)
    reassigned: list[Milestone] = field(default_factory=list)
    # Whose milestones those were (some of ``removed``), by name.
    reassigned_from: list[StaffMember] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    """A person the team form offers."""

    member: StaffMember
    is_measure3: bool


def team_candidates(session: Session, engagement: Engagement) -> list[Candidate]:
    """Who the team form offers: every active staff member, people of measure 3
    (Organisationsberatung) first, then by name; and current team members who are no longer
    active (so the form shows them and they can be taken off). One statement."""
    in_measure3 = exists().where(
        StaffMeasure.staff_member_id == StaffMember.id,
        StaffMeasure.measure == ENGAGEMENT_MEASURE,
    )
    on_team = StaffMember.id.in_(
        select(Assignment.staff_member_id).where(Assignment.engagement_id == engagement.id)
    )
    rows = session.execute(
        select(StaffMember, in_measure3.label("is_measure3"))
        .where(StaffMember.is_active.is_(True) | on_team)
        .order_by(case((in_measure3, 0), else_=1), StaffMember.name, StaffMember.id)
    )
    return [Candidate(member=member, is_measure3=bool(flag)) for member, flag in rows]


def capacity_warnings(
    session: Session,
    engagement: Engagement,
    members: Collection[StaffMember],
    *,
    limit: int,
) -> list[CapacityWarning]:
    """Warnings for ``members`` who would carry more than ``limit`` engagements.

    The rule: a person's load is the number of their *other* engagements that are
    ``geplant``, ``aktiv`` or ``pausiert`` and whose dates (start to planned end, both days
    included) overlap this engagement's start to planned end, plus this engagement. More
    than ``limit`` gets a warning (a load of exactly ``limit`` does not). It counts overlap
    with the whole period, not the most loaded single day: a simple, explainable upper
    bound. One statement, whatever the number of members; ordered by name.
    """
    if not members:
        return []
    by_id = {member.id: member for member in members}
    counts = dict(
        session.execute(
            select(Assignment.staff_member_id, func.count(func.distinct(Engagement.id)))
            .join(Engagement, Engagement.id == Assignment.engagement_id)
            .where(
                Assignment.staff_member_id.in_(list(by_id)),
                Engagement.id != engagement.id,
                Engagement.status.in_(LOADING_STATUSES),
                Engagement.start_date <= engagement.planned_end_date,
                Engagement.planned_end_date >= engagement.start_date,
            )
            .group_by(Assignment.staff_member_id)
        ).all()
    )
    warnings = [
        CapacityWarning(member=by_id[member_id], other_count=count, limit=limit)
        for member_id, count in counts.items()
        if count + 1 > limit
    ]
    return sorted(warnings, key=lambda warning: (warning.member.name, warning.member.id))


def _chosen_members(
    session: Session, lead_id: int | None, co_ids: Collection[int]
) -> tuple[StaffMember, list[StaffMember]]:
    """The lead and the co-consultants by id, checked: they exist, are active, and the lead
    is not also a co-consultant. Raises ``EngagementError`` for ``lead`` or ``co``."""
    if lead_id is None:
        raise EngagementError(_("Bitte wählen Sie, wer die Federführung übernimmt."), field="lead")
    wanted = {lead_id, *co_ids}
    found = {
        member.id: member
        for member in session.scalars(select(StaffMember).where(StaffMember.id.in_(wanted)))
    }
    lead = found.get(lead_id)
    if lead is None:
        raise EngagementError(
            _("Diese Person gibt es nicht (mehr). Bitte wählen Sie aus der Liste."),
            field="lead",
        )
    if not lead.is_active:
        raise EngagementError(
            _("%(name)s ist nicht aktiv und kann keine Federführung übernehmen.", name=lead.name),
            field="lead",
        )
    if any(member_id not in found for member_id in co_ids):
        raise EngagementError(
            _(
                "Mindestens eine gewählte Person gibt es nicht (mehr). Bitte wählen Sie aus "
                "der Liste."
            ),
            field="co",
        )
    if lead_id in co_ids:
        raise EngagementError(
            _(
                "%(name)s hat die Federführung und kann nicht zugleich Co-Begleitung sein.",
                name=lead.name,
            ),
            field="co",
        )
    co = sorted((found[member_id] for member_id in co_ids), key=lambda m: (m.name, m.id))
    inactive = [member.name for member in co if not member.is_active]
    if inactive:
        raise EngagementError(
            _(
                "Nicht aktiv und deshalb nicht im Team möglich: %(names)s. Bitte nehmen Sie "
                "die Auswahl zurück.",
                names=", ".join(inactive),
            ),
            field="co",
        )
    return lead, co


def set_team(
    session: Session,
    engagement: Engagement,
    *,
    lead_id: int | None,
    co_ids: Collection[int],
    actor: StaffMember,
    now: datetime,
    expected_version: int | None,
    capacity_limit: int,
    confirmed_ids: Collection[int] = (),
) -> TeamChange:
    """Give ``engagement`` the lead ``lead_id`` and the co-consultants ``co_ids``.

    Before: ``actor`` may edit the engagement; the form was shown on the current version;
    the engagement is not closed (``abgeschlossen``/``abgebrochen``); every chosen person
    exists and is active; the lead is not also a co-consultant; everyone who joins the team
    and would carry more than ``capacity_limit`` engagements (see ``capacity_warnings``) is
    in ``confirmed_ids`` (people already on the team are not warned about again).
    After: the assignments are diffed: who stays keeps their row (its role changed when it
    moves between lead and co), who leaves loses it, who joins gets one; the old lead is
    demoted and flushed before the new one is promoted, so there are never two leads. Open
    milestones owned by people who left go to the lead, and ``signals.team_left`` lets other
    features hand over the rest (open follow-ups, calendar feeds). The engagement's version
    is bumped; one ``engagement.team_changed`` audit event with old and new lead and co ids,
    the reassigned milestones, what the receivers handed over and the confirmed capacity
    warnings; flushed. Nothing happens (no
    audit event, no new version) when the team is unchanged.
    Raises ``EngagementNotPermitted``, ``StaleEngagement``, ``EngagementError`` (``field``
    ``lead`` or ``co`` for a choice; none for a closed engagement) or
    ``TeamNeedsConfirmation``, changing nothing.
    """
    require_editor(engagement, actor)
    check_version(engagement, expected_version)
    if engagement.status in CLOSED_STATUSES:
        raise EngagementError(
            _(
                "Diese Prozessbegleitung ist „%(status)s“; ihr Team kann nicht mehr geändert "
                "werden.",
                status=engagement.status.label,
            )
        )
    wanted_co = set(co_ids)
    lead, co = _chosen_members(session, lead_id, wanted_co)

    current = {assignment.staff_member_id: assignment for assignment in engagement.assignments}
    old_lead_id = next(
        (a.staff_member_id for a in current.values() if a.role is AssignmentRole.LEAD), None
    )
    old_co_ids = sorted(
        member_id for member_id, a in current.items() if a.role is AssignmentRole.CO
    )
    new_co_ids = sorted(wanted_co)
    if old_lead_id == lead.id and old_co_ids == new_co_ids:
        return TeamChange(changed=False, lead=lead)

    joining = [member for member in [lead, *co] if member.id not in current]
    warnings = capacity_warnings(session, engagement, joining, limit=capacity_limit)
    confirmed = set(confirmed_ids)
    unconfirmed = [warning for warning in warnings if warning.member.id not in confirmed]
    if unconfirmed:
        raise TeamNeedsConfirmation(warnings)

    chosen_ids = {lead.id, *wanted_co}
    leaving = [a for member_id, a in current.items() if member_id not in chosen_ids]
    removed = sorted((a.staff_member for a in leaving), key=lambda m: (m.name, m.id))
    # First take the old lead off the lead role (leave or demote), then promote: the unique
    # index allows one lead per engagement at every statement.
    for assignment in leaving:
        engagement.assignments.remove(assignment)
    for member_id, assignment in current.items():
        if member_id in wanted_co and assignment.role is not AssignmentRole.CO:
            assignment.role = AssignmentRole.CO
    session.flush()
    if lead.id in current:
        current[lead.id].role = AssignmentRole.LEAD
    else:
        engagement.assignments.append(Assignment(staff_member=lead, role=AssignmentRole.LEAD))
    for member in co:
        if member.id not in current:
            engagement.assignments.append(Assignment(staff_member=member, role=AssignmentRole.CO))

    reassigned: list[Milestone] = []
    reassigned_from: list[StaffMember] = []
    if removed:
        reassigned = list(
            session.scalars(
                select(Milestone)
                .join(Phase, Phase.id == Milestone.phase_id)
                .where(
                    Phase.engagement_id == engagement.id,
                    Milestone.status == MilestoneStatus.OFFEN,
                    Milestone.owner_id.in_([member.id for member in removed]),
                )
                .options(selectinload(Milestone.owner))
                .order_by(Milestone.due_date, Milestone.id)
            )
        )
        owners = {
            milestone.owner.id: milestone.owner for milestone in reassigned if milestone.owner
        }
        reassigned_from = sorted(owners.values(), key=lambda member: (member.name, member.id))
        for milestone in reassigned:
            milestone.owner = lead

    # The team lives in other rows: touch the engagement so its version moves on and a
    # concurrent change of the same version fails at flush.
    touch(engagement)
    changes: dict[str, object] = {
        "lead": [old_lead_id, lead.id],
        "co_consultants": [old_co_ids, new_co_ids],
    }
    if removed:
        changes["removed"] = [member.id for member in removed]
    if reassigned:
        changes["milestones_reassigned"] = [milestone.id for milestone in reassigned]
        changes["milestones_reassigned_to"] = lead.id
    if removed:
        # Other features hand over what the leavers held here (follow-ups, calendar feeds).
        for _receiver, handed_over in team_left.send(
            engagement, session=session, removed=removed, lead=lead, now=now
        ):
            changes.update(handed_over or {})
    if warnings:
        # Who was taken on although the capacity check warned (the limit of the time).
        changes["capacity_confirmed"] = sorted(warning.member.id for warning in warnings)
        changes["capacity_limit"] = capacity_limit
    record(
        session,
        actor=actor,
        action="engagement.team_changed",
        object_type="engagement",
        object_id=engagement.id,
        changes=changes,
        at=now,
    )
    session.flush()
    return TeamChange(
        changed=True,
        lead=lead,
        removed=removed,
        reassigned=reassigned,
        reassigned_from=reassigned_from,
    )
