"""The submission services: open and next round, reference numbers per year (also after a
collision), consent, audit trail, withdrawal, and finding an application by its token."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.queries import find_by_token
from caseflow.intake.services import submission
from caseflow.intake.services.submission import (
    CONSENT_TEXT_VERSION,
    ApplicationData,
    SubmissionError,
    next_round,
    open_round,
    submit_application,
    withdraw_application,
)
from caseflow.intake.tokens import hash_token
from caseflow.organisations.choices import District, Sector
from tests import factories

SECRET = "test-secret-key"
NOW = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


def _data(**overrides) -> ApplicationData:
    values = {
        "organisation_name": "Sozialamt Spandau",
        "sector": Sector.BUERGERDIENST,
        "subtype": "sozialamt",
        "district": District.SPANDAU,
        "contact_name": "Jo Beispiel",
        "contact_email": "jo@amt.example.org",
        "motivation": "Mehr Zugang für alle.",
        "has_leadership_support": True,
        "desired_start": date(2025, 3, 1),
        "desired_duration_months": 12,
    }
    values.update(overrides)
    return ApplicationData(**values)


@pytest.fixture
def round_(session):
    return factories.make_round(session, opens_on=date(2024, 9, 1), closes_on=date(2026, 3, 1))


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- rounds ----------------------------------------------------------------------------------


def test_open_and_next_round(session) -> None:
    past = factories.make_round(session, opens_on=date(2024, 1, 1), closes_on=date(2024, 6, 1))
    current = factories.make_round(session, opens_on=date(2024, 12, 1), closes_on=date(2025, 2, 1))
    later = factories.make_round(session, opens_on=date(2025, 6, 1), closes_on=date(2025, 8, 1))
    latest = factories.make_round(session, opens_on=date(2025, 9, 1), closes_on=date(2025, 11, 1))
    assert open_round(session, NOW) == current
    assert next_round(session, NOW) == later
    assert open_round(session, datetime(2025, 3, 1, tzinfo=UTC)) is None
    assert next_round(session, datetime(2025, 7, 1, tzinfo=UTC)) == latest
    assert next_round(session, datetime(2025, 12, 1, tzinfo=UTC)) is None
    assert past not in (open_round(session, NOW), next_round(session, NOW))


def test_a_round_is_open_from_its_opening_until_just_before_its_closing(session) -> None:
    round_ = factories.make_round(session, opens_on=date(2025, 1, 1), closes_on=date(2025, 2, 1))
    opens, closes = round_.opens_at, round_.closes_at
    assert open_round(session, opens) == round_
    assert open_round(session, opens - timedelta(seconds=1)) is None
    assert open_round(session, closes - timedelta(seconds=1)) == round_
    assert open_round(session, closes) is None


# --- submitting ------------------------------------------------------------------------------


def test_submission_stores_everything_with_consent_and_audit(session, round_) -> None:
    data = _data(
        address="Carl-Schurz-Str. 2",
        website="https://www.berlin.de",
        staff_size=80,
        contact_role="Leitung",
        contact_phone="030 1234",
        known_barriers="Formulare",
        target_groups="Geflüchtete",
        leadership_support_by="Amtsleitung",
        steering_group="drei Personen",
    )
    application, token = submit_application(session, data, round_=round_, now=NOW, secret=SECRET)
    session.expire_all()
    stored = session.get(Application, application.id)
    assert stored.reference == "DF-2025-0001"
    assert (stored.reference_year, stored.reference_number) == (2025, 1)
    assert stored.status is ApplicationStatus.EINGEGANGEN
    assert stored.submitted_at == NOW
    assert stored.consent_at == NOW
    assert stored.consent_text_version == CONSENT_TEXT_VERSION
    for field in (
        "organisation_name",
        "sector",
        "subtype",
        "district",
        "address",
        "website",
        "staff_size",
        "contact_name",
        "contact_role",
        "contact_email",
        "contact_phone",
        "motivation",
        "known_barriers",
        "target_groups",
        "has_leadership_support",
        "leadership_support_by",
        "steering_group",
        "desired_start",
        "desired_duration_months",
    ):
        assert getattr(stored, field) == getattr(data, field), field
    # Only the token's hash is kept.
    assert stored.status_token_hash == hash_token(token) != token
    assert find_by_token(session, token) == stored
    [event] = _events(session, "application.submitted")
    assert event.actor_id is None
    assert event.object_id == stored.id
    assert event.changes["reference"] == "DF-2025-0001"


def test_reference_numbers_count_up_per_year(session, round_) -> None:
    factories.make_application(
        session, round=round_, reference="DF-2025-0007", reference_year=2025, reference_number=7
    )
    factories.make_application(
        session, round=round_, reference="DF-2024-0030", reference_year=2024, reference_number=30
    )
    first, _ = submit_application(session, _data(), round_=round_, now=NOW, secret=SECRET)
    second, _ = submit_application(session, _data(), round_=round_, now=NOW, secret=SECRET)
    next_year, _ = submit_application(
        session, _data(), round_=round_, now=datetime(2026, 1, 2, tzinfo=UTC), secret=SECRET
    )
    assert [first.reference, second.reference, next_year.reference] == [
        "DF-2025-0008",
        "DF-2025-0009",
        "DF-2026-0001",
    ]


def test_the_year_is_the_year_in_berlin(session, round_) -> None:
    # 31.12.2025, 23:30 UTC is already 01.01.2026 in Berlin.
    application, _ = submit_application(
        session,
        _data(),
        round_=round_,
        now=datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
        secret=SECRET,
    )
    assert application.reference == "DF-2026-0001"


def test_numbers_beyond_9999_keep_counting(session, round_) -> None:
    factories.make_application(
        session, round=round_, reference="DF-2025-9999", reference_year=2025, reference_number=9999
    )
    application, _ = submit_application(session, _data(), round_=round_, now=NOW, secret=SECRET)
    assert application.reference == "DF-2025-10000"


def test_a_collision_on_the_reference_takes_the_next_number(session, round_, monkeypatch) -> None:
    """Two submissions read the same maximum: the one that inserts second collides on the
    unique constraint and retries with a fresh maximum."""
    taken = factories.make_application(
        session, round=round_, reference="DF-2025-0001", reference_year=2025, reference_number=1
    )
    real = submission._next_reference_number
    answers = iter([1, 1])  # a stale maximum twice, then the real one

    def stale_then_real(session_, year):
        return next(answers, None) or real(session_, year)

    monkeypatch.setattr(submission, "_next_reference_number", stale_then_real)
    application, token = submit_application(session, _data(), round_=round_, now=NOW, secret=SECRET)
    assert application.reference == "DF-2025-0002"
    # The outer transaction survived the failed inserts: both rows are there.
    assert session.scalars(select(Application.reference).order_by(Application.id)).all() == [
        taken.reference,
        "DF-2025-0002",
    ]
    assert find_by_token(session, token) == application
    assert len(_events(session, "application.submitted")) == 1


def test_endless_collisions_give_up_with_a_german_message(session, round_, monkeypatch) -> None:
    factories.make_application(
        session, round=round_, reference="DF-2025-0001", reference_year=2025, reference_number=1
    )
    monkeypatch.setattr(submission, "_next_reference_number", lambda session_, year: 1)
    with pytest.raises(SubmissionError, match="konnte gerade nicht gespeichert werden"):
        submit_application(session, _data(), round_=round_, now=NOW, secret=SECRET)
    assert session.scalar(select(Application).where(Application.reference_number == 2)) is None
    assert _events(session, "application.submitted") == []


def test_other_integrity_errors_are_not_retried(session, round_, monkeypatch) -> None:
    existing = factories.make_application(session, round=round_)
    calls = []

    def same_hash(application, secret):
        calls.append(1)
        application.status_token_hash = existing.status_token_hash
        return "token"

    monkeypatch.setattr(submission, "issue_token", same_hash)
    with pytest.raises(Exception, match="status_token_hash"):
        submit_application(session, _data(), round_=round_, now=NOW, secret=SECRET)
    assert calls == [1]


def test_a_closed_round_takes_no_submission(session) -> None:
    closed = factories.make_round(session, opens_on=date(2024, 1, 1), closes_on=date(2024, 6, 1))
    with pytest.raises(SubmissionError, match="nicht geöffnet"):
        submit_application(session, _data(), round_=closed, now=NOW, secret=SECRET)


# --- withdrawing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [ApplicationStatus.EINGEGANGEN, ApplicationStatus.IN_PRUEFUNG, ApplicationStatus.VORGESPRAECH],
)
def test_an_undecided_application_can_be_withdrawn(session, status) -> None:
    application = factories.make_application(session, status=status)
    withdraw_application(session, application, now=NOW)
    session.expire_all()
    assert application.status is ApplicationStatus.ZURUECKGEZOGEN
    assert application.withdrawn_at == NOW
    [event] = _events(session, "application.withdrawn")
    assert event.actor_id is None
    assert event.changes == {"status": [status.value, "zurueckgezogen"]}


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ApplicationStatus.ANGENOMMEN, "bereits entschieden"),
        (ApplicationStatus.ABGELEHNT, "bereits entschieden"),
        (ApplicationStatus.WARTELISTE, "bereits entschieden"),
        (ApplicationStatus.ZURUECKGEZOGEN, "bereits zurückgezogen"),
    ],
)
def test_a_decided_application_cannot_be_withdrawn(session, status, message) -> None:
    application = factories.make_application(session, status=status)
    with pytest.raises(SubmissionError, match=message):
        withdraw_application(session, application, now=NOW)
    session.expire_all()
    assert application.status is status
    assert _events(session, "application.withdrawn") == []


# --- finding by token ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", ["", "abc", "x" * 42, "x" * 44, "../../etc/passwd", "a" * 42 + "!", "ä" * 43]
)
def test_malformed_tokens_are_refused_without_a_query(session, count_queries, token) -> None:
    with count_queries() as counter:
        assert find_by_token(session, token) is None
    assert counter.count == 0


def test_unknown_well_formed_token_finds_nothing(session, round_) -> None:
    submit_application(session, _data(), round_=round_, now=NOW, secret=SECRET)
    assert find_by_token(session, "A" * 43) is None
