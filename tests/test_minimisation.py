"""Minimisation (issue 7 item 7): no contact person's or applicant's name (or address) in
email subjects and headers, calendar feeds, logs or error pages.

A contact person and an applicant with distinctive names go through everything that sends
mail (the applicant mails, every sweep and the mail delivery), the calendar feeds of the
consultant who runs their engagement, the logs of submission, failed login, failed mail,
errors and sweeps, and the error pages 400 to 500 with the name in the request."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import select

from caseflow import clock, create_app
from caseflow.engagements.models import EngagementStatus, MilestoneStatus
from caseflow.followups.calendar import issue_token
from caseflow.followups.delivery import deliver_mail
from caseflow.followups.sweeps import SWEEPS
from caseflow.intake.models import Application
from caseflow.intake.services import mailing
from caseflow.intake.services.mailing import SUBJECTS, send_applicant_mail
from caseflow.mail import MailError
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import config_for_tests, csrf_token, dispose_engines, login

TODAY = date(2025, 1, 15)  # a Wednesday: the week's digest is due
NOW = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
CONTACT = "Zyxwvut Minimalname"
CONTACT_EMAIL = "zyxwvut.minimal@amt.example.org"
APPLICANT = "Qwertzu Bewerbename"
APPLICANT_EMAIL = "qwertzu.bewerbe@amt.example.org"
ORGANISATION = "Jugendamt Minimalhausen"
# Any of these in a subject, a feed, a log line or an error page is a leak.
PERSONAL = ("Zyxwvut", "Minimalname", "zyxwvut.minimal", "Qwertzu", "Bewerbename", "qwertzu.bewe")


def leaks(text: str) -> list[str]:
    folded = text.lower()
    return [word for word in PERSONAL if word.lower() in folded]


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def people(session, make_staff):
    """A lead (with a login: hears of applications), a consultant leading an active
    engagement of ``ORGANISATION`` whose contact person is ``CONTACT``; the contact's name
    also sits in the free texts staff write (follow-up note, milestone evidence and drop
    reason); an open round; an older undecided application of ``APPLICANT``."""
    lead = make_staff(Role.LEAD, name="Lea Leitung")
    consultant = make_staff(Role.CONSULTANT, name="Kim Beraterin")
    organisation = factories.make_organisation(session, name=ORGANISATION)
    factories.make_contact(
        session, organisation, name=CONTACT, email=CONTACT_EMAIL, notes=f"{CONTACT} mag Tee"
    )
    engagement = factories.make_engagement(
        session, lead=consultant, organisation=organisation, status=EngagementStatus.AKTIV
    )
    milestones = factories.milestones_of(engagement)
    milestones[0].evidence_note = f"Erstgespräch mit {CONTACT}"
    factories.complete_milestone(session, milestones[0], on=date(2025, 1, 10))
    milestones[1].due_date = date(2025, 1, 12)  # overdue: an alert
    milestones[2].due_date = date(2025, 1, 20)  # due in five days: a reminder
    milestones[3].status = MilestoneStatus.ENTFALLEN
    milestones[3].drop_reason = f"{CONTACT} hat abgesagt"
    milestones[3].due_date = date(2025, 1, 14)
    factories.make_follow_up(
        session,
        engagement,
        assignee=consultant,
        due_on=date(2025, 1, 14),
        note=f"{CONTACT} anrufen ({CONTACT_EMAIL})",
    )
    round_ = factories.make_round(session, opens_on=date(2024, 12, 1), closes_on=date(2025, 3, 31))
    factories.make_application(
        session,
        round=round_,
        submitted_at=datetime(2024, 12, 2, 9, 0, tzinfo=UTC),
        organisation_name=ORGANISATION,
        contact_name=APPLICANT,
        contact_email=APPLICANT_EMAIL,
        motivation=f"{CONTACT} und {APPLICANT} wollen Barrieren abbauen.",
    )
    session.commit()  # to the test's savepoint: the mail delivery commits itself
    return {"lead": lead, "consultant": consultant, "engagement": engagement}


def submit(client, **overrides):
    values = {
        "contact_name": APPLICANT,
        "contact_email": APPLICANT_EMAIL,
        "organisation_name": ORGANISATION,
        "motivation": f"Mit {CONTACT} besprochen.",
    }
    data = factories.application_form(**{**values, **overrides})
    data.setdefault("csrf_token", csrf_token(client, "/apply"))
    return client.post("/apply", data=data)


def headers_of(message: EmailMessage) -> str:
    return "\n".join(f"{name}: {value}" for name, value in message.items())


# -- mail ------------------------------------------------------------------------------------


def test_no_name_in_any_mail_subject_or_header(app: Flask, client, session, people, smtp_server):
    assert submit(client).status_code == 302
    application = session.scalars(
        select(Application).where(Application.contact_name == APPLICANT).order_by(Application.id)
    ).all()[-1]
    for kind in SUBJECTS:
        if kind != "eingang":
            assert send_applicant_mail(
                session, application, kind, secret=app.secret_key, actor=None
            )
    session.commit()
    created = {sweep.key: sweep.run(session, NOW) for sweep in SWEEPS}
    session.commit()
    assert created["milestones"] and created["follow_ups"] and created["digest"], created
    assert created["applications_new"] and created["applications_undecided"], created
    result = deliver_mail(session, NOW)
    assert result.failed == 0 and result.retrying == 0
    messages = smtp_server.wait_for(len(SUBJECTS) + result.sent)
    subjects = [str(message["Subject"]) for message in messages]
    # Every applicant mail and a notification of each kind went out.
    assert sum(application.reference in subject for subject in subjects) == len(SUBJECTS)
    assert result.sent >= 5
    for message in messages:
        assert not leaks(str(message["Subject"])), message["Subject"]
        # The applicant's address is the recipient of their mails, but no name sits in
        # any header (no display name in To, none in the subject).
        assert not leaks(headers_of(message).replace(f"To: {APPLICANT_EMAIL}", "To: …")), (
            headers_of(message)
        )


# -- calendar ----------------------------------------------------------------------------------


def test_no_name_in_the_calendar_feeds(client, session, people):
    consultant, engagement = people["consultant"], people["engagement"]
    feeds = [
        issue_token(session, consultant, now=NOW),
        issue_token(session, consultant, engagement=engagement, now=NOW),
    ]
    for token in feeds:
        response = client.get(f"/calendar/{token}.ics")
        assert response.status_code == 200
        raw = response.data.decode("utf-8")
        unfolded = raw.replace("\r\n ", "").replace("\r\n\t", "")
        assert ORGANISATION in unfolded  # the events are there, with their organisation
        assert "Wiedervorlage" in unfolded and "(erledigt)" in unfolded
        assert not leaks(unfolded), leaks(unfolded)


# -- logs --------------------------------------------------------------------------------------


@pytest.fixture
def caseflow_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="caseflow")
    return caplog


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record of caseflow's loggers, formatted with its traceback."""
    handler = caplog.handler
    return "\n".join(
        handler.format(record)
        for record in caplog.records
        if record.name == "caseflow" or record.name.startswith("caseflow.")
    )


def test_no_personal_data_in_the_logs(
    app: Flask, client, session, people, smtp_server, caseflow_logs, monkeypatch
):
    # Submission (with its mail), a failed login with a contact's address, a failing mail
    # whose server names the recipient, every sweep, the mail delivery.
    assert submit(client).status_code == 302
    assert login(client, CONTACT_EMAIL, "falsches-passwort").status_code in (200, 422)
    application = session.scalars(
        select(Application).where(Application.contact_name == APPLICANT).order_by(Application.id)
    ).all()[-1]

    def refused(message):
        raise MailError(f"SMTP refused: {{'{message.to}': (550, b'<{message.to}> unknown')}}")

    monkeypatch.setattr(mailing, "send_mail", refused)
    assert not send_applicant_mail(
        session, application, "angenommen", secret=app.secret_key, actor=None
    )
    monkeypatch.undo()
    session.commit()
    for sweep in SWEEPS:
        sweep.run(session, NOW)
    session.commit()
    deliver_mail(session, NOW)
    text = logged(caseflow_logs)
    assert "failed login attempt" in text  # the logs were captured
    assert f"mail angenommen for application {application.reference} failed" in text
    assert not leaks(text), text


def test_an_error_whose_message_quotes_a_name_logs_no_name(
    app: Flask, database_url: str, tmp_path, caseflow_logs
):
    failing = create_app(
        {**config_for_tests(database_url, tmp_path), "PROPAGATE_EXCEPTIONS": False}
    )

    @failing.get("/kaputt")
    def broken():
        try:
            int(f"{CONTACT} <{CONTACT_EMAIL}>")
        except ValueError as error:
            raise RuntimeError(f"Ansprechperson {CONTACT} nicht lesbar") from error

    broken.is_public = True
    try:
        response = failing.test_client().get("/kaputt", query_string={"name": CONTACT})
    finally:
        dispose_engines(failing)
    assert response.status_code == 500
    text = logged(caseflow_logs)
    assert "unhandled error on GET /kaputt: RuntimeError <- ValueError" in text
    assert "test_minimisation.py" in text  # the traceback locates the fault
    assert not leaks(text), text
    assert not leaks(response.get_data(as_text=True))


def test_a_breached_login_limit_logs_no_address(app: Flask, client, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="flask-limiter")
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_ACCOUNT", "1 per hour")
    login(client, CONTACT_EMAIL, "falsch")
    assert login(client, CONTACT_EMAIL, "falsch").status_code == 429
    # Flask-Limiter logs the key of a breached limit: the per-account key is a hash.
    assert "exceeded at endpoint" in caplog.text
    assert not leaks(caplog.text), caplog.text


# -- error pages -------------------------------------------------------------------------------


def assert_not_echoed(response, code: int) -> None:
    assert response.status_code == code, response.status_code
    page = response.get_data(as_text=True)
    assert not leaks(page), (code, leaks(page))
    assert f"Fehlercode: {code}" in page or code == 422


def test_error_pages_echo_nothing_of_the_request(app: Flask, client, session, logged_in):
    query = {"name": CONTACT, "email": CONTACT_EMAIL}
    # 400: a form without its CSRF token
    assert_not_echoed(client.post("/logout", data=query, query_string=query), 400)
    # 404: a name in the path, an unknown status link, an unknown page with a query
    assert_not_echoed(client.get(f"/{CONTACT}", query_string=query), 404)
    assert_not_echoed(client.get(f"/apply/status/{CONTACT}"), 404)
    # 405: a method the route does not take
    assert_not_echoed(client.delete("/apply", query_string=query), 405)
    # 403: a page above the role, with the name in the query
    logged_in(Role.CONSULTANT)
    assert_not_echoed(client.get("/admin/retention", query_string=query), 403)
    assert_not_echoed(client.get("/organisations/999999", query_string=query), 404)


def test_the_public_form_errors_do_not_quote_the_values(client, session):
    factories.make_round(session, opens_on=date(2024, 12, 1), closes_on=date(2025, 3, 31))
    # 422: the form comes back with its messages; the values stay in their fields (so
    # nothing typed is lost) but no message quotes them.
    response = submit(client, contact_email=f"{CONTACT}@", desired_start=CONTACT)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    without_fields = re.sub(r'value="[^"]*"', 'value=""', page)
    without_fields = re.sub(
        r"<textarea([^>]*)>[^<]*</textarea>", r"<textarea\1></textarea>", without_fields
    )
    assert "Bitte" in page  # the messages are there
    assert not leaks(without_fields), leaks(without_fields)


def test_413_and_429_pages_echo_nothing(app: Flask, client, session, monkeypatch):
    factories.make_round(session, opens_on=date(2024, 12, 1), closes_on=date(2025, 3, 31))
    big = submit(client, motivation=f"{CONTACT} " + "x" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    assert_not_echoed(big, 413)
    monkeypatch.setitem(app.config, "APPLY_RATE_LIMIT", "1 per hour")
    assert submit(client).status_code == 302
    assert_not_echoed(submit(client, organisation_name=CONTACT), 429)
