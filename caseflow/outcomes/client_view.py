"""The client view (issue 9): a secret, revocable link per engagement through which the
client organisation reads its own plan — phases, milestones, its next appointments and the
agreed measures — without an account.

The link's token is derived from a salt and the ``SECRET_KEY`` (``caseflow.web.tokens``), so
staff can see and send the same link again; the database keeps the salt and the token's hash.
One link per engagement is active (a partial unique index on ``client_link``): issuing
another revokes the current one, and revoked links stay as a record and open nothing.

What the page shows is the handout's data (``caseflow.portfolio.handout``, which does not
even load the staff-internal notes) and the open follow-ups from today on, read as due
moment and kind only: never their note or assignee.

Services check the rules, change rows, write the audit trail and flush; the caller commits.
Staff actions raise the engagement feature's errors (``EngagementError``,
``EngagementNotPermitted``); nothing of a refused change is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.services import record
from caseflow.engagements.models import Engagement, EngagementStatus
from caseflow.engagements.services.common import EngagementError, require_editor
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from caseflow.followups.services import DEFAULT_DUE_TIME
from caseflow.outcomes.models import ClientLink
from caseflow.portfolio.handout import Handout, engagement_handout
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.tokens import derive, derive_again, hash_token, is_well_formed, new_salt

_PURPOSE = b"caseflow client view link\x00"
# The page lists this many of the next appointments (a printed page stays short).
NEXT_APPOINTMENTS = 5


# --- the link ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveLink:
    """An engagement's active link as the engagement page shows it."""

    link: ClientLink
    created_by: str | None  # the name of who created it; None once that person is gone


def active_link(session: Session, engagement_id: int) -> ActiveLink | None:
    """The engagement's active (not revoked) link with its creator's name; one statement."""
    row = session.execute(
        select(ClientLink, StaffMember.name)
        .outerjoin(StaffMember, StaffMember.id == ClientLink.created_by_id)
        .where(ClientLink.engagement_id == engagement_id, ClientLink.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    return ActiveLink(link=row[0], created_by=row[1])


def link_token(link: ClientLink, secret: str) -> str | None:
    """The link's token again, for staff to copy and send; None when the link is revoked or
    the ``SECRET_KEY`` has changed since it was issued (then only a new link helps)."""
    if link.revoked_at is not None:
        return None
    return derive_again(_PURPOSE, link.token_salt, link.token_hash, secret)


def may_issue(engagement: Engagement) -> bool:
    """Whether a link can be issued for ``engagement``: not for a cancelled one (its plan is
    no longer carried out; an existing link keeps working until the team revokes it)."""
    return engagement.status is not EngagementStatus.ABGEBROCHEN


def _revoke_active(session: Session, engagement_id: int, now: datetime) -> int | None:
    """Revoke the engagement's active link, if there is one; its id, or None.

    A conditional UPDATE: of two requests revoking the same link at once, one revokes it
    (the other waits for its row lock and then finds it revoked)."""
    current = session.scalar(
        select(ClientLink.id).where(
            ClientLink.engagement_id == engagement_id, ClientLink.revoked_at.is_(None)
        )
    )
    if current is None:
        return None
    result = session.execute(
        update(ClientLink)
        .where(ClientLink.id == current, ClientLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return current if result.rowcount else None  # type: ignore[attr-defined]


def _concurrent_message() -> str:
    return _(
        "Gleichzeitig wurde schon ein Link für diese Prozessbegleitung erzeugt – von jemand "
        "anderem oder durch einen doppelten Klick. Es wurde nichts geändert; bitte nutzen "
        "Sie den Link, der jetzt im Abschnitt „Einblick für die Organisation“ steht."
    )


def issue_link(
    session: Session,
    engagement: Engagement,
    *,
    actor: StaffMember,
    now: datetime,
    secret: str,
) -> tuple[ClientLink, str]:
    """Give ``engagement`` a new client-view link and return it with its token; the link it
    had before (if any) is revoked and opens nothing any more.

    Refused for anyone who may not edit the engagement (``EngagementNotPermitted``) and for
    a cancelled engagement (``EngagementError``). When another request issues a link for
    the same engagement at the same moment, the partial unique index stops the second:
    ``EngagementError`` with a message saying so, and nothing of it is kept (its changes
    run in a savepoint). Audited: ``client_view.link_revoked`` for a replaced link, then
    ``client_view.link_created``; flushed."""
    require_editor(engagement, actor)
    if not may_issue(engagement):
        raise EngagementError(
            _(
                "Für eine abgebrochene Prozessbegleitung kann kein Einblick-Link erzeugt "
                "werden. Einen noch aktiven Link können Sie widerrufen."
            )
        )
    salt = new_salt()
    token = derive(_PURPOSE, salt, secret)
    link = ClientLink(
        engagement_id=engagement.id,
        token_hash=hash_token(token),
        token_salt=salt,
        created_at=now,
        created_by_id=actor.id,
    )
    try:
        with session.begin_nested():
            replaced = _revoke_active(session, engagement.id, now)
            session.add(link)
            session.flush()
    except IntegrityError as error:
        raise EngagementError(_concurrent_message()) from error
    if replaced is not None:
        _record(
            session,
            engagement.id,
            action="client_view.link_revoked",
            actor=actor,
            now=now,
            changes={"link": replaced, "revoked_at": [None, now], "by": "renewal"},
        )
    _record(
        session,
        engagement.id,
        action="client_view.link_created",
        actor=actor,
        now=now,
        changes={"link": link.id} if replaced is None else {"link": link.id, "replaces": replaced},
    )
    session.flush()
    return link, token


def revoke_link(
    session: Session, engagement: Engagement, *, actor: StaffMember, now: datetime
) -> bool:
    """Switch the engagement's client-view link off; whether there was one to switch off.

    Allowed whatever the engagement's status (also cancelled). Refused for anyone who may
    not edit the engagement (``EngagementNotPermitted``). Audited
    (``client_view.link_revoked``); flushed."""
    require_editor(engagement, actor)
    revoked = _revoke_active(session, engagement.id, now)
    if revoked is None:
        return False
    _record(
        session,
        engagement.id,
        action="client_view.link_revoked",
        actor=actor,
        now=now,
        changes={"link": revoked, "revoked_at": [None, now]},
    )
    session.flush()
    return True


def _record(
    session: Session,
    engagement_id: int,
    *,
    action: str,
    actor: StaffMember,
    now: datetime,
    changes: dict[str, object],
) -> None:
    """The audit event of a link change, on the engagement (never the token or its hash)."""
    record(
        session,
        actor=actor,
        action=action,
        object_type="engagement",
        object_id=engagement_id,
        changes=changes,
        at=now,
    )


def engagement_by_token(session: Session, token: str) -> int | None:
    """The id of the engagement whose active link is ``token``; None for anything else
    (malformed, unknown or revoked). One statement, none for a malformed token."""
    if not is_well_formed(token):
        return None
    return session.scalar(
        select(ClientLink.engagement_id).where(
            ClientLink.token_hash == hash_token(token), ClientLink.revoked_at.is_(None)
        )
    )


# --- the page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Appointment:
    """An open follow-up as the client sees it: when and what kind, nothing else."""

    due_on: date
    due_time: time | None  # None for the usual 09:00, which stands for "no particular time"
    kind: FollowUpKind


@dataclass(frozen=True)
class ClientView:
    """What the client view shows, loaded up front."""

    handout: Handout
    appointments: list[Appointment]  # the next few, earliest first

    @property
    def engagement(self) -> Engagement:
        return self.handout.engagement

    @property
    def is_cancelled(self) -> bool:
        return self.engagement.status is EngagementStatus.ABGEBROCHEN


# Follow-ups the organisation takes part in; a ``reminder`` is a note to the team itself.
APPOINTMENT_KINDS = (FollowUpKind.CHECK_IN, FollowUpKind.NACHHALTIGKEIT)


def next_appointments(
    session: Session, engagement_id: int, *, today: date, limit: int = NEXT_APPOINTMENTS
) -> list[Appointment]:
    """The engagement's open follow-ups due today or later that are meetings with the
    organisation (``APPOINTMENT_KINDS``: a reminder is the team's own), earliest first, at
    most ``limit``; only their due moment and kind are read (one statement)."""
    rows = session.execute(
        select(FollowUp.due_at, FollowUp.kind)
        .where(
            FollowUp.engagement_id == engagement_id,
            FollowUp.status == FollowUpStatus.OFFEN,
            FollowUp.kind.in_(APPOINTMENT_KINDS),
            FollowUp.due_at >= clock.start_of_day(today),
        )
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(limit)
    )
    appointments = []
    for due_at, kind in rows:
        local = clock.local(due_at)
        wall = local.time().replace(tzinfo=None)
        appointments.append(
            Appointment(
                due_on=local.date(),
                due_time=None if wall == DEFAULT_DUE_TIME else wall,
                kind=kind,
            )
        )
    return appointments


def client_plan(session: Session, engagement_id: int, *, today: date) -> ClientView | None:
    """The client view of the engagement, or None when there is no such engagement.

    The handout's data (``engagement_handout``: the staff-internal notes are not loaded)
    and the next appointments; a cancelled engagement has none (its follow-ups are not
    carried out with the client). A fixed number of statements."""
    handout = engagement_handout(session, engagement_id)
    if handout is None:
        return None
    cancelled = handout.engagement.status is EngagementStatus.ABGEBROCHEN
    appointments = [] if cancelled else next_appointments(session, engagement_id, today=today)
    return ClientView(handout=handout, appointments=appointments)
