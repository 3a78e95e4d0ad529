"""What every engagement service shares: the errors it raises, who may see and who may
edit an engagement, the version check of a form, touching the engagement so its version
moves on, and cleaning a free text.
Services check the rules, change rows, write the audit trail and flush; the caller commits."""

from __future__ import annotations

from flask_babel import format_number
from sqlalchemy.orm.attributes import flag_modified

from caseflow.engagements.models import Engagement
from caseflow.staff.models import Role, StaffMember
from caseflow.translating import gettext as _

REASON_MAX_LENGTH = 2000
TEXT_MAX_LENGTH = 2000
# Activity notes, barrier descriptions and the measures taken.
RECORD_TEXT_MAX_LENGTH = 5000


class EngagementError(ValueError):
    """An engagement change was refused; the message is German and meant for the user.
    ``field`` names the offending input of the form (``reason``, …) when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EngagementNotPermitted(EngagementError):
    """The acting person may not change this engagement (a 403 in a view)."""


class StaleEngagement(EngagementError):
    """The engagement changed after the form was shown: the change is not made."""


def may_view(engagement: Engagement, member: StaffMember) -> bool:
    """Whether ``member`` may see ``engagement`` and everything in it (phases, milestones,
    activities, barriers, follow-ups, history, handout, calendar feed): leads and admins see
    every engagement; a consultant only those whose team they are on, as lead or co
    (DESIGN.md §1: consultants run the engagements they are assigned to). Every page of an
    engagement answers 404 to anyone else, so guessing ids reveals nothing.

    The one rule of who sees an engagement; lists use its SQL form,
    ``caseflow.engagements.queries.visible_to``, and a test checks both agree."""
    if member.has_role(Role.LEAD):
        return True
    return any(assignment.staff_member_id == member.id for assignment in engagement.assignments)


def may_edit(engagement: Engagement, member: StaffMember) -> bool:
    """Whether ``member`` may change ``engagement``: its team (lead and co-consultants) and
    leads and admins. Today exactly those who may see it (``may_view``); kept apart so that a
    reading role can be added without touching every service."""
    return may_view(engagement, member)


def stale_message() -> str:
    """The message for a form shown on an older state of the engagement. A double click
    sends the same form twice, so it does not blame someone else."""
    return _(
        "Diese Prozessbegleitung wurde gerade geändert – von jemand anderem oder durch einen "
        "doppelten Klick. Ihre Änderung wurde nicht gespeichert; bitte prüfen Sie den "
        "aktuellen Stand, bevor Sie es noch einmal versuchen."
    )


def check_version(engagement: Engagement, expected_version: int | None) -> None:
    """Refuse a change made on an older state of ``engagement`` (``expected_version`` is the
    version the form was shown with; None: nothing to compare). Raises ``StaleEngagement``."""
    if expected_version is not None and expected_version != engagement.version:
        raise StaleEngagement(stale_message())


def touch(engagement: Engagement) -> None:
    """Mark the engagement row changed so its version goes up at the flush (and a concurrent
    change of the same version raises ``StaleDataError`` there). Changes that live in other
    rows alone (milestones, the team, a barrier) would not update the engagement's row, and
    its ``version_id_col`` counts up only when that row is updated."""
    flag_modified(engagement, "status")


def clean_text(
    value: str | None,
    *,
    field: str,
    required_message: str | None = None,
    max_length: int = TEXT_MAX_LENGTH,
) -> str | None:
    """``value`` stripped (None when empty). Raises ``EngagementError`` for ``field`` when it
    is longer than ``max_length`` or, with ``required_message``, empty."""
    cleaned = (value or "").strip()
    if len(cleaned) > max_length:
        raise EngagementError(
            _(
                "Der Text darf höchstens %(max)s Zeichen lang sein (jetzt: %(length)s).",
                max=format_number(max_length),
                length=format_number(len(cleaned)),
            ),
            field=field,
        )
    if not cleaned and required_message is not None:
        raise EngagementError(required_message, field=field)
    return cleaned or None


def require_editor(engagement: Engagement, actor: StaffMember) -> None:
    """Raise ``EngagementNotPermitted`` unless ``actor`` may edit ``engagement``."""
    if not may_edit(engagement, actor):
        raise EngagementNotPermitted(
            _("Nur das Team der Prozessbegleitung und die Projektleitung dürfen das ändern.")
        )
