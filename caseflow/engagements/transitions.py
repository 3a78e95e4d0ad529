"""The engagement state machine: one table of the status moves an engagement can make.

``geplant → aktiv → (pausiert ↔ aktiv) → abgeschlossen | abgebrochen``. An engagement may
also be cancelled before it starts (``geplant → abgebrochen``) and while it is paused
(``pausiert → abgebrochen``); a paused engagement is resumed before it is completed. Nothing
leaves ``abgeschlossen`` or ``abgebrochen``. The guards of each move (a lead to start, the
final milestones to complete, a reason to cancel) are checked by the service.
"""

from __future__ import annotations

from caseflow.engagements.models import CLOSED_STATUSES, EngagementStatus
from caseflow.translating import gettext as _

S = EngagementStatus

# Every possible move; a move not listed is not possible.
TRANSITIONS: frozenset[tuple[EngagementStatus, EngagementStatus]] = frozenset(
    {
        (S.GEPLANT, S.AKTIV),
        (S.GEPLANT, S.ABGEBROCHEN),
        (S.AKTIV, S.PAUSIERT),
        (S.AKTIV, S.ABGESCHLOSSEN),
        (S.AKTIV, S.ABGEBROCHEN),
        (S.PAUSIERT, S.AKTIV),
        (S.PAUSIERT, S.ABGEBROCHEN),
    }
)

# Moves that need a reason, and moves that may take one.
REASON_REQUIRED = frozenset({S.ABGEBROCHEN})
REASON_OPTIONAL = frozenset({S.PAUSIERT})


class TransitionError(ValueError):
    """A status move that is not possible; the message is German and meant for the user."""


def allowed_transitions(status: EngagementStatus) -> list[EngagementStatus]:
    """The statuses an engagement in ``status`` can move to, in the order of the enum."""
    return [target for target in EngagementStatus if (status, target) in TRANSITIONS]


def check_transition(current: EngagementStatus, target: EngagementStatus) -> None:
    """Refuse the move ``current → target`` when the table does not list it.

    Raises ``TransitionError`` with a German message.
    """
    if (current, target) in TRANSITIONS:
        return
    if current in CLOSED_STATUSES:
        raise TransitionError(
            _(
                "Die Prozessbegleitung ist bereits „%(status)s“; ihr Status kann nicht mehr "
                "geändert werden.",
                status=current.label,
            )
        )
    if current is target:
        raise TransitionError(
            _("Die Prozessbegleitung ist bereits „%(status)s“.", status=current.label)
        )
    raise TransitionError(
        _(
            "Eine Prozessbegleitung mit dem Status „%(current)s“ kann nicht auf „%(target)s“ "
            "gesetzt werden.",
            current=current.label,
            target=target.label,
        )
    )
