"""Editing phase templates (admins only): replace a template's phases and milestones, copy a
template under a new name, make one the default, install the shipped one.

Engagements copy their phases and milestones when they are planned and keep no reference to
the template, so nothing here ever changes an existing engagement. ``PhaseTemplate`` has no
version column; a hash of its content (``template_version``) stands in for one, so a form
shown before someone else's change is refused instead of overwriting it.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime

from flask_babel import format_number
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.audit.services import record
from caseflow.engagements.models import (
    MilestonePosition,
    PhaseTemplate,
    TemplateMilestone,
    TemplatePhase,
)
from caseflow.engagements.planning import (
    MilestoneSpec,
    PhaseSpec,
    TemplateError,
    default_template,
    specs_of,
)
from caseflow.staff.models import Role, StaffMember
from caseflow.translating import gettext as _

NAME_MAX_LENGTH = 200
MAX_PHASES = 20
MAX_MILESTONES = 20
SHARE_MIN = 1
SHARE_MAX = 100
TOTAL_SHARE = 100


class TemplateRefused(TemplateError):
    """A template change was refused (German message for the user). ``field`` names the
    offending input: ``name``, or ``name``/``share_percent``/``milestones`` of the phase at
    ``phase_index``, or ``title``/``position`` of its milestone at ``milestone_index``
    (indices into the lists handed to the service); all None: the template as a whole."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        phase_index: int | None = None,
        milestone_index: int | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.phase_index = phase_index
        self.milestone_index = milestone_index


class TemplateNotPermitted(TemplateRefused):
    """Only admins edit phase templates (a 403 in a view)."""


class StaleTemplate(TemplateRefused):
    """The template changed after the form was shown: the change is not made."""


class Saved(enum.Enum):
    """What ``update_template`` did."""

    SAVED = "saved"  # the template has the new content now (one audit event)
    UNCHANGED = "unchanged"  # the form sent the content as it was shown and stored
    ALREADY = "already"  # an older form sent exactly the stored content (a double click)


def stale_template_message() -> str:
    """The message for a form shown before the template last changed. A double click sends
    the same form twice, so it does not blame someone else."""
    return _(
        "Diese Vorlage wurde gerade geändert – von jemand anderem oder durch einen doppelten "
        "Klick. Ihre Änderung wurde nicht gespeichert; bitte prüfen Sie den aktuellen Stand, "
        "bevor Sie es noch einmal versuchen."
    )


def template_version(template: PhaseTemplate) -> str:
    """A hash of the template's name, phases and milestones: changes whenever they change."""
    content = {
        "name": template.name,
        "phases": [
            {
                "name": phase.name,
                "share_percent": phase.share_percent,
                "milestones": [
                    [milestone.title, milestone.position.value, milestone.is_gate]
                    for milestone in phase.milestones
                ],
            }
            for phase in template.phases
        ],
    }
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _require_admin(actor: StaffMember) -> None:
    if not actor.has_role(Role.ADMIN):
        raise TemplateNotPermitted(_("Nur die Administration darf Phasenvorlagen ändern."))


def _too_long(length: int) -> str:
    return _(
        "Der Text darf höchstens %(max)s Zeichen lang sein (jetzt: %(length)s).",
        max=format_number(NAME_MAX_LENGTH),
        length=format_number(length),
    )


def _clean_name(session: Session, name: str, *, exclude: PhaseTemplate | None = None) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise TemplateRefused(_("Bitte geben Sie einen Namen für die Vorlage ein."), field="name")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise TemplateRefused(_too_long(len(cleaned)), field="name")
    query = select(PhaseTemplate.id).where(func.lower(PhaseTemplate.name) == cleaned.lower())
    if exclude is not None:
        query = query.where(PhaseTemplate.id != exclude.id)
    if session.scalar(query) is not None:
        raise TemplateRefused(
            _("Es gibt schon eine Vorlage mit dem Namen „%(name)s“.", name=cleaned), field="name"
        )
    return cleaned


def check_phases(phases: Sequence[PhaseSpec]) -> list[PhaseSpec]:
    """``phases`` with names and titles stripped. Raises ``TemplateRefused`` unless there
    are 1–20 phases, each with a name (≤ 200 characters), a share of 1–100 percent and at
    most 20 milestones with a title (≤ 200 characters) and a known position, and the shares
    add up to exactly 100 percent."""
    if not phases:
        raise TemplateRefused(_("Die Vorlage braucht mindestens eine Phase."))
    if len(phases) > MAX_PHASES:
        raise TemplateRefused(
            _("Eine Vorlage kann höchstens %(max)s Phasen haben.", max=format_number(MAX_PHASES))
        )
    cleaned: list[PhaseSpec] = []
    for phase_index, phase in enumerate(phases):
        name = (phase.name or "").strip()
        if not name:
            raise TemplateRefused(
                _("Bitte geben Sie einen Namen für die Phase ein."),
                field="name",
                phase_index=phase_index,
            )
        if len(name) > NAME_MAX_LENGTH:
            raise TemplateRefused(_too_long(len(name)), field="name", phase_index=phase_index)
        share = phase.share_percent
        if (
            isinstance(share, bool)
            or not isinstance(share, int)
            or not (SHARE_MIN <= share <= SHARE_MAX)
        ):
            raise TemplateRefused(
                _("Der Anteil muss eine ganze Zahl von 1 bis 100 sein."),
                field="share_percent",
                phase_index=phase_index,
            )
        if len(phase.milestones) > MAX_MILESTONES:
            raise TemplateRefused(
                _(
                    "Eine Phase kann höchstens %(max)s Meilensteine haben.",
                    max=format_number(MAX_MILESTONES),
                ),
                field="milestones",
                phase_index=phase_index,
            )
        milestones: list[MilestoneSpec] = []
        for milestone_index, milestone in enumerate(phase.milestones):
            where = {"phase_index": phase_index, "milestone_index": milestone_index}
            title = (milestone.title or "").strip()
            if not title:
                raise TemplateRefused(
                    _("Bitte geben Sie einen Titel für den Meilenstein ein."),
                    field="title",
                    **where,
                )
            if len(title) > NAME_MAX_LENGTH:
                raise TemplateRefused(_too_long(len(title)), field="title", **where)
            if not isinstance(milestone.position, MilestonePosition):
                raise TemplateRefused(
                    _("Bitte wählen Sie Anfang, Mitte oder Ende der Phase."),
                    field="position",
                    **where,
                )
            milestones.append(MilestoneSpec(title, milestone.position, bool(milestone.is_gate)))
        cleaned.append(PhaseSpec(name, share, tuple(milestones)))
    total = sum(phase.share_percent for phase in cleaned)
    if total != TOTAL_SHARE:
        raise TemplateRefused(
            _(
                "Die Anteile ergeben zusammen %(total)s %%, sie müssen 100 %% ergeben.",
                total=format_number(total),
            )
        )
    return cleaned


def _rows(phases: Sequence[PhaseSpec]) -> list[TemplatePhase]:
    return [
        TemplatePhase(
            position=position,
            name=spec.name,
            share_percent=spec.share_percent,
            milestones=[
                TemplateMilestone(
                    title=milestone.title,
                    position=milestone.position,
                    is_gate=milestone.is_gate,
                    sort_order=order,
                )
                for order, milestone in enumerate(spec.milestones)
            ],
        )
        for position, spec in enumerate(phases, start=1)
    ]


def _outline(phases: Sequence[PhaseSpec]) -> list[str]:
    """What the audit trail keeps of the phases: name and share of each, in order."""
    return [f"{phase.name} ({phase.share_percent} %)" for phase in phases]


def _milestone_count(phases: Sequence[PhaseSpec]) -> int:
    return sum(len(phase.milestones) for phase in phases)


def update_template(
    session: Session,
    template: PhaseTemplate,
    *,
    name: str,
    phases: Sequence[PhaseSpec],
    expected_version: str,
    actor: StaffMember,
    now: datetime,
) -> Saved:
    """Give ``template`` the name ``name`` and replace its phases and milestones by
    ``phases`` (in this order; milestones in their order).

    Before: ``actor`` is an admin; ``expected_version`` is ``template_version`` of the
    template as the form showed it; the rules of ``check_phases`` hold; no other template
    has the name (case-insensitive). After: the template's rows replaced and one
    ``phase_template.updated`` audit event, flushed (``Saved.SAVED``). Nothing is changed
    when the content is the same: ``Saved.UNCHANGED``, or ``Saved.ALREADY`` when the form
    was shown on an older version but sends exactly what is stored now (the same form sent
    twice). Existing engagements keep their own phases and milestones.
    Raises ``TemplateNotPermitted``, ``StaleTemplate`` (another content on an older
    version) or ``TemplateRefused``; nothing is changed then.
    """
    _require_admin(actor)
    is_stale = expected_version != template_version(template)
    try:
        cleaned_name = _clean_name(session, name, exclude=template)
        cleaned = check_phases(phases)
    except TemplateRefused:
        if is_stale:  # never stored like this: the form is out of date first of all
            raise StaleTemplate(stale_template_message()) from None
        raise
    before = specs_of(template)
    if cleaned_name == template.name and cleaned == before:
        return Saved.ALREADY if is_stale else Saved.UNCHANGED
    if is_stale:
        raise StaleTemplate(stale_template_message())
    changes: dict[str, object] = {
        "phases": [_outline(before), _outline(cleaned)],
        "milestones": [_milestone_count(before), _milestone_count(cleaned)],
    }
    if cleaned_name != template.name:
        changes["name"] = [template.name, cleaned_name]
    template.name = cleaned_name
    # Delete the old rows before adding new ones: (template_id, position) is unique.
    template.phases.clear()
    session.flush()
    template.phases.extend(_rows(cleaned))
    session.flush()
    record(
        session,
        actor=actor,
        action="phase_template.updated",
        object_type="phase_template",
        object_id=template.id,
        changes=changes,
        at=now,
    )
    return Saved.SAVED


def _fitting(text: Callable[[str], str], name: str) -> str:
    """``text(name)``, or with the end of ``name`` cut off (marked "…") so that it has at
    most ``NAME_MAX_LENGTH`` characters."""
    candidate = text(name)
    overflow = len(candidate) - NAME_MAX_LENGTH
    if overflow > 0:
        candidate = text(name[: max(len(name) - overflow - 1, 1)].rstrip() + "…")
    return candidate


def _copy_name(name: str, number: int) -> str:
    if number == 1:
        return _fitting(lambda stem: _("%(name)s (Kopie)", name=stem), name)
    return _fitting(lambda stem: _("%(name)s (Kopie %(number)s)", name=stem, number=number), name)


def suggested_copy_name(session: Session, source: PhaseTemplate) -> str:
    """A free name for a copy of ``source``: "<name> (Kopie)", "<name> (Kopie 2)", …; a
    long name is cut short ("<name>… (Kopie)") so that the suggestion is a valid name."""
    # Every suggestion starts with this much of the name, however much of it is cut off.
    prefix = source.name[: NAME_MAX_LENGTH // 2].rstrip()
    taken = {
        value.lower()
        for value in session.scalars(
            select(PhaseTemplate.name).where(
                func.lower(PhaseTemplate.name).startswith(prefix.lower(), autoescape=True)
            )
        )
    }
    number = 1
    candidate = _copy_name(source.name, number)
    while candidate.lower() in taken:
        number += 1
        candidate = _copy_name(source.name, number)
    return candidate


def copy_template(
    session: Session, source: PhaseTemplate, *, name: str, actor: StaffMember, now: datetime
) -> PhaseTemplate:
    """A new template named ``name`` with the phases and milestones of ``source``.

    Before: ``actor`` is an admin; no template has the name (case-insensitive), which has
    1–200 characters. After: the new (not default) template and one ``phase_template.created``
    audit event, flushed. Raises ``TemplateNotPermitted`` or ``TemplateRefused``; nothing is
    added then.
    """
    _require_admin(actor)
    cleaned_name = _clean_name(session, name)
    phases = specs_of(source)
    copy = PhaseTemplate(name=cleaned_name, is_default=False, created_at=now)
    copy.phases.extend(_rows(phases))
    session.add(copy)
    session.flush()
    record(
        session,
        actor=actor,
        action="phase_template.created",
        object_type="phase_template",
        object_id=copy.id,
        changes={
            "name": cleaned_name,
            "copied_from": source.id,
            "phases": _outline(phases),
            "milestones": _milestone_count(phases),
        },
        at=now,
    )
    return copy


def make_default(
    session: Session, template: PhaseTemplate, *, actor: StaffMember, now: datetime
) -> bool:
    """Make ``template`` the one that new engagements are planned from.

    Before: ``actor`` is an admin. After: ``template`` is the only default template, with
    one ``phase_template.updated`` audit event for it and one for the former default,
    flushed; returns False (nothing changed) when it already was the default. Raises
    ``TemplateNotPermitted``.
    """
    _require_admin(actor)
    if template.is_default:
        return False
    former = session.scalar(
        select(PhaseTemplate).where(
            PhaseTemplate.is_default.is_(True), PhaseTemplate.id != template.id
        )
    )
    if former is not None:
        former.is_default = False
        # At most one default (a partial unique index): clear the old one first.
        session.flush()
        record(
            session,
            actor=actor,
            action="phase_template.updated",
            object_type="phase_template",
            object_id=former.id,
            changes={"is_default": [True, False]},
            at=now,
        )
    template.is_default = True
    session.flush()
    record(
        session,
        actor=actor,
        action="phase_template.updated",
        object_type="phase_template",
        object_id=template.id,
        changes={"is_default": [False, True]},
        at=now,
    )
    return True


def install_shipped_template(
    session: Session, *, actor: StaffMember, now: datetime
) -> PhaseTemplate:
    """The default template; created from the shipped file when there is none yet.

    Before: ``actor`` is an admin. After: a default template exists; when it was created
    now, one ``phase_template.created`` audit event, flushed. Raises ``TemplateNotPermitted``.
    """
    _require_admin(actor)
    existing = session.scalar(select(PhaseTemplate.id).where(PhaseTemplate.is_default.is_(True)))
    template = default_template(session, now=now)
    if existing is None:
        phases = specs_of(template)
        record(
            session,
            actor=actor,
            action="phase_template.created",
            object_type="phase_template",
            object_id=template.id,
            changes={
                "name": template.name,
                "is_default": True,
                "phases": _outline(phases),
                "milestones": _milestone_count(phases),
            },
            at=now,
        )
    return template
