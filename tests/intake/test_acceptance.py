"""Acceptance: the proposal, the rules, organisation + contact + planned engagement in one
transaction, and the accept page."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime

import flask_migrate
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm.exc import StaleDataError

from caseflow import clock, create_app
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import (
    AssignmentRole,
    Engagement,
    EngagementStatus,
    Milestone,
    Phase,
)
from caseflow.engagements.planning import default_template
from caseflow.engagements.services import EngagementError
from caseflow.extensions import db
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.services import acceptance, decisions
from caseflow.intake.services.acceptance import (
    AcceptanceImpossible,
    accept_application,
    acceptance_proposal,
    check_acceptance_dates,
)
from caseflow.intake.services.decisions import DecisionError
from caseflow.intake.transitions import MoveNotPermitted, TransitionError
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.staff.models import Role, StaffMember
from tests import factories
from tests.conftest import config_for_tests, csrf_token, dispose_engines
from tests.live_server import fresh_database
from tests.pages.helpers import page_text

S = ApplicationStatus
WINDOW = factories.WINDOW  # 2024-04-01 … 2026-07-31
TODAY = date(2025, 10, 15)
NOW = datetime(2025, 10, 15, 8, 0, tzinfo=UTC)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _actions(session, object_type: str, object_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
            .order_by(AuditEvent.id)
        )
    )


def _application(session, **fields) -> Application:
    values = {
        "status": S.VORGESPRAECH,
        "preliminary_talk_on": date(2025, 10, 1),
        "organisation_name": "Bezirksamt Neukölln Sozialamt",
        "sector": Sector.BUERGERDIENST,
        "subtype": "sozialamt",
        "district": District.NEUKOELLN,
        "address": "Karl-Marx-Straße 83\n12040 Berlin",
        "website": "www.berlin.de/ba-neukoelln",
        "staff_size": 180,
        "contact_name": "Dilek Yılmaz",
        "contact_role": "Teamleitung",
        "contact_email": "Dilek.Yilmaz@BA-NK.example.org",
        "contact_phone": "030 90239-0",
        "desired_start": date(2025, 12, 1),
        "desired_duration_months": 6,
        "submitted_at": datetime(2025, 9, 10, 9, 0, tzinfo=UTC),
    }
    values.update(fields)
    return factories.make_application(session, **values)


@pytest.fixture
def lead(session):
    return factories.make_staff_member(session, name="Lea Leitung", role=Role.LEAD)


@pytest.fixture
def consultant3(session):
    return factories.make_measure3_consultant(session, name="Pia Prozess")


# -- proposal --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desired_start", "months", "today", "expected"),
    [
        # fits as desired
        (date(2025, 3, 1), 12, date(2025, 2, 10), (date(2025, 3, 1), 12, 17, True, None)),
        # desired start passed: today; 12 months no longer fit, 9 do
        (date(2025, 9, 1), 12, TODAY, (TODAY, 9, 9, False, None)),
        # desired start after the last start for 6 months: clipped to it (the issue's example)
        (date(2026, 3, 1), 12, TODAY, (date(2026, 2, 1), 6, 6, False, None)),
        # 9 months would fit from an earlier start: the page names it
        (
            date(2025, 12, 1),
            9,
            TODAY,
            (date(2025, 12, 1), 8, 8, False, date(2025, 11, 1)),
        ),
        # before the programme's start: clipped to it
        (date(2024, 1, 1), 6, date(2024, 1, 10), (date(2024, 4, 1), 6, 18, True, None)),
    ],
)
def test_acceptance_proposal(session, desired_start, months, today, expected):
    application = _application(session, desired_start=desired_start, desired_duration_months=months)
    proposal = acceptance_proposal(application, today=today, window=WINDOW)
    start, duration, longest, fits, latest_for_desired = expected
    assert proposal.start_date == start
    assert proposal.duration_months == duration
    assert proposal.longest_possible_months == longest
    assert proposal.fits is fits
    assert proposal.desired_months == months
    if latest_for_desired is not None:
        assert proposal.latest_start_for_desired == latest_for_desired
    elif not fits:
        assert proposal.latest_start_for_desired is None


def test_no_proposal_when_not_even_six_months_fit(session):
    application = _application(session)
    with pytest.raises(AcceptanceImpossible) as raised:
        acceptance_proposal(application, today=date(2026, 2, 2), window=WINDOW)
    assert str(raised.value) == (
        "Eine Annahme ist nicht mehr möglich: Ab dem 02.02.2026 bleiben keine 6 Monate bis zum "
        "Ende des Förderzeitraums (31.07.2026); der späteste Beginn war der 01.02.2026. Setzen "
        "Sie die Bewerbung auf die Warteliste oder lehnen Sie sie ab."
    )


@pytest.mark.parametrize(
    ("start", "months", "field", "message"),
    [
        (
            TODAY,
            10,
            "duration_months",
            "Ab dem 15.10.2025 passen höchstens 9 Monate bis zum Ende des Förderzeitraums "
            "(31.07.2026). Bitte wählen Sie eine Dauer von 6 bis 9 Monaten.",
        ),
        (TODAY, 5, "duration_months", "Bitte wählen Sie eine Dauer von 6 bis 9 Monaten."),
        (
            date(2025, 10, 14),
            6,
            "start_date",
            "Der Beginn muss zwischen dem 15.10.2025 und dem 01.02.2026 liegen",
        ),
        (date(2026, 2, 2), 6, "start_date", "zwischen dem 15.10.2025 und dem 01.02.2026"),
    ],
)
def test_acceptance_dates_refused_with_the_allowed_range(session, start, months, field, message):
    with pytest.raises(DecisionError) as raised:
        check_acceptance_dates(start, months, today=TODAY, window=WINDOW)
    assert message in str(raised.value)
    assert raised.value.field == field


def test_acceptance_dates_allow_up_to_18_months_early_on(session):
    start = date(2024, 10, 1)
    end = check_acceptance_dates(start, 18, today=date(2024, 9, 1), window=WINDOW)
    assert end == date(2026, 3, 31)
    with pytest.raises(DecisionError, match="zwischen 6 und 18 Monaten"):
        check_acceptance_dates(start, 19, today=date(2024, 9, 1), window=WINDOW)


# -- service ---------------------------------------------------------------------------------


def test_acceptance_creates_organisation_contact_and_planned_engagement(session, lead, consultant3):
    application = _application(session)
    engagement = accept_application(
        session,
        application,
        actor=lead,
        now=NOW,
        window=WINDOW,
        organisation=None,
        start_date=date(2025, 12, 1),
        duration_months=6,
        lead=consultant3,
        note="Starke Leitung",
    )
    organisation = engagement.organisation
    assert (
        organisation.name,
        organisation.sector,
        organisation.subtype,
        organisation.district,
        organisation.address,
        organisation.website,
        organisation.staff_size,
    ) == (
        "Bezirksamt Neukölln Sozialamt",
        Sector.BUERGERDIENST,
        "sozialamt",
        District.NEUKOELLN,
        "Karl-Marx-Straße 83\n12040 Berlin",
        "www.berlin.de/ba-neukoelln",
        180,
    )
    [contact] = organisation.contacts
    assert (contact.name, contact.role, contact.email, contact.phone, contact.is_primary) == (
        "Dilek Yılmaz",
        "Teamleitung",
        "dilek.yilmaz@ba-nk.example.org",
        "030 90239-0",
        True,
    )
    assert engagement.status is EngagementStatus.GEPLANT
    assert (engagement.start_date, engagement.planned_end_date) == (
        date(2025, 12, 1),
        date(2026, 5, 31),
    )
    assert [(a.staff_member, a.role) for a in engagement.assignments] == [
        (consultant3, AssignmentRole.LEAD)
    ]
    assert [phase.name for phase in engagement.phases][0] == "Auftragsklärung"
    assert len(engagement.phases) == 5
    assert sum(len(phase.milestones) for phase in engagement.phases) == 12

    assert application.status is S.ANGENOMMEN
    assert (application.decided_at, application.decided_by) == (NOW, lead)
    assert (application.decision_note, application.decision_reason) == ("Starke Leitung", None)
    assert application.organisation_id == organisation.id
    assert application.engagement_id == engagement.id

    assert _actions(session, "organisation", organisation.id) == ["organisation.created"]
    assert _actions(session, "engagement", engagement.id) == ["engagement.planned"]
    assert _actions(session, "application", application.id) == ["application.accepted"]
    accepted = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.accepted")
    ).one()
    assert accepted.changes["status"] == ["vorgespraech", "angenommen"]
    assert accepted.changes["engagement_id"] == engagement.id
    assert accepted.changes["organisation_created"] is True
    assert accepted.changes["planned_end_date"] == "2026-05-31"


def test_acceptance_with_an_existing_organisation_adds_the_contact_once(session, lead, consultant3):
    organisation = factories.make_organisation(session, name="Sozialamt Neukölln")
    factories.make_contact(session, organisation, name="Frau Alt", email="alt@example.org")
    first = _application(session, contact_email="neu@example.org")
    accept_application(
        session,
        first,
        actor=lead,
        now=NOW,
        window=WINDOW,
        organisation=organisation,
        start_date=date(2025, 12, 1),
        duration_months=6,
        lead=consultant3,
    )
    second = _application(session, contact_email="NEU@example.org")
    accept_application(
        session,
        second,
        actor=lead,
        now=NOW,
        window=WINDOW,
        organisation=organisation,
        start_date=date(2026, 1, 1),
        duration_months=6,
        lead=consultant3,
    )
    session.refresh(organisation)
    assert sorted(contact.email for contact in organisation.contacts) == [
        "alt@example.org",
        "neu@example.org",
    ]
    new_contact = next(c for c in organisation.contacts if c.email == "neu@example.org")
    assert new_contact.is_primary is False
    assert first.organisation_id == second.organisation_id == organisation.id
    assert _count(session, Organisation) == 1
    assert _actions(session, "organisation", organisation.id) == ["organisation.contact_added"]


@pytest.mark.parametrize("problem", ["inactive", "not_measure_3"])
def test_a_lead_who_cannot_lead_is_refused_and_nothing_is_created(session, lead, problem):
    if problem == "inactive":
        chosen = factories.make_measure3_consultant(session, name="Ina Inaktiv", is_active=False)
        message = "Ina Inaktiv ist nicht aktiv"
    else:
        chosen = factories.make_staff_member(session, name="Max Maßnahme-1")
        message = "Max Maßnahme-1 arbeitet nicht in Maßnahme 3"
    application = _application(session)
    before = (_count(session, Organisation), _count(session, Engagement))
    with pytest.raises(DecisionError, match=message) as raised:
        accept_application(
            session,
            application,
            actor=lead,
            now=NOW,
            window=WINDOW,
            organisation=None,
            start_date=date(2025, 12, 1),
            duration_months=6,
            lead=chosen,
        )
    assert raised.value.field == "lead"
    assert (_count(session, Organisation), _count(session, Engagement)) == before
    assert (application.status, application.decided_at, application.engagement_id) == (
        S.VORGESPRAECH,
        None,
        None,
    )
    assert _actions(session, "application", application.id) == []


def test_acceptance_follows_the_transition_table(session, lead, consultant3):
    in_review = _application(session, status=S.IN_PRUEFUNG)
    with pytest.raises(TransitionError, match="„in Prüfung“ kann nicht auf „angenommen“"):
        accept_application(
            session,
            in_review,
            actor=lead,
            now=NOW,
            window=WINDOW,
            organisation=None,
            start_date=date(2025, 12, 1),
            duration_months=6,
            lead=consultant3,
        )
    with pytest.raises(MoveNotPermitted):
        accept_application(
            session,
            _application(session),
            actor=consultant3,
            now=NOW,
            window=WINDOW,
            organisation=None,
            start_date=date(2025, 12, 1),
            duration_months=6,
            lead=consultant3,
        )
    waiting = _application(session, status=S.WARTELISTE, decided_by=lead)
    accept_application(
        session,
        waiting,
        actor=lead,
        now=NOW,
        window=WINDOW,
        organisation=None,
        start_date=date(2025, 12, 1),
        duration_months=6,
        lead=consultant3,
    )
    assert waiting.status is S.ANGENOMMEN
    assert _count(session, Organisation) == 1


# -- pages -----------------------------------------------------------------------------------


def _accept_form(client, application, **values: str) -> dict[str, str]:
    """The accept form's data: the CSRF token and the version the accept page shows now
    (when it shows the form), then ``values``."""
    path = f"/applications/{application.id}/accept"
    token = csrf_token(client, path)
    shown = re.search(
        r'name="version" type="hidden" value="(\d*)"', client.get(path).get_data(as_text=True)
    )
    return {"csrf_token": token, **({"version": shown.group(1)} if shown else {}), **values}


def test_accept_page_offers_the_proposal_similar_organisations_and_leads(
    client, session, logged_in
):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        similar = factories.make_organisation(
            session,
            name="Bezirksamt Neukölln – Sozialamt",
            subtype="sozialamt",
            district=District.NEUKOELLN,
        )
        other = factories.make_organisation(
            session, name="Klinikum Ost", sector=Sector.GESUNDHEIT, subtype="krankenhaus"
        )
        factories.make_measure3_consultant(session, name="Pia Prozess")
        factories.make_measure3_consultant(session, name="Ina Inaktiv", is_active=False)
        factories.make_staff_member(session, name="Max Maßnahme-1")
        application = _application(session)
        response = client.get(f"/applications/{application.id}/accept")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert re.search(r'<input[^>]*name="start_date"[^>]*value="2025-12-01"', html)
        assert re.search(r'<option selected value="6">6 Monate</option>', html)
        # The similar organisation is a radio choice; every organisation is in the select.
        assert re.search(rf'<input[^>]*type="radio" value="{similar.id}"', html)
        assert not re.search(rf'<input[^>]*type="radio" value="{other.id}"', html)
        assert f'<option value="{other.id}">Klinikum Ost (Mitte)</option>' in html
        # With a similar organisation nothing is preselected: the lead must choose.
        assert not re.search(r'<input checked[^>]*name="organisation"', html)
        text = page_text(response)
        assert "Pia Prozess" in text
        assert "Ina Inaktiv" not in text and "Max Maßnahme-1" not in text
        assert "passt nicht mehr" not in text


def test_page_tells_the_lead_the_desired_duration_no_longer_fits(client, session, logged_in):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        lead = factories.make_measure3_consultant(session, name="Pia Prozess")
        application = _application(
            session, desired_start=date(2025, 9, 1), desired_duration_months=12
        )
        page = client.get(f"/applications/{application.id}/accept")
        text = page_text(page)
        assert "Die gewünschte Dauer passt nicht mehr in den Förderzeitraum." in text
        assert (
            "Ab dem 15.10.2025 sind höchstens 9 Monate möglich (bis zum 31.07.2026); "
            "gewünscht waren 12 Monate." in text
        )
        html = page.get_data(as_text=True)
        assert '<option selected value="9">9 Monate</option>' in html
        assert re.search(r'name="start_date"[^>]*value="2025-10-15"', html)

        before = (_count(session, Organisation), _count(session, Engagement))
        response = client.post(
            f"/applications/{application.id}/accept",
            data=_accept_form(
                client,
                application,
                organisation="neu",
                start_date="2025-10-15",
                duration_months="12",
                lead=str(lead.id),
            ),
        )
        assert response.status_code == 422
        assert (
            "Ab dem 15.10.2025 passen höchstens 9 Monate bis zum Ende des Förderzeitraums "
            "(31.07.2026). Bitte wählen Sie eine Dauer von 6 bis 9 Monaten." in page_text(response)
        )
        assert 'id="duration_months-error"' in response.get_data(as_text=True)
        assert (_count(session, Organisation), _count(session, Engagement)) == before
        session.refresh(application)
        assert application.status is S.VORGESPRAECH


def test_the_issues_example_start_is_clipped_and_six_months_offered(client, session, logged_in):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        application = _application(
            session, desired_start=date(2026, 3, 1), desired_duration_months=12
        )
        page = client.get(f"/applications/{application.id}/accept")
        assert "Ab dem 01.02.2026 sind höchstens 6 Monate möglich" in page_text(page)
        html = page.get_data(as_text=True)
        assert re.search(r'name="start_date"[^>]*value="2026-02-01"', html)


def test_acceptance_impossible_page(client, session, logged_in):
    with clock.frozen(date(2026, 3, 1)):
        logged_in(Role.LEAD)
        application = _application(session)
        page = client.get(f"/applications/{application.id}/accept")
        assert page.status_code == 200
        assert "Eine Annahme ist nicht mehr möglich" in page_text(page)
        assert 'name="start_date"' not in page.get_data(as_text=True)


def test_lead_accepts_through_the_page_and_the_applicant_gets_a_mail(
    client, session, logged_in, smtp_server
):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD, name="Lea Leitung")
        pia = factories.make_measure3_consultant(session, name="Pia Prozess")
        application = _application(session)
        response = client.post(
            f"/applications/{application.id}/accept",
            data=_accept_form(
                client,
                application,
                organisation="neu",
                start_date="2025-12-01",
                duration_months="8",
                lead=str(pia.id),
                note="",
            ),
        )
        assert response.status_code == 302, page_text(response)
        session.expire_all()
        application = session.get(Application, application.id)
        assert application.status is S.ANGENOMMEN
        engagement = application.engagement
        assert engagement.planned_end_date == date(2026, 7, 31)
        assert engagement.organisation.name == "Bezirksamt Neukölln Sozialamt"
        assert application.organisation_id == engagement.organisation_id
        assert (
            session.scalar(
                select(func.count(Milestone.id))
                .join(Phase)
                .where(Phase.engagement_id == engagement.id)
            )
            == 12
        )
        page = page_text(client.get(response.location))
        assert "Die Bewerbung ist angenommen; die Prozessbegleitung ab 01.12.2025 ist geplant." in (
            page
        )
        assert "Prozessbegleitung ab 01.12.2025" in page
        [message] = smtp_server.wait_for(1)
        assert message.envelope_rcpt == ["Dilek.Yilmaz@BA-NK.example.org"]
        assert message["Subject"] == f"DiFair – Zusage zu Ihrer Bewerbung {application.reference}"
        assert "Geplanter Beginn: 01.12.2025" in message.get_body(("plain",)).get_content()


def test_accept_with_a_chosen_existing_organisation(client, session, logged_in):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        pia = factories.make_measure3_consultant(session)
        factories.make_organisation(
            session, name="Klinikum Ost", sector=Sector.GESUNDHEIT, subtype="krankenhaus"
        )
        existing = factories.make_organisation(session, name="Amt ohne Ähnlichkeit")
        application = _application(session)
        path = f"/applications/{application.id}/accept"
        values = {
            "start_date": "2025-12-01",
            "duration_months": "6",
            "lead": str(pia.id),
        }
        missing = client.post(
            path, data=_accept_form(client, application, organisation="andere", **values)
        )
        assert missing.status_code == 422
        assert "Bitte wählen Sie die bestehende Organisation aus." in page_text(missing)
        response = client.post(
            path,
            data=_accept_form(
                client,
                application,
                organisation="andere",
                other_organisation=str(existing.id),
                **values,
            ),
        )
        assert response.status_code == 302
        session.expire_all()
        application = session.get(Application, application.id)
        assert application.organisation_id == existing.id
        assert application.engagement.organisation_id == existing.id
        assert _count(session, Organisation) == 2
        assert [c.email for c in session.get(Organisation, existing.id).contacts] == [
            "dilek.yilmaz@ba-nk.example.org"
        ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"organisation": ""}, "Bitte wählen Sie, zu welcher Organisation es gehört."),
        ({"organisation": "999999"}, "Bitte wählen Sie eine der angebotenen Möglichkeiten."),
        ({"start_date": "2025-02-30"}, "Kein gültiges Datum."),
        ({"start_date": ""}, "Bitte geben Sie den Beginn an."),
        ({"duration_months": "abc"}, "Bitte wählen Sie eine Dauer von 6 bis 18 Monaten."),
        ({"duration_months": "19"}, "Bitte wählen Sie eine Dauer von 6 bis 18 Monaten."),
        ({"lead": ""}, "Bitte wählen Sie, wer die Prozessbegleitung leitet."),
        ({"lead": "LEAD_INACTIVE"}, "Bitte wählen Sie eine aktive Person aus Maßnahme 3"),
        ({"note": "x" * 2001}, "Bitte kürzen Sie den Text auf höchstens 2.000 Zeichen."),
    ],
)
def test_bad_accept_input_gets_messages_and_creates_nothing(
    client, session, logged_in, values, message
):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        pia = factories.make_measure3_consultant(session)
        inactive = factories.make_measure3_consultant(session, is_active=False)
        application = _application(session)
        form = {
            "organisation": "neu",
            "start_date": "2025-12-01",
            "duration_months": "6",
            "lead": str(pia.id),
            **values,
        }
        if form["lead"] == "LEAD_INACTIVE":
            form["lead"] = str(inactive.id)
        response = client.post(
            f"/applications/{application.id}/accept",
            data=_accept_form(client, application, **form),
        )
        assert response.status_code == 422
        assert message in page_text(response)
        assert 'class="error-summary"' in response.get_data(as_text=True)
        assert _count(session, Organisation) == 0
        assert _count(session, Engagement) == 0
        session.refresh(application)
        assert application.status is S.VORGESPRAECH


def test_a_failure_during_acceptance_leaves_nothing(client, session, logged_in, monkeypatch):
    """The organisation and contact are flushed before the engagement is planned; when the
    planning fails, the view rolls everything back."""
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        pia = factories.make_measure3_consultant(session)
        application = _application(session)

        def failing_plan(session_, **kwargs):
            assert session_.scalar(select(func.count(Organisation.id))) == 1  # already added
            raise EngagementError("Die Planung ist fehlgeschlagen.")

        monkeypatch.setattr(acceptance, "plan_engagement", failing_plan)
        response = client.post(
            f"/applications/{application.id}/accept",
            data=_accept_form(
                client,
                application,
                organisation="neu",
                start_date="2025-12-01",
                duration_months="6",
                lead=str(pia.id),
            ),
        )
        assert response.status_code == 422
        assert "Die Planung ist fehlgeschlagen." in page_text(response)
        session.expire_all()
        assert _count(session, Organisation) == 0
        assert _count(session, ContactPerson) == 0
        assert _count(session, Engagement) == 0
        application = session.get(Application, application.id)
        assert (application.status, application.decided_at, application.organisation_id) == (
            S.VORGESPRAECH,
            None,
            None,
        )
        assert _count(session, AuditEvent) == _count_login_events(session)


def _count_login_events(session) -> int:
    return session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "staff.login")
    )


def test_two_leads_accepting_at_once_one_wins(client, session, logged_in, monkeypatch):
    """Another lead's decision commits while ours is being planned: our flush fails on the
    application's version, we are told, and our organisation and engagement are gone."""
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        pia = factories.make_measure3_consultant(session)
        application = _application(session)
        original = acceptance.plan_engagement

        def plan_while_someone_else_decides(session_, **kwargs):
            session_.connection().execute(
                text("UPDATE application SET version = version + 1 WHERE id = :id"),
                {"id": application.id},
            )
            return original(session_, **kwargs)

        monkeypatch.setattr(acceptance, "plan_engagement", plan_while_someone_else_decides)
        response = client.post(
            f"/applications/{application.id}/accept",
            data=_accept_form(
                client,
                application,
                organisation="neu",
                start_date="2025-12-01",
                duration_months="6",
                lead=str(pia.id),
            ),
        )
        assert response.status_code == 302
        assert "Jemand anderes hat diese Bewerbung gerade geändert." in page_text(
            client.get(response.location)
        )
        session.expire_all()
        assert _count(session, Organisation) == 0
        assert _count(session, Engagement) == 0
        assert session.get(Application, application.id).status is S.VORGESPRAECH


def test_accept_page_is_for_leads_and_accepting_statuses_only(client, session, logged_in):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        in_review = _application(session, status=S.IN_PRUEFUNG)
        page = client.get(f"/applications/{in_review.id}/accept")
        assert page.status_code == 200
        assert "kann nicht auf „angenommen“ gesetzt werden" in page_text(page)
        assert 'name="start_date"' not in page.get_data(as_text=True)
        response = client.post(
            f"/applications/{in_review.id}/accept",
            data=_accept_form(client, _application(session), organisation="neu"),
        )
        assert response.status_code == 302
        assert "kann nicht auf „angenommen“ gesetzt werden" in page_text(
            client.get(response.location)
        )
        session.refresh(in_review)
        assert in_review.status is S.IN_PRUEFUNG


# -- a real race on a database of its own (SQLite file or a fresh PostgreSQL database) -------


def test_two_leads_accepting_at_the_same_moment_leave_one_engagement(
    database_url: str, tmp_path
) -> None:
    """Two leads accept the same application in two transactions at once. On PostgreSQL both
    read it before either writes; the later UPDATE finds the version changed
    (``StaleDataError``). On SQLite the writers queue (BEGIN IMMEDIATE) and the second one
    finds the application already accepted (``TransitionError``). Either way exactly one
    organisation and one engagement exist afterwards."""
    with fresh_database(database_url, tmp_path) as url:
        race_app = create_app(config_for_tests(url, tmp_path / "instance"))
        try:
            with race_app.app_context():
                flask_migrate.upgrade()
                session = db.session
                leads = [
                    factories.make_staff_member(session, name=f"Leitung {n}", role=Role.LEAD)
                    for n in (1, 2)
                ]
                pia = factories.make_measure3_consultant(session, name="Pia Prozess")
                application = factories.make_application(session, status=S.VORGESPRAECH)
                default_template(session, now=NOW)
                session.commit()
                ids = (application.id, pia.id, [lead.id for lead in leads])
            is_postgres = make_url(url).get_backend_name() == "postgresql"
            barrier = threading.Barrier(2)
            outcomes: list[str] = []

            def accept_as(lead_id: int) -> None:
                application_id, pia_id, _leads = ids
                with race_app.app_context():
                    session = db.session
                    try:
                        application = session.get(Application, application_id)
                        if is_postgres:
                            barrier.wait(timeout=10)  # both have read version 1
                        accept_application(
                            session,
                            application,
                            actor=session.get(StaffMember, lead_id),
                            now=datetime(2025, 2, 1, 9, 0, tzinfo=UTC),
                            window=WINDOW,
                            organisation=None,
                            start_date=date(2025, 3, 1),
                            duration_months=12,
                            lead=session.get(StaffMember, pia_id),
                        )
                        session.commit()
                        outcomes.append("accepted")
                    except (StaleDataError, TransitionError) as error:
                        session.rollback()
                        outcomes.append(type(error).__name__)

            threads = [threading.Thread(target=accept_as, args=(lead_id,)) for lead_id in ids[2]]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            loser = "StaleDataError" if is_postgres else "TransitionError"
            assert sorted(outcomes) == sorted(["accepted", loser])
            with race_app.app_context():
                assert _count(db.session, Organisation) == 1
                assert _count(db.session, Engagement) == 1
                assert _count(db.session, ContactPerson) == 1
                stored = db.session.get(Application, ids[0])
                assert stored.status is S.ANGENOMMEN
                assert stored.engagement_id is not None
                assert (
                    db.session.scalar(
                        select(func.count(AuditEvent.id)).where(
                            AuditEvent.action == "application.accepted"
                        )
                    )
                    == 1
                )
        finally:
            dispose_engines(race_app)


def test_an_acceptance_from_a_page_loaded_before_another_change_is_refused(
    client, session, logged_in, smtp_server
):
    """Lead A opens the accept page; meanwhile the talk gets a new date (version + 1). A's
    acceptance is refused: nothing created, no mail; reloaded, the page works again."""
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        pia = factories.make_measure3_consultant(session)
        colleague = factories.make_staff_member(session, name="Cem Berater")
        application = _application(session)
        values = {
            "organisation": "neu",
            "start_date": "2025-12-01",
            "duration_months": "6",
            "lead": str(pia.id),
        }
        stale = _accept_form(client, application, **values)
        assert stale["version"] == str(application.version)
        decisions.move_application(
            session,
            application,
            S.VORGESPRAECH,
            actor=colleague,
            now=NOW,
            window=WINDOW,
            talk_on=date(2025, 10, 20),
        )
        session.flush()

        response = client.post(f"/applications/{application.id}/accept", data=stale)
        assert response.status_code == 302
        assert "Jemand anderes hat diese Bewerbung gerade geändert." in page_text(
            client.get(response.location)
        )
        session.expire_all()
        assert _count(session, Organisation) == 0
        assert _count(session, Engagement) == 0
        assert session.get(Application, application.id).status is S.VORGESPRAECH
        assert smtp_server.messages == []

        response = client.post(
            f"/applications/{application.id}/accept",
            data=_accept_form(client, application, **values),
        )
        assert response.status_code == 302
        session.expire_all()
        assert session.get(Application, application.id).status is S.ANGENOMMEN


@pytest.mark.parametrize("version", [None, "", "zwei"])
def test_an_acceptance_without_a_valid_version_is_a_form_error(client, session, logged_in, version):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        pia = factories.make_measure3_consultant(session)
        application = _application(session)
        data = _accept_form(
            client,
            application,
            organisation="neu",
            start_date="2025-12-01",
            duration_months="6",
            lead=str(pia.id),
        )
        del data["version"]
        if version is not None:
            data["version"] = version
        response = client.post(f"/applications/{application.id}/accept", data=data)
        assert response.status_code == 422
        assert "Dieses Formular ist veraltet oder unvollständig." in page_text(response)
        session.expire_all()
        assert _count(session, Engagement) == 0
        assert session.get(Application, application.id).status is S.VORGESPRAECH


def test_accepting_from_the_waitlist_keeps_the_waitlist_note_unless_a_new_one_is_given(
    session, lead, consultant3
):
    kept = _application(session, status=S.VORGESPRAECH)
    replaced = _application(session, status=S.VORGESPRAECH, organisation_name="Jugendamt Mitte")
    for application in (kept, replaced):
        decisions.waitlist_application(session, application, actor=lead, now=NOW, note="Platz 1")
    for application, note in ((kept, "  "), (replaced, "Platz frei geworden")):
        accept_application(
            session,
            application,
            actor=lead,
            now=NOW,
            window=WINDOW,
            organisation=None,
            start_date=date(2025, 12, 1),
            duration_months=6,
            lead=consultant3,
            note=note,
        )
    assert (kept.decision_note, kept.decision_reason) == ("Platz 1", None)
    assert (replaced.decision_note, replaced.decision_reason) == ("Platz frei geworden", None)
    accepted = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "application.accepted")
        .order_by(AuditEvent.object_id == replaced.id)
    ).all()
    assert "decision_note" not in accepted[0].changes
    assert accepted[1].changes["decision_note"] == ["[Freitext]", "[Freitext]"]
