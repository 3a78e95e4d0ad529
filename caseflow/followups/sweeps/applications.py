"""The application rules: new applications and undecided ones to the leads, and the retention
job: the anonymisation of declined and withdrawn applications, and of the contact persons of
closed engagements, after their retention periods."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.followups.notify import Notice, notify_all
from caseflow.followups.sweeps.anonymisation import anonymise_released_contacts
from caseflow.followups.sweeps.common import (
    application_link,
    in_language,
)
from caseflow.followups.workdays import working_days_deadline
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.services.retention import anonymise_expired
from caseflow.mail import prune_outbox
from caseflow.settings.services import current as current_setting
from caseflow.settings.services import values
from caseflow.staff.models import Role, StaffMember
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day

log = logging.getLogger(__name__)

UNDECIDED_STATUSES = (
    ApplicationStatus.EINGEGANGEN,
    ApplicationStatus.IN_PRUEFUNG,
    ApplicationStatus.VORGESPRAECH,
)
NEW_APPLICATION_DAYS = 30


# -- applications ------------------------------------------------------------------------------


def _leads(session: Session) -> list[tuple[int, str | None]]:
    """``(id, locale)`` of every active lead, or of every active admin when there is no
    active lead (someone has to hear of applications); one query."""
    rows = session.execute(
        select(StaffMember.id, StaffMember.role, StaffMember.locale)
        .where(StaffMember.is_active.is_(True), StaffMember.role.in_((Role.LEAD, Role.ADMIN)))
        .order_by(StaffMember.id)
    ).all()
    leads = [(staff_id, locale) for staff_id, role, locale in rows if role == Role.LEAD]
    return leads or [(staff_id, locale) for staff_id, role, locale in rows if role == Role.ADMIN]


def _undecided_applications(
    session: Session, *, submitted_after: datetime | None, submitted_until: datetime
) -> Sequence[Any]:
    """Undecided, not anonymised applications submitted in the given span; one query."""
    statement = (
        select(
            Application.id,
            Application.reference,
            Application.organisation_name,
            Application.submitted_at,
        )
        .where(
            Application.status.in_(UNDECIDED_STATUSES),
            Application.anonymised_at.is_(None),
            Application.submitted_at <= submitted_until,
        )
        .order_by(Application.id)
    )
    if submitted_after is not None:
        statement = statement.where(Application.submitted_at > submitted_after)
    return session.execute(statement).all()


def applications_new(session: Session, now: datetime) -> int:
    """Tell the leads (else the admins) of each undecided application submitted in the last
    ``NEW_APPLICATION_DAYS`` days; once per application and person. Three statements (four
    when older notifications about an application are superseded)."""
    applications = _undecided_applications(
        session,
        submitted_after=now - timedelta(days=NEW_APPLICATION_DAYS),
        submitted_until=now,
    )
    if not applications:
        return 0
    notices = []
    for staff_id, locale in _leads(session):
        with in_language(locale):
            for application_id, reference, organisation, _submitted_at in applications:
                notices.append(
                    Notice(
                        recipient_id=staff_id,
                        kind="application_new",
                        text=_(
                            "Neue Bewerbung %(reference)s von %(organisation)s.",
                            reference=reference,
                            organisation=organisation,
                        ),
                        link=application_link(application_id),
                        dedup_key=f"application:{application_id}:new:{staff_id}",
                        topic=f"application:{application_id}",
                    )
                )
    return notify_all(session, notices, now=now)


def applications_undecided(session: Session, now: datetime) -> int:
    """Tell the leads (else the admins) of each application still undecided after
    ``DECISION_WORKING_DAYS`` Berlin working days (``workdays.working_days_deadline``); once
    per application and person. Three statements (four when older notifications are
    superseded)."""
    working_days = int(current_setting("DECISION_WORKING_DAYS", session))
    # A cheap bound in SQL (n working days take more than n calendar days), exact in Python.
    candidates = _undecided_applications(
        session, submitted_after=None, submitted_until=now - timedelta(days=working_days)
    )
    overdue = [row for row in candidates if working_days_deadline(row[3], working_days) <= now]
    if not overdue:
        return 0
    notices = []
    for staff_id, locale in _leads(session):
        with in_language(locale):
            for application_id, reference, organisation, submitted_at in overdue:
                text = _(
                    "Bewerbung %(reference)s von %(organisation)s ist %(days)s Arbeitstage nach "
                    "dem Eingang am %(day)s noch nicht entschieden.",
                    reference=reference,
                    organisation=organisation,
                    days=working_days,
                    day=format_day(submitted_at),
                )
                notices.append(
                    Notice(
                        recipient_id=staff_id,
                        kind="application_undecided",
                        text=text,
                        link=application_link(application_id),
                        dedup_key=f"application:{application_id}:undecided:{staff_id}",
                        topic=f"application:{application_id}",
                    )
                )
    return notify_all(session, notices, now=now)


# -- data retention ----------------------------------------------------------------------------


def retention(session: Session, now: datetime) -> int:
    """Anonymise declined and withdrawn applications older than ``RETENTION_MONTHS``
    (``caseflow.intake.services.retention``), anonymise the contact persons of organisations
    nothing keeps from ``CONTACT_RETENTION_YEARS`` after ``PROGRAMME_END`` on
    (``caseflow.followups.sweeps.anonymisation``; their organisations' accepted
    applications with them), and delete outbox files as old as the applications' period
    (they hold the applicants' mails); each rule records one audit event per run. Returns
    how many applications and contacts were anonymised."""
    months, years, programme_end = values(
        "RETENTION_MONTHS", "CONTACT_RETENTION_YEARS", "PROGRAMME_END", session=session
    )
    anonymised = anonymise_expired(session, now=now, months=months)
    contacts = anonymise_released_contacts(session, now, programme_end=programme_end, years=years)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    pruned = prune_outbox(app, now - relativedelta(months=months))
    if pruned:
        log.info("retention: %s outbox file(s) older than %s months deleted", pruned, months)
    return len(anonymised) + len(contacts) + len(contacts.application_references)
