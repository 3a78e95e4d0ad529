"""Data retention: declined and withdrawn applications lose their personal data once they
are older than RETENTION_MONTHS (6); what the funder's reporting needs stays; the audit
events about them lose the applicant's IP address; each run leaves one audit event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from caseflow.audit.labels import action_label
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import origin, record
from caseflow.followups.sweeps import SWEEPS, retention
from caseflow.intake.models import Application, ApplicationReview, ApplicationStatus
from caseflow.intake.queries.applications import find_by_token
from caseflow.intake.services.retention import PLACEHOLDER, anonymise_expired
from caseflow.intake.services.submission import withdraw_application
from caseflow.intake.tokens import issue_token
from caseflow.mail import outbox_folder
from caseflow.organisations.choices import District, Sector
from caseflow.staff.models import Role
from tests import factories

ACTION = "application.anonymised"
DECIDED_AT = datetime(2025, 5, 20, 10, 30, tzinfo=UTC)
SIX_MONTHS_LATER = DECIDED_AT + relativedelta(months=6)  # 20.11.2025 10:30 UTC

PERSONAL = {
    "contact_name": "Petra Vertraulich",
    "contact_role": "Sachgebietsleitung",
    "contact_email": "petra.vertraulich@amt.example.org",
    "contact_phone": "030 1234567",
    "address": "Karl-Marx-Str. 83\n12040 Berlin",
    "motivation": "Frau Vertraulich möchte …",
    "known_barriers": "Herr Muster sagt …",
    "target_groups": "Familien",
    "leadership_support_by": "Dr. Amtsleiter",
    "steering_group": "Frau A, Herr B",
    "decision_note": "Intern: mit Frau Vertraulich telefoniert",
}


def old_application(session, status: ApplicationStatus, moment: datetime = DECIDED_AT, **extra):
    """An application declined (or withdrawn) at ``moment``, with every personal field
    filled, a review with a comment and a status link."""
    fields = dict(PERSONAL, **extra)
    if status is ApplicationStatus.ABGELEHNT:
        fields.update(decided_at=moment, decision_reason="Frau Vertraulich hat abgesagt.")
    if status is ApplicationStatus.ZURUECKGEZOGEN:
        fields.update(withdrawn_at=moment)
    application = factories.make_application(
        session,
        status=status,
        submitted_at=datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
        organisation_name="Bezirksamt Neukölln Sozialamt",
        staff_size=120,
        website="www.berlin.de/ba-neukoelln",
        preliminary_talk_on=date(2025, 4, 2),
        **fields,
    )
    reviewer = factories.make_staff_member(session, role=Role.LEAD)
    factories.make_review(session, application, reviewer, comment="Frau Vertraulich wirkt …")
    return application


def events(session) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == ACTION).order_by(AuditEvent.id)
        )
    )


@pytest.mark.parametrize("status", [ApplicationStatus.ABGELEHNT, ApplicationStatus.ZURUECKGEZOGEN])
def test_anonymised_six_months_after_the_decline_or_withdrawal(session, status):
    application = old_application(session, status)
    assert len(anonymise_expired(session, now=SIX_MONTHS_LATER - timedelta(days=1), months=6)) == 0
    assert application.anonymised_at is None
    assert [event.changes["count"] for event in events(session)] == [0]
    now = SIX_MONTHS_LATER + timedelta(days=1)
    run = anonymise_expired(session, now=now, months=6)
    assert run.references == (application.reference,)
    session.refresh(application)
    assert application.anonymised_at == now
    assert application.contact_name == PLACEHOLDER


def test_the_personal_data_goes_and_the_reporting_data_stays(session):
    application = old_application(session, ApplicationStatus.ABGELEHNT)
    token = issue_token(application, "test-secret-key")
    session.flush()
    assert find_by_token(session, token) is application
    kept = {
        column: getattr(application, column)
        for column in (
            "reference",
            "round_id",
            "organisation_name",
            "sector",
            "subtype",
            "district",
            "website",
            "staff_size",
            "submitted_at",
            "consent_at",
            "consent_text_version",
            "preliminary_talk_on",
            "decided_at",
            "decided_by_id",
            "desired_start",
            "desired_duration_months",
            "has_leadership_support",
            "status",
        )
    }
    version = application.version
    assert anonymise_expired(session, now=SIX_MONTHS_LATER + timedelta(days=1), months=6)
    session.expire_all()
    application = session.get(Application, application.id)
    for column, value in kept.items():
        assert getattr(application, column) == value, column
    assert application.sector is Sector.BUERGERDIENST and application.district is District.NEUKOELLN
    for column in ("contact_name", "contact_email", "motivation", "decision_reason"):
        assert getattr(application, column) == PLACEHOLDER, column
    for column in (
        "contact_role",
        "contact_phone",
        "address",
        "known_barriers",
        "target_groups",
        "leadership_support_by",
        "steering_group",
        "decision_note",
        "status_token_salt",
    ):
        assert getattr(application, column) is None, column
    assert application.version == version + 1
    # The status link stops working; the reviewer's scores stay, the comment goes.
    assert find_by_token(session, token) is None
    [review] = session.scalars(
        select(ApplicationReview).where(ApplicationReview.application_id == application.id)
    )
    assert review.comment is None and review.score_leadership == 4
    everything = " ".join(str(value) for value in vars(application).values())
    assert "Vertraulich" not in everything and "030 1234567" not in everything


def test_withdrawn_applications_keep_no_decision_reason(session):
    application = old_application(session, ApplicationStatus.ZURUECKGEZOGEN)
    assert application.decision_reason is None
    anonymise_expired(session, now=SIX_MONTHS_LATER + timedelta(days=1), months=6)
    session.refresh(application)
    assert application.decision_reason is None
    assert application.status is ApplicationStatus.ZURUECKGEZOGEN


@pytest.mark.parametrize(
    "status",
    [
        ApplicationStatus.EINGEGANGEN,
        ApplicationStatus.IN_PRUEFUNG,
        ApplicationStatus.VORGESPRAECH,
        ApplicationStatus.WARTELISTE,
        ApplicationStatus.ANGENOMMEN,
    ],
)
def test_other_applications_are_kept_however_old(session, status):
    application = factories.make_application(
        session, status=status, submitted_at=datetime(2024, 9, 1, tzinfo=UTC), **PERSONAL
    )
    assert len(anonymise_expired(session, now=datetime(2026, 7, 1, tzinfo=UTC), months=6)) == 0
    session.refresh(application)
    assert application.contact_name == "Petra Vertraulich"
    assert application.anonymised_at is None


def test_one_audit_event_per_run_also_when_nothing_changed(session):
    first = old_application(session, ApplicationStatus.ABGELEHNT)
    second = old_application(
        session, ApplicationStatus.ZURUECKGEZOGEN, DECIDED_AT + timedelta(days=10)
    )
    later = old_application(session, ApplicationStatus.ABGELEHNT, DECIDED_AT + timedelta(days=40))
    now = SIX_MONTHS_LATER + timedelta(days=11)
    assert len(anonymise_expired(session, now=now, months=6)) == 2
    assert len(anonymise_expired(session, now=now + timedelta(hours=1), months=6)) == 0
    event, empty = events(session)
    assert event.actor_id is None and event.actor_label == "System"
    assert event.occurred_at == now
    assert event.object_type == "application" and event.object_id is None
    assert event.changes == {
        "count": 2,
        "references": sorted([first.reference, second.reference]),
        "retention_months": 6,
    }
    assert "Vertraulich" not in str(event.changes)
    assert action_label(ACTION) != ACTION
    # The run that found nothing is on record too.
    assert empty.actor_id is None and empty.occurred_at == now + timedelta(hours=1)
    assert empty.object_type == "application" and empty.object_id is None
    assert empty.changes == {"count": 0, "references": [], "retention_months": 6}
    later_now = SIX_MONTHS_LATER + timedelta(days=41)
    assert anonymise_expired(session, now=later_now, months=6).references == (later.reference,)
    assert [event.changes["count"] for event in events(session)] == [2, 0, 1]


def test_the_applicants_ip_address_leaves_the_audit_trail_the_events_stay(session):
    """The public form's events carry the applicant's address (``origin``); the run removes
    it from the anonymised applications' events only and keeps the events as they were."""
    withdrawn = factories.make_application(
        session, submitted_at=datetime(2025, 3, 3, 9, 0, tzinfo=UTC), **PERSONAL
    )
    kept = factories.make_application(
        session, submitted_at=datetime(2025, 3, 3, 9, 0, tzinfo=UTC), **PERSONAL
    )
    with origin("203.0.113.7"):
        for application in (withdrawn, kept):
            record(
                session,
                actor=None,
                action="application.submitted",
                object_type="application",
                object_id=application.id,
                changes={"reference": application.reference},
                at=application.submitted_at,
            )
        withdraw_application(session, withdrawn, now=DECIDED_AT)
    lead = factories.make_staff_member(session, role=Role.LEAD)
    with origin("198.51.100.20"):  # a staff member's address on the kept one
        record(
            session,
            actor=lead,
            action="application.status_changed",
            object_type="application",
            object_id=kept.id,
            changes={},
            at=DECIDED_AT,
        )
    session.flush()

    def trail(application):
        return [
            (event.action, event.ip_address, event.changes)
            for event in session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.object_type == "application",
                    AuditEvent.object_id == application.id,
                )
                .order_by(AuditEvent.id)
            )
        ]

    before = trail(withdrawn)
    assert [(action, ip) for action, ip, _changes in before] == [
        ("application.submitted", "203.0.113.7"),
        ("application.withdrawn", "203.0.113.7"),
    ]
    kept_before = trail(kept)
    run = anonymise_expired(session, now=SIX_MONTHS_LATER + timedelta(days=1), months=6)
    assert run.ids == (withdrawn.id,)
    assert trail(withdrawn) == [(action, None, changes) for action, _ip, changes in before]
    assert trail(kept) == kept_before
    session.expire_all()
    assert trail(withdrawn) == [(action, None, changes) for action, _ip, changes in before]
    assert [ip for _action, ip, _changes in trail(kept)] == ["203.0.113.7", "198.51.100.20"]


def test_the_retention_sweep_uses_the_configured_months(app, session, monkeypatch):
    assert "retention" in {sweep.key for sweep in SWEEPS}
    application = old_application(session, ApplicationStatus.ABGELEHNT)
    monkeypatch.setitem(app.config, "RETENTION_MONTHS", 12)
    assert retention(session, SIX_MONTHS_LATER + timedelta(days=1)) == 0
    monkeypatch.setitem(app.config, "RETENTION_MONTHS", 6)
    assert retention(session, SIX_MONTHS_LATER + timedelta(days=1)) == 1
    assert retention(session, SIX_MONTHS_LATER + timedelta(days=2)) == 0
    session.refresh(application)
    assert application.anonymised_at is not None


def test_the_retention_sweep_deletes_outbox_mail_as_old_as_the_period(app, session):
    folder = outbox_folder(app)
    folder.mkdir(parents=True, exist_ok=True)
    now = SIX_MONTHS_LATER + timedelta(days=1)
    old = (
        folder
        / f"{(now - relativedelta(months=6, days=1)).strftime('%Y%m%dT%H%M%S%fZ')}-{'a' * 16}.eml"
    )
    young = (
        folder / f"{(now - relativedelta(months=5)).strftime('%Y%m%dT%H%M%S%fZ')}-{'b' * 16}.eml"
    )
    other = folder / "notizen.eml"  # not written by caseflow: left alone
    for path in (old, young, other):
        path.write_text("Subject: Ihre Bewerbung\n\nGuten Tag Frau Vertraulich")
    retention(session, now)
    assert (old.exists(), young.exists(), other.exists()) == (False, True, True)
    for path in (young, other):
        path.unlink()


def test_the_retention_sweep_runs_a_fixed_number_of_statements(session, count_queries):
    def statements(now: datetime) -> int:
        with count_queries() as counter:
            retention(session, now)
        return counter.count

    old_application(session, ApplicationStatus.ABGELEHNT)
    few = statements(SIX_MONTHS_LATER + timedelta(days=1))
    for offset in range(5):
        old_application(session, ApplicationStatus.ZURUECKGEZOGEN, DECIDED_AT + timedelta(offset))
    many = statements(SIX_MONTHS_LATER + timedelta(days=10))
    none = statements(SIX_MONTHS_LATER + timedelta(days=11))
    # the settings, reviews, applications, the audit events' addresses, the run's audit
    # event, and the contact rule's audit event (its programme end is years away: no more)
    assert few == many == none == 6
    assert [event.changes["count"] for event in events(session)] == [1, 5, 0]


def test_anonymised_pages_still_open(client, session, logged_in):
    """The staff page shows the placeholders (no 500); the status page answers 404."""
    application = old_application(session, ApplicationStatus.ABGELEHNT)
    token = issue_token(application, "test-secret-key")
    session.flush()
    assert client.get(f"/apply/status/{token}").status_code == 200
    anonymise_expired(session, now=SIX_MONTHS_LATER + timedelta(days=1), months=6)
    logged_in(Role.LEAD)
    page = client.get(f"/applications/{application.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vertraulich" not in html and PLACEHOLDER in html
    assert application.reference in html
    assert client.get(f"/apply/status/{token}").status_code == 404
