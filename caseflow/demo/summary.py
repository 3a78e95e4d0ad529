"""The German summary of a loaded demo, for the CLI to print."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.demo.context import DEMO_TODAY, at, count_rows, counts_by
from caseflow.engagements.models import (
    Activity,
    Barrier,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
)
from caseflow.followups.models import FollowUp, FollowUpStatus
from caseflow.intake.models import Application, ApplicationRound, ApplicationStatus
from caseflow.intake.tokens import current_token
from caseflow.organisations.choices import District
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.staff.models import StaffMember


def summary(session: Session) -> str:
    """What was created, in German, for the CLI to print."""
    return "\n".join(
        [
            f"Demodaten geladen – Stand {DEMO_TODAY:%d.%m.%Y} "
            f"(die Demo läuft mit CASEFLOW_TODAY={DEMO_TODAY.isoformat()}).",
            _staff_line(session),
            _organisation_line(session),
            _round_line(session),
            _status_line("Bewerbungen", counts_by(session, Application.status), ApplicationStatus),
            _status_line(
                "Prozessbegleitungen", counts_by(session, Engagement.status), EngagementStatus
            ),
            _milestone_line(session),
            _work_line(session),
            _status_link_line(session),
        ]
    )


def _staff_line(session: Session) -> str:
    with_login = count_rows(session, StaffMember, StaffMember.password_hash.is_not(None))
    return f"  Mitarbeitende: {count_rows(session, StaffMember)} ({with_login} mit Login)"


def _organisation_line(session: Session) -> str:
    districts = session.scalar(
        select(func.count(func.distinct(Organisation.district))).where(
            Organisation.district != District.BERLINWEIT
        )
    )
    return (
        f"  Organisationen: {count_rows(session, Organisation)} aus {districts} Bezirken und "
        f"berlinweit, mit {count_rows(session, ContactPerson)} Ansprechpersonen"
    )


def _round_line(session: Session) -> str:
    rounds = list(session.scalars(select(ApplicationRound).order_by(ApplicationRound.opens_at)))
    noon = at(DEMO_TODAY, 12)
    open_names = ", ".join(r.name for r in rounds if r.is_open(noon)) or "keine"
    return f"  Bewerbungsrunden: {len(rounds)} (offen am {DEMO_TODAY:%d.%m.%Y}: {open_names})"


def _status_line(label: str, counts: Counter[Any], statuses: Iterable[Any]) -> str:
    parts = ", ".join(f"{counts[status]} {status.label}" for status in statuses if counts[status])
    return f"  {label}: {sum(counts.values())} ({parts})"


def _milestone_line(session: Session) -> str:
    counts = counts_by(session, Milestone.status)
    overdue = count_rows(
        session,
        Milestone,
        Milestone.status == MilestoneStatus.OFFEN,
        Milestone.due_date < DEMO_TODAY,
    )
    return (
        f"  Meilensteine: {sum(counts.values())} ({counts[MilestoneStatus.ERLEDIGT]} erledigt, "
        f"{counts[MilestoneStatus.OFFEN]} offen, davon {overdue} überfällig, "
        f"{counts[MilestoneStatus.ENTFALLEN]} entfallen)"
    )


def _work_line(session: Session) -> str:
    open_follow_ups = count_rows(session, FollowUp, FollowUp.status == FollowUpStatus.OFFEN)
    return (
        f"  Aktivitäten: {count_rows(session, Activity)}, "
        f"Zugangsbarrieren: {count_rows(session, Barrier)}, "
        f"Wiedervorlagen: {count_rows(session, FollowUp)} ({open_follow_ups} offen)"
    )


def _status_link_line(session: Session) -> str:
    """The status link of one application in the preliminary talk, to try the public side."""
    application = session.scalar(
        select(Application)
        .where(Application.status == ApplicationStatus.VORGESPRAECH)
        .order_by(Application.reference)
        .limit(1)
    )
    token = current_token(application, current_app.config["SECRET_KEY"]) if application else None
    if token is None:
        return "  Statuslink: keine Bewerbung im Vorgespräch"
    return (
        f"  Statuslink der Bewerbung {application.reference} ({application.status.label}): "
        f"/apply/status/{token}"
    )
