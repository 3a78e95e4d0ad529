"""The register of access barriers of an engagement: what stands between an organisation and
the people it serves, and what was done about it.

Decisions (issue 4, point 10): barriers are added and changed by whoever may edit the
engagement, while it is not closed. Their status follows ``BARRIER_TRANSITIONS``;
``resolved_on`` is set exactly while a barrier is ``abgebaut`` (a CHECK constraint holds it),
and the measure taken is required then. A day left blank on an edit keeps the stored one.

Versions (fix C2, point 3): adding a barrier conflicts with nothing, so it checks no version
and bumps none. Changing a barrier checks the version and bumps it (someone else may be
editing the same register). Every change writes one audit event on the engagement; free
texts appear there only redacted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from caseflow.audit.services import record, redacted
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Barrier,
    BarrierCategory,
    BarrierStatus,
    Engagement,
)
from caseflow.engagements.services.common import (
    RECORD_TEXT_MAX_LENGTH,
    EngagementError,
    check_version,
    clean_text,
    require_editor,
    touch,
)
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _

BARRIER_TRANSITIONS: dict[BarrierStatus, frozenset[BarrierStatus]] = {
    BarrierStatus.ERKANNT: frozenset({BarrierStatus.IN_BEARBEITUNG}),
    BarrierStatus.IN_BEARBEITUNG: frozenset({BarrierStatus.ABGEBAUT, BarrierStatus.ERKANNT}),
    # Reopened: the measure did not hold.
    BarrierStatus.ABGEBAUT: frozenset({BarrierStatus.IN_BEARBEITUNG}),
}


@dataclass(frozen=True)
class BarrierInput:
    """What a consultant enters about a barrier. ``resolved_on`` counts only for ``abgebaut``
    (None: today, or the day it was already resolved on); ``identified_on`` None: today for
    a new barrier, the stored day for an existing one."""

    category: BarrierCategory
    description: str | None
    status: BarrierStatus = BarrierStatus.ERKANNT
    identified_on: date | None = None
    resolved_on: date | None = None
    measure_taken: str | None = None


@dataclass(frozen=True)
class CategoryCounts:
    """One row of the barrier register's summary: a category and its barriers per status."""

    category: BarrierCategory
    by_status: dict[BarrierStatus, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


# --- reading -----------------------------------------------------------------------------


def find_barrier(session: Session, engagement: Engagement, barrier_id: int) -> Barrier | None:
    """The barrier ``barrier_id`` if it belongs to ``engagement``, else None."""
    barrier = session.get(Barrier, barrier_id)
    if barrier is None or barrier.engagement_id != engagement.id:
        return None
    return barrier


def barrier_register(barriers: Sequence[Barrier]) -> list[CategoryCounts]:
    """Barriers per category and status: every category, every status, zeros included (in
    Python, from barriers already loaded)."""
    counts = {category: dict.fromkeys(BarrierStatus, 0) for category in BarrierCategory}
    for barrier in barriers:
        counts[barrier.category][barrier.status] += 1
    return [CategoryCounts(category, by_status) for category, by_status in counts.items()]


def barriers_editable(engagement: Engagement) -> bool:
    """Whether the engagement's barrier register can still change (it is not closed)."""
    return engagement.status not in CLOSED_STATUSES


def allowed_barrier_statuses(current: BarrierStatus | None) -> list[BarrierStatus]:
    """The statuses a barrier can be given: any for a new one (``current`` None), else its
    own and those the transition table allows, in the enum's order."""
    if current is None:
        return list(BarrierStatus)
    return [
        status
        for status in BarrierStatus
        if status is current or status in BARRIER_TRANSITIONS[current]
    ]


# --- checks ------------------------------------------------------------------------------


def barriers_closed_message() -> str:
    """Why the barrier register of a closed engagement does not change."""
    return _(
        "Die Prozessbegleitung ist beendet; ihre Zugangsbarrieren können nicht mehr erfasst "
        "oder geändert werden."
    )


def _require_open(engagement: Engagement) -> None:
    if not barriers_editable(engagement):
        raise EngagementError(barriers_closed_message())


def _check_barrier_transition(current: BarrierStatus, target: BarrierStatus) -> None:
    if target is not current and target not in BARRIER_TRANSITIONS[current]:
        raise EngagementError(
            _(
                "Eine Zugangsbarriere mit dem Status „%(current)s“ kann nicht auf "
                "„%(target)s“ gesetzt werden.",
                current=current.label,
                target=target.label,
            ),
            field="status",
        )


@dataclass(frozen=True)
class _CleanBarrier:
    description: str
    identified_on: date
    resolved_on: date | None
    measure_taken: str | None


def _clean_barrier(
    values: BarrierInput,
    *,
    today: date,
    identified_before: date | None,
    resolved_before: date | None,
) -> _CleanBarrier:
    # Required: clean_text raises for an empty description, so this is never None.
    description = clean_text(
        values.description,
        field="description",
        required_message=_("Bitte beschreiben Sie die Zugangsbarriere."),
        max_length=RECORD_TEXT_MAX_LENGTH,
    )
    # Left blank: the stored day when editing, today for a new barrier.
    identified_on = values.identified_on or identified_before or today
    if identified_on > today:
        raise EngagementError(
            _("Der Tag, an dem die Barriere erkannt wurde, darf nicht in der Zukunft liegen."),
            field="identified_on",
        )
    removed = values.status is BarrierStatus.ABGEBAUT
    measure = clean_text(
        values.measure_taken,
        field="measure_taken",
        required_message=_("Welche Maßnahme hat die Barriere abgebaut?") if removed else None,
        max_length=RECORD_TEXT_MAX_LENGTH,
    )
    resolved_on = None
    if removed:
        resolved_on = values.resolved_on or resolved_before or today
        if resolved_on > today:
            raise EngagementError(
                _("Der Tag, an dem die Barriere abgebaut wurde, darf nicht in der Zukunft liegen."),
                field="resolved_on",
            )
        if resolved_on < identified_on:
            raise EngagementError(
                _(
                    "Eine Barriere kann nicht abgebaut worden sein, bevor sie erkannt wurde "
                    "(erkannt am %(day)s).",
                    day=identified_on.strftime("%d.%m.%Y"),
                ),
                field="resolved_on",
            )
    return _CleanBarrier(description or "", identified_on, resolved_on, measure)


# --- changes -----------------------------------------------------------------------------


def add_barrier(
    session: Session,
    engagement: Engagement,
    values: BarrierInput,
    *,
    actor: StaffMember,
    now: datetime,
    today: date,
) -> Barrier:
    """Add a barrier to the register of ``engagement``.

    Before: ``actor`` may edit the engagement; it is not closed; a description (at most
    5,000 characters); ``identified_on`` (default today) not in the future; for ``abgebaut``
    a measure and a ``resolved_on`` (default today) from ``identified_on`` to today. No
    version is checked: a new barrier conflicts with nothing.
    After: the new barrier; the engagement's version unchanged (open forms of others stay
    valid); one ``barrier.created`` audit event (texts redacted); flushed. Raises
    ``EngagementNotPermitted`` or ``EngagementError`` (with the field), changing nothing.
    """
    require_editor(engagement, actor)
    _require_open(engagement)
    clean = _clean_barrier(values, today=today, identified_before=None, resolved_before=None)
    barrier = Barrier(
        engagement=engagement,
        category=values.category,
        description=clean.description,
        status=values.status,
        measure_taken=clean.measure_taken,
        identified_on=clean.identified_on,
        resolved_on=clean.resolved_on,
        created_at=now,
    )
    session.add(barrier)
    session.flush()
    record(
        session,
        actor=actor,
        action="barrier.created",
        object_type="engagement",
        object_id=engagement.id,
        changes={
            "barrier": barrier.id,
            "category": barrier.category,
            "status": barrier.status,
            "description": redacted(barrier.description),
            "identified_on": barrier.identified_on,
            "resolved_on": barrier.resolved_on,
            "measure_taken": redacted(barrier.measure_taken),
        },
        at=now,
    )
    session.flush()
    return barrier


def update_barrier(
    session: Session,
    barrier: Barrier,
    values: BarrierInput,
    *,
    actor: StaffMember,
    now: datetime,
    today: date,
    expected_version: int | None = None,
) -> None:
    """Change ``barrier`` (its texts, category, days and status).

    Before: as for ``add_barrier``, and the form was shown on the engagement's current
    version; a new status is one ``BARRIER_TRANSITIONS`` allows from the current one.
    After: the barrier changed — ``identified_on`` kept when none is given; ``resolved_on``
    set when it becomes ``abgebaut`` (kept when it stays so and none is given), cleared when
    it is reopened; the engagement's version bumped; one ``barrier.updated`` audit event with
    the changed fields as ``[old, new]`` (texts redacted) — none when nothing changed;
    flushed. Raises ``EngagementNotPermitted``, ``StaleEngagement`` or ``EngagementError``,
    changing nothing.
    """
    engagement = barrier.engagement
    require_editor(engagement, actor)
    _require_open(engagement)
    check_version(engagement, expected_version)
    _check_barrier_transition(barrier.status, values.status)
    clean = _clean_barrier(
        values,
        today=today,
        identified_before=barrier.identified_on,
        resolved_before=barrier.resolved_on,
    )
    changes: dict[str, Any] = {}
    for name, new in (
        ("category", values.category),
        ("status", values.status),
        ("identified_on", clean.identified_on),
        ("resolved_on", clean.resolved_on),
    ):
        old = getattr(barrier, name)
        if old != new:
            changes[name] = [old, new]
            setattr(barrier, name, new)
    for name, new_text in (
        ("description", clean.description),
        ("measure_taken", clean.measure_taken),
    ):
        old_text = getattr(barrier, name)
        if old_text != new_text:
            changes[name] = [redacted(old_text), redacted(new_text)]
            setattr(barrier, name, new_text)
    if not changes:
        return
    touch(engagement)
    record(
        session,
        actor=actor,
        action="barrier.updated",
        object_type="engagement",
        object_id=engagement.id,
        changes={"barrier": barrier.id, **changes},
        at=now,
    )
    session.flush()
