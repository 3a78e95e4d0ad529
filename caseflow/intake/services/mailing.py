"""Emails to the applicant: the confirmation of receipt, the decisions and the withdrawal.

Every mail goes to the contact email the application was submitted with, carries the secret
status link, names the application by its reference (the subject never holds text the
applicant typed), and holds no other person's data: the team signs, not a staff member.

No mail goes to an application whose processing is restricted (Art. 18 DSGVO) or whose
personal data was anonymised: the mail is skipped and the audit trail says so; the status
page keeps working.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from caseflow.audit.services import Actor, record
from caseflow.intake.models import Application
from caseflow.intake.tokens import current_token, issue_token
from caseflow.mail import MailError, compose, safe_reason, send_mail
from caseflow.web.urls import absolute_url

log = logging.getLogger(__name__)

# Mails to applicants are always German (``caseflow.mail`` renders them so), their subjects too.
SUBJECTS = {
    "eingang": "Ihre Bewerbung {reference} ist eingegangen",
    "angenommen": "Zusage zu Ihrer Bewerbung {reference}",
    "abgelehnt": "Entscheidung zu Ihrer Bewerbung {reference}",
    "warteliste": "Ihre Bewerbung {reference} steht auf der Warteliste",
    "zurueckgezogen": "Ihre Bewerbung {reference} ist zurückgezogen",
}


def subject_for(kind: str, reference: str) -> str:
    """The subject of an applicant mail: the programme, the event and the reference only."""
    return "DiFair – " + SUBJECTS[kind].format(reference=reference)


def status_link(
    session: Session, application: Application, *, secret: str, actor: Actor | None
) -> str:
    """The absolute URL of the application's status page. When the link cannot be derived
    again (the ``SECRET_KEY`` has changed), a new one is issued (the old one stops working)
    and the audit trail records it. Needs an app context that can build external URLs."""
    token = current_token(application, secret)
    if token is None:
        token = issue_token(application, secret)
        record(
            session,
            actor=actor,
            action="application.status_link_renewed",
            object_type="application",
            object_id=application.id,
        )
        session.flush()
    return absolute_url("intake.status", token=token)


def mail_skip_reason(application: Application) -> str | None:
    """Why no mail may go to the applicant (``restricted``, ``anonymised``), or None."""
    if application.anonymised_at is not None:
        return "anonymised"
    if application.is_restricted:
        return "restricted"
    return None


def send_applicant_mail(
    session: Session,
    application: Application,
    kind: str,
    *,
    secret: str,
    actor: Actor | None,
) -> bool:
    """Send the applicant the mail of ``kind`` (a key of ``SUBJECTS``) and record the outcome.

    Before: the state change the mail reports is committed (a failed mail must not undo it).
    After: the mail is sent to ``application.contact_email`` with the status link; one audit
    event, ``application.mail_sent`` or ``application.mail_failed`` (the error is logged),
    plus ``application.status_link_renewed`` if a new link had to be issued; flushed, the
    caller commits. A restricted (``is_restricted``) or anonymised application gets no mail:
    one audit event ``application.mail_skipped`` with the kind and the reason instead.
    Returns whether the mail went out; never raises for a mail failure.
    Raises ``ValueError`` for an unknown ``kind`` (a programming error).
    """
    if kind not in SUBJECTS:
        raise ValueError(f"unknown applicant mail kind {kind!r}")
    skipped = mail_skip_reason(application)
    if skipped is not None:
        record(
            session,
            actor=actor,
            action="application.mail_skipped",
            object_type="application",
            object_id=application.id,
            changes={"kind": kind, "reason": skipped},
        )
        session.flush()
        return False
    url = status_link(session, application, secret=secret, actor=actor)
    # The recipient follows from the application; the audit trail outlives its anonymisation,
    # so it keeps no address.
    changes = {"kind": kind}
    try:
        message = compose(
            application.contact_email,
            subject_for(kind, application.reference),
            f"applicant_{kind}",
            application=application,
            status_url=url,
        )
        send_mail(message)
    except MailError as error:
        reason = safe_reason(error, application.contact_email)
        log.warning("mail %s for application %s failed: %s", kind, application.reference, reason)
        record(
            session,
            actor=actor,
            action="application.mail_failed",
            object_type="application",
            object_id=application.id,
            changes=changes,
        )
        session.flush()
        return False
    record(
        session,
        actor=actor,
        action="application.mail_sent",
        object_type="application",
        object_id=application.id,
        changes=changes,
    )
    session.flush()
    return True
