"""The demo data set (``caseflow demo``): the invariants of the loaded programme, the refusal
on a non-empty database, the CLI and determinism."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditEvent
from caseflow.database import Model
from caseflow.demo import (
    DEMO_ACCOUNTS,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TODAY,
    DemoError,
    demo_data,
    load_demo,
)
from caseflow.demo import engagements as demo_engagements
from caseflow.demo import staff as demo_staff
from caseflow.documents.models import Document, DocumentVersion
from caseflow.documents.storage import intact
from caseflow.documents.sweeps import storage_root
from caseflow.engagements.models import (
    Activity,
    AssignmentRole,
    Barrier,
    BarrierStatus,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
)
from caseflow.engagements.rules import ProgrammeWindow, check_dates
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from caseflow.intake.models import Application, ApplicationRound, ApplicationStatus
from caseflow.intake.tokens import current_token, hash_token
from caseflow.organisations.choices import SUBTYPES, District, Sector
from caseflow.organisations.models import Organisation
from caseflow.staff import passwords
from caseflow.staff.models import Role, StaffMember
from caseflow.staff.services import authenticate
from tests.conftest import login

BERLIN = ZoneInfo("Europe/Berlin")
PROGRAMME = ProgrammeWindow(date(2024, 4, 1), date(2026, 7, 31))
DEMO_NOON = datetime.combine(DEMO_TODAY, time(12), tzinfo=BERLIN)
DEMO_DAY_ENDS = datetime.combine(DEMO_TODAY + timedelta(days=1), time(0), tzinfo=BERLIN)
MEASURE_3 = {"Selen Eriçok", "Jana Nau", "Matthias Pfleger"}


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo hashes three passwords; tests need correct hashes, not expensive ones."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def demo(session: Session) -> str:
    """Load the demo into the (empty) test database and return the summary."""
    return load_demo(session)


def all_of(session: Session, model: type) -> list:
    return list(session.scalars(select(model)))


def row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Model.metadata.sorted_tables
    }


# --- the summary and the logins ---------------------------------------------------------


def test_summary_names_what_was_created(demo: str) -> None:
    assert "Stand 15.10.2025" in demo
    for label in ("Mitarbeitende", "Organisationen", "Bewerbungen", "Prozessbegleitungen"):
        assert label in demo
    assert "offen am 15.10.2025: Herbstrunde 2025" in demo


def test_demo_logins_authenticate_with_their_roles(session: Session, demo: str) -> None:
    expected = {
        "leitung@example.org": ("Teo Lünstroth", Role.LEAD),
        "beratung@example.org": ("Selen Eriçok", Role.CONSULTANT),
        "admin@example.org": ("Demo-Administration", Role.ADMIN),
    }
    assert [email for email, _ in DEMO_LOGINS] == [account.email for account in DEMO_ACCOUNTS]
    for email, (name, role) in expected.items():
        member = authenticate(session, email, DEMO_PASSWORD, now=DEMO_NOON)
        assert member is not None, email
        assert (member.name, member.role) == (name, role)
    admin = authenticate(session, "admin@example.org", DEMO_PASSWORD, now=DEMO_NOON)
    assert admin.organisation == "BQN Berlin"
    assert authenticate(session, "leitung@example.org", "falsches-passwort", now=DEMO_NOON) is None


def test_logins_belong_to_the_people_on_the_contact_list(session: Session, demo: str) -> None:
    """No namesakes: the logins were given to the imported people, not created beside them."""
    names = Counter(member.name for member in all_of(session, StaffMember))
    assert names["Teo Lünstroth"] == 1
    assert names["Selen Eriçok"] == 1
    assert len(names) == 9  # eight people from the contact list and the demo admin


# --- organisations ----------------------------------------------------------------------


def test_organisations_cover_sectors_and_districts(session: Session, demo: str) -> None:
    organisations = all_of(session, Organisation)
    assert len(organisations) >= 20
    assert {o.sector for o in organisations} == set(Sector)
    districts = {o.district for o in organisations} - {District.BERLINWEIT}
    assert len(districts) >= 6
    for organisation in organisations:
        assert organisation.subtype in SUBTYPES[organisation.sector], organisation.name
        assert 1 <= len(organisation.contacts) <= 2, organisation.name
        assert sum(contact.is_primary for contact in organisation.contacts) == 1
        for contact in organisation.contacts:
            assert contact.email.endswith(".example"), contact.email
            assert contact.phone.startswith("030 23125 "), contact.phone


# --- rounds and applications ------------------------------------------------------------


def test_one_round_is_open_on_the_demo_day(session: Session, demo: str) -> None:
    rounds = all_of(session, ApplicationRound)
    assert len(rounds) >= 2
    assert [r.name for r in rounds if r.is_open(DEMO_NOON)] == ["Herbstrunde 2025"]
    for application_round in rounds:
        assert application_round.opens_at.astimezone(BERLIN).time() == time(0)
        assert application_round.closes_at.astimezone(BERLIN).time() == time(0)


def test_applications_in_every_status_inside_their_round(session: Session, demo: str) -> None:
    applications = all_of(session, Application)
    assert {a.status for a in applications} == set(ApplicationStatus)
    for application in applications:
        assert application.round.is_open(application.submitted_at), application.reference
        assert application.submitted_at < DEMO_NOON
        assert application.consent_at == application.submitted_at
        assert application.consent_text_version == "2024-01"
        assert re.fullmatch(r"[0-9a-f]{64}", application.status_token_hash)
        assert 6 <= application.desired_duration_months <= 18
    assert len({a.status_token_hash for a in applications}) == len(applications)


def test_summary_prints_a_working_status_link(app: Flask, session: Session, demo: str) -> None:
    """The newcomer can try the applicant's side: the printed link is the application's."""
    match = re.search(r"Statuslink der Bewerbung (DF-\d{4}-\d{4}) .*: /apply/status/(\S+)", demo)
    assert match, demo
    application = session.scalar(select(Application).filter_by(reference=match.group(1)))
    assert application.status is ApplicationStatus.VORGESPRAECH
    assert hash_token(match.group(2)) == application.status_token_hash
    assert current_token(application, app.config["SECRET_KEY"]) == match.group(2)


def test_reference_numbers_count_up_per_year(session: Session, demo: str) -> None:
    applications = sorted(all_of(session, Application), key=lambda a: a.submitted_at)
    by_year: dict[int, list[int]] = {}
    for application in applications:
        assert re.fullmatch(r"DF-\d{4}-\d{4}", application.reference)
        year = application.submitted_at.astimezone(BERLIN).year
        assert application.reference == f"DF-{year}-{application.reference_number:04d}"
        by_year.setdefault(year, []).append(application.reference_number)
    for numbers in by_year.values():
        assert numbers == list(range(1, len(numbers) + 1))


def test_decisions_are_complete(session: Session, demo: str) -> None:
    for application in all_of(session, Application):
        status = application.status
        if status is ApplicationStatus.ANGENOMMEN:
            assert application.engagement is not None
            assert application.organisation is application.engagement.organisation
            assert application.organisation.name == application.organisation_name
        if status is ApplicationStatus.ABGELEHNT:
            assert application.decision_reason
        else:  # the texts of acceptances and waitlist places are internal notes
            assert application.decision_reason is None, application.reference
        if status in (ApplicationStatus.ANGENOMMEN, ApplicationStatus.WARTELISTE):
            assert application.decision_note, application.reference
        if application.decided_at is not None:
            assert application.submitted_at < application.decided_at < DEMO_NOON
            assert application.decided_by.name == "Teo Lünstroth"
        if status is ApplicationStatus.VORGESPRAECH:
            assert application.preliminary_talk_on <= DEMO_TODAY
        if status not in (ApplicationStatus.EINGEGANGEN, ApplicationStatus.ZURUECKGEZOGEN):
            assert application.reviews, application.reference
        for review in application.reviews:
            scores = [review.score_leadership, review.score_resources]
            scores += [review.score_relevance, review.score_feasibility]
            assert all(1 <= score <= 5 for score in scores)
            assert application.submitted_at < review.created_at
            assert review.created_at < (application.decided_at or DEMO_NOON)


# --- engagements ------------------------------------------------------------------------


def test_engagements_keep_the_date_rules(session: Session, demo: str) -> None:
    engagements = all_of(session, Engagement)
    assert len(engagements) >= 12
    for engagement in engagements:
        check_dates(engagement.start_date, engagement.planned_end_date, PROGRAMME)
    lengths = {
        (e.planned_end_date.year - e.start_date.year) * 12
        + e.planned_end_date.month
        - e.start_date.month
        for e in engagements
    }
    assert len(lengths) >= 5, "engagements should differ in length"


def test_engagement_states_on_the_demo_day(session: Session, demo: str) -> None:
    engagements = all_of(session, Engagement)
    assert {e.status for e in engagements} == set(EngagementStatus)
    for engagement in engagements:
        if engagement.status in (EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN):
            assert engagement.actual_end_date < DEMO_TODAY
        else:
            assert engagement.actual_end_date is None
        if engagement.status is EngagementStatus.GEPLANT:
            assert engagement.start_date > DEMO_TODAY
            assert not engagement.activities and not engagement.barriers
        else:
            assert engagement.start_date <= DEMO_TODAY
        if engagement.status in (EngagementStatus.ABGEBROCHEN, EngagementStatus.PAUSIERT):
            assert engagement.status_reason
        assert engagement.status_changed_at < DEMO_NOON


def test_each_engagement_has_one_active_measure_3_lead(session: Session, demo: str) -> None:
    for engagement in all_of(session, Engagement):
        leads = [a for a in engagement.assignments if a.role is AssignmentRole.LEAD]
        assert len(leads) == 1
        assert leads[0].staff_member.is_active
        assert leads[0].staff_member.name in MEASURE_3


def test_phases_cover_the_engagement_without_gaps(session: Session, demo: str) -> None:
    for engagement in all_of(session, Engagement):
        phases = engagement.phases
        assert len(phases) == 5
        assert phases[0].start_date == engagement.start_date
        assert phases[-1].end_date == engagement.planned_end_date
        for before, after in zip(phases, phases[1:], strict=False):
            assert after.start_date == before.end_date + timedelta(days=1)
        for phase in phases:
            assert phase.milestones
            if phase.started_on is not None:
                assert phase.started_on <= DEMO_TODAY


def test_milestones_are_done_open_and_overdue(session: Session, demo: str) -> None:
    milestones = all_of(session, Milestone)
    done = [m for m in milestones if m.status is MilestoneStatus.ERLEDIGT]
    dropped = [m for m in milestones if m.status is MilestoneStatus.ENTFALLEN]
    still_open = [m for m in milestones if m.status is MilestoneStatus.OFFEN]
    assert done and dropped
    assert any(m.due_date > DEMO_TODAY for m in still_open)
    overdue = [m for m in still_open if m.is_overdue(DEMO_TODAY)]
    assert 1 <= len(overdue) <= 10
    for milestone in done:
        assert milestone.completed_on <= DEMO_TODAY
        assert milestone.completed_by is not None
        assert milestone.evidence_note
    for milestone in dropped:
        assert milestone.drop_reason


def test_gates_are_done_before_the_next_phase_starts(session: Session, demo: str) -> None:
    for engagement in all_of(session, Engagement):
        for phase, following in zip(engagement.phases, engagement.phases[1:], strict=False):
            if following.started_on is None:
                continue
            for gate in (m for m in phase.milestones if m.is_gate):
                assert gate.status is MilestoneStatus.ERLEDIGT
                assert gate.completed_on < following.started_on


def test_completed_engagements_have_nothing_left_open(session: Session, demo: str) -> None:
    for engagement in all_of(session, Engagement):
        if engagement.status in (EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN):
            for phase in engagement.phases:
                assert all(m.status is not MilestoneStatus.OFFEN for m in phase.milestones)


def test_started_engagements_have_activities_and_barriers(session: Session, demo: str) -> None:
    started = [e for e in all_of(session, Engagement) if e.status is not EngagementStatus.GEPLANT]
    for engagement in started:
        assert len(engagement.activities) >= 3, engagement.organisation.name
        assert 2 <= len(engagement.barriers) <= 5, engagement.organisation.name
        for activity in engagement.activities:
            assert engagement.start_date <= activity.occurred_on <= DEMO_TODAY
            assert activity.staff and activity.note
    activities = all_of(session, Activity)
    assert {a.kind.value for a in activities} >= {
        "treffen",
        "workshop",
        "fortbildung",
        "telefonat",
        "notiz",
    }


def test_barriers_are_plausible(session: Session, demo: str) -> None:
    barriers = all_of(session, Barrier)
    assert {b.status for b in barriers} == set(BarrierStatus)
    assert len({b.category for b in barriers}) == 7
    for barrier in barriers:
        assert barrier.engagement.start_date <= barrier.identified_on <= DEMO_TODAY
        if barrier.status is BarrierStatus.ABGEBAUT:
            assert barrier.identified_on < barrier.resolved_on <= DEMO_TODAY
            assert barrier.measure_taken
        if barrier.status is BarrierStatus.ERKANNT:
            assert barrier.measure_taken is None


def test_open_follow_ups_around_the_demo_day(session: Session, demo: str) -> None:
    follow_ups = [f for f in all_of(session, FollowUp) if f.status is FollowUpStatus.OFFEN]
    assert all(f.kind is FollowUpKind.CHECK_IN for f in follow_ups)
    assert any(f.due_at < DEMO_NOON for f in follow_ups), "some should be overdue"
    assert any(f.due_at > DEMO_NOON for f in follow_ups), "some should be coming up"
    for follow_up in follow_ups:
        assert abs(follow_up.due_at - DEMO_NOON) < timedelta(days=30)
        assert follow_up.assignee is follow_up.engagement.lead


def test_nothing_happens_after_the_demo_day(session: Session, demo: str) -> None:
    """The data set is built around 15.10.2025, not around the real date."""
    stamps = (
        Organisation.created_at,
        Engagement.created_at,
        Engagement.status_changed_at,
        Application.submitted_at,
        Application.decided_at,
        Activity.created_at,
        Barrier.created_at,
        FollowUp.created_at,
        StaffMember.created_at,
        DocumentVersion.uploaded_at,
    )
    for column in stamps:
        assert session.scalar(select(func.max(column))) < DEMO_DAY_ENDS, column
    assert session.scalar(select(func.max(AuditEvent.occurred_at))) < DEMO_DAY_ENDS


def test_done_milestones_carry_their_evidence_as_stored_documents(
    app: Flask, session: Session, demo: str
) -> None:
    """The agreement, the analysis report (a draft and the final version), the action plan
    and the workshop minutes, each linked to its done milestone, stored intact."""
    documents = all_of(session, Document)
    assert documents
    titles = {document.title for document in documents}
    assert {
        "Kooperationsvereinbarung (unterschrieben)",
        "Analysebericht Zugangsbarrieren",
    } <= titles
    with app.test_request_context():
        root = storage_root()
        for document in documents:
            milestone = document.milestone
            assert milestone is not None and milestone.status is MilestoneStatus.ERLEDIGT
            assert milestone.phase.engagement_id == document.engagement_id
            assert document.engagement.status is not EngagementStatus.ABGEBROCHEN
            for version in document.versions:
                assert intact(root, version.storage_name, version.sha256), document.title
    reports = [d for d in documents if d.title == "Analysebericht Zugangsbarrieren"]
    assert reports and all(len(report.versions) == 2 for report in reports)


# --- refusal, CLI, determinism ----------------------------------------------------------


def test_second_load_is_refused_and_changes_nothing(session: Session, demo: str) -> None:
    before = row_counts(session)
    with pytest.raises(DemoError, match="leere Datenbank"):
        load_demo(session)
    assert row_counts(session) == before


def test_any_staff_member_makes_the_database_non_empty(session: Session, make_staff) -> None:
    make_staff(Role.ADMIN)
    before = row_counts(session)
    with pytest.raises(DemoError, match="1 Mitarbeitende"):
        load_demo(session)
    assert row_counts(session) == before


def test_a_failure_half_way_leaves_nothing_behind(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff, organisations and rounds exist when planning fails; all of it is undone."""
    monkeypatch.setattr(demo_engagements, "DECIDING_LEAD", "Niemand Unbekannt")
    before = row_counts(session)
    with pytest.raises(DemoError, match="Niemand Unbekannt"):
        load_demo(session)
    assert row_counts(session) == before


def test_a_missing_contact_list_is_a_clear_error(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_staff, "CONTACT_LIST", "gibt-es-nicht.csv")
    with pytest.raises(DemoError, match="Kontaktliste"):
        load_demo(session)
    assert row_counts(session)["staff_member"] == 0


def test_cli_loads_the_demo_and_prints_the_logins(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Prozessbegleitungen" in result.output
    for email, _ in DEMO_LOGINS:
        assert email in result.output
    assert DEMO_PASSWORD in result.output

    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0
    assert "leere Datenbank" in again.output


def snapshot(session: Session) -> list[str]:
    """Everything a random choice could have changed, as comparable text."""
    rows = [repr((o.name, o.district, o.created_at)) for o in all_of(session, Organisation)]
    for application in all_of(session, Application):
        reviews = sorted(
            (r.reviewer.name, r.score_leadership, r.score_feasibility, r.comment, r.created_at)
            for r in application.reviews
        )
        rows.append(
            repr(
                (
                    application.reference,
                    application.status,
                    application.submitted_at,
                    application.decision_reason,
                    application.decision_note,
                    reviews,
                )
            )
        )
    for m in all_of(session, Milestone):
        completed_by = m.completed_by.name if m.completed_by else None
        rows.append(
            repr(
                (
                    m.phase.engagement.organisation.name,
                    m.title,
                    m.status,
                    m.completed_on,
                    completed_by,
                    m.evidence_note,
                )
            )
        )
    for a in all_of(session, Activity):
        staff = sorted(member.name for member in a.staff)
        rows.append(
            repr(
                (
                    a.engagement.organisation.name,
                    a.occurred_on,
                    a.kind,
                    a.participants_count,
                    a.note,
                    staff,
                )
            )
        )
    for b in all_of(session, Barrier):
        rows.append(
            repr(
                (
                    b.engagement.organisation.name,
                    b.category,
                    b.status,
                    b.identified_on,
                    b.resolved_on,
                    b.description,
                )
            )
        )
    return sorted(rows)


def test_two_loads_give_the_same_data_set(session: Session) -> None:
    first_load = session.begin_nested()
    load_demo(session)
    first = snapshot(session)
    first_load.rollback()
    assert row_counts(session)["organisation"] == 0

    load_demo(session)
    assert snapshot(session) == first


def test_demo_content_is_consistent() -> None:
    """Every reference in the data files points at something that exists."""
    data = demo_data()
    organisations = {o["key"]: o for o in data["organisations"]["organisations"]}
    assert len(organisations) == len(data["organisations"]["organisations"])
    rounds = {r["key"] for r in data["programme"]["rounds"]}
    accepted = set()
    for application in data["programme"]["applications"]:
        assert application["org"] in organisations
        assert application["round"] in rounds
        if application["status"] == "angenommen":
            assert organisations[application["org"]]["registered"]
            accepted.add(application["org"])
    engaged = [e["org"] for e in data["programme"]["engagements"]]
    assert sorted(engaged) == sorted(accepted)


def test_the_demo_turns_the_second_factor_off_and_says_so(
    app: Flask, client, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leads and admins need a second factor by default; the demo logins must work with the
    password alone, so the demo data switches the requirement off (a setting) and the demo
    banner tells."""
    monkeypatch.setitem(app.config, "TWO_FACTOR_ROLES", ("lead", "admin"))
    monkeypatch.setitem(app.config, "CASEFLOW_TODAY", DEMO_TODAY)
    load_demo(session)

    for email, landing in (("leitung@example.org", "/dashboard"), ("admin@example.org", "/admin/")):
        response = login(client, email, DEMO_PASSWORD)
        assert response.status_code == 302 and response.headers["Location"].endswith(landing)
        page = client.get(landing).get_data(as_text=True)
        assert "Zwei-Faktor-Anmeldung ausgeschaltet" in page
        client.post(
            "/logout",
            data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)},
        )
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "setting.changed"))
    assert event is not None and "TWO_FACTOR_ROLES" in event.changes
