"""Mails to the applicant against a real SMTP server (aiosmtpd): the confirmation after the
form, the decision and withdrawal mails, failures, and the status link in each."""

from __future__ import annotations

import re
from datetime import date
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.services.mailing import send_applicant_mail
from caseflow.intake.tokens import current_token, issue_token
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text

TODAY = date(2025, 1, 15)
LINK = re.compile(r"http://caseflow\.test/apply/status/[A-Za-z0-9_-]{43}")
HOSTILE = "<script>alert('x')</script> & Co"


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def open_round(session):
    return factories.make_round(session, opens_on=date(2024, 12, 1), closes_on=date(2025, 3, 31))


@pytest.fixture
def other_application(session, open_round):
    """Someone else's application: none of its data may show up in anyone else's mail."""
    return factories.make_application(
        session,
        round=open_round,
        organisation_name="Gesundheitsamt Pankow",
        contact_name="Mara Andere",
        contact_email="mara.andere@pankow.example.org",
        motivation="Geheime Motivation der anderen",
    )


def _submit(client, **overrides):
    data = factories.application_form(**overrides)
    data["csrf_token"] = csrf_token(client, "/apply")
    return client.post("/apply", data=data)


def _plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


def _actions(session, application_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "application", AuditEvent.object_id == application_id)
            .order_by(AuditEvent.id)
        )
    )


# --- the confirmation ------------------------------------------------------------------------


def test_confirmation_mail_after_the_form(client, session, smtp_server, other_application):
    assert _submit(client).status_code == 302
    [message] = smtp_server.wait_for(1)
    application = session.scalar(select(Application).where(Application.id != other_application.id))

    assert message["To"] == "dilek.yilmaz@ba-fk.example.org"
    assert message.envelope_rcpt == ["dilek.yilmaz@ba-fk.example.org"]
    assert message["Subject"] == f"DiFair – Ihre Bewerbung {application.reference} ist eingegangen"
    # The other application holds the year's highest number so far.
    assert application.reference == f"DF-2025-{other_application.reference_number + 1:04d}"

    text = _plain(message)
    assert text.startswith("Guten Tag Dilek Yılmaz,")
    assert "vielen Dank für Ihre Bewerbung" in text
    assert f"Bewerbungsnummer: {application.reference}" in text
    assert "Jugendamt Friedrichshain-Kreuzberg" in text
    assert "Eingegangen am:   15.01.2025" in text
    assert "Wie es weitergeht" in text
    assert "Mit freundlichen Grüßen" in text
    [link] = LINK.findall(text)
    assert link in _html(message)

    # The link opens this application's status page.
    status = client.get(link.removeprefix("http://caseflow.test"))
    assert status.status_code == 200
    assert application.reference in page_text(status)

    # No one else's data: not the other application's, not a staff member's.
    whole = message.as_string()
    for foreign in (
        other_application.reference,
        "Gesundheitsamt Pankow",
        "Mara Andere",
        "mara.andere@pankow.example.org",
        "Geheime Motivation",
    ):
        assert foreign not in whole, foreign

    [sent] = [e for e in _actions(session, application.id) if e.action == "application.mail_sent"]
    assert sent.changes == {"kind": "eingang"}  # no address: the audit trail outlives it
    assert sent.actor_id is None
    done = client.get("/apply/done")
    assert "Wir haben eine Eingangsbestätigung an dilek.yilmaz@ba-fk.example.org geschickt" in (
        page_text(done)
    )


def test_hostile_text_is_escaped_in_the_html_part_and_kept_out_of_the_subject(
    client, session, smtp_server, open_round
):
    assert _submit(client, organisation_name=HOSTILE, contact_name="<b>Ich</b>").status_code == 302
    [message] = smtp_server.wait_for(1)
    html = _html(message)
    assert "<script>" not in html and "<b>Ich</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    assert "Guten Tag &lt;b&gt;Ich&lt;/b&gt;," in html
    # The plain-text part is not HTML: the text stands there as typed.
    assert HOSTILE in _plain(message)
    assert "script" not in message["Subject"] and "Ich" not in message["Subject"]


def test_failed_confirmation_mail_keeps_the_application_and_says_so(
    client, session, smtp_server, open_round
):
    smtp_server.reject_recipients.add("dilek.yilmaz@ba-fk.example.org")
    assert _submit(client).status_code == 302
    application = session.scalar(select(Application))
    assert application.reference == "DF-2025-0001"
    actions = [event.action for event in _actions(session, application.id)]
    assert actions == ["application.submitted", "application.mail_failed"]

    done = client.get("/apply/done")
    text = page_text(done)
    assert "Die Bestätigung per E-Mail hat nicht geklappt" in text
    assert "Bitte notieren oder speichern Sie den Status-Link" in text
    assert LINK.search(done.get_data(as_text=True))


def test_unreachable_mail_server_does_not_break_the_form(
    app: Flask, client, session, open_round, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_URL", "smtp://127.0.0.1:9")  # nobody listens
    assert _submit(client).status_code == 302
    assert "hat nicht geklappt" in page_text(client.get("/apply/done"))


def test_a_database_gone_after_the_commit_still_confirms_the_stored_application(
    client, session, smtp_server, open_round, monkeypatch
):
    """An outage between storing the application and recording its confirmation mail (seen
    under load with PostgreSQL stopped, tests/load): the applicant gets the confirmation page
    with reference and status link, not the 503 page that would make them send it again."""

    def database_gone(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr("caseflow.intake.views.public.send_applicant_mail", database_gone)
    response = _submit(client)
    assert response.status_code == 302
    assert response.location.endswith("/apply/done")
    application = session.scalar(select(Application))
    assert application.reference == "DF-2025-0001"
    done = client.get("/apply/done")
    text = page_text(done)
    assert "DF-2025-0001" in text
    assert "Die Bestätigung per E-Mail hat nicht geklappt" in text
    assert LINK.search(done.get_data(as_text=True))
    assert smtp_server.messages == []


def test_the_confirmation_in_the_outbox(
    app: Flask, client, session, open_round, monkeypatch, tmp_path
):
    """Without a mail server the confirmation is a file in the outbox folder, with the same
    fields and texts as the mail sent (mail programs and the email package read it)."""
    monkeypatch.setitem(app.config, "MAIL_URL", f"outbox://{tmp_path}/outbox")
    assert _submit(client).status_code == 302
    application = session.scalar(select(Application))
    [path] = (tmp_path / "outbox").glob("*.eml")
    message = BytesParser(policy=default_policy).parsebytes(path.read_bytes())

    assert message["From"] == "DiFair – BQN Berlin <difair@bqn-berlin.de>"
    assert message["To"] == "dilek.yilmaz@ba-fk.example.org"
    assert message["Subject"] == f"DiFair – Ihre Bewerbung {application.reference} ist eingegangen"
    assert re.fullmatch(r"<[^<>@\s]+@bqn-berlin\.de>", message["Message-ID"])
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message.defects == []
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    text = _plain(message)
    assert text.startswith("Guten Tag Dilek Yılmaz,")
    assert f"Bewerbungsnummer: {application.reference}" in text
    assert "Eingegangen am:   15.01.2025" in text
    [link] = LINK.findall(text)
    assert link in _html(message)
    assert client.get(link.removeprefix("http://caseflow.test")).status_code == 200


def test_the_confirmation_does_not_read_the_stored_application_back(
    client, session, smtp_server, open_round, count_queries
):
    """The mail is written from the application the request has just stored and committed:
    no query loads it again (every value the mail needs was set by the request)."""
    data = factories.application_form()
    data["csrf_token"] = csrf_token(client, "/apply")
    with count_queries() as counter:
        assert client.post("/apply", data=data).status_code == 302
    assert [
        statement
        for statement in counter.statements
        if statement.lstrip().upper().startswith("SELECT")
        and re.search(r"\bFROM application\b(?!_)", statement)
    ] == []
    [message] = smtp_server.wait_for(1)
    application = session.scalar(select(Application))
    assert message["Subject"] == f"DiFair – Ihre Bewerbung {application.reference} ist eingegangen"
    assert "Eingegangen am:   15.01.2025" in _plain(message)


# --- decisions and withdrawal ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "subject", "says"),
    [
        (
            ApplicationStatus.ANGENOMMEN,
            "angenommen",
            "Zusage zu Ihrer Bewerbung",
            "Ihre Bewerbung um eine diskriminierungskritische\nProzessbegleitung ist angenommen",
        ),
        (
            ApplicationStatus.ABGELEHNT,
            "abgelehnt",
            "Entscheidung zu Ihrer Bewerbung",
            "Leider können wir Ihre Bewerbung in\ndieser Runde nicht berücksichtigen.",
        ),
        (
            ApplicationStatus.WARTELISTE,
            "warteliste",
            "Warteliste",
            "Ihre Bewerbung steht deshalb auf unserer Warteliste.",
        ),
        (
            ApplicationStatus.ZURUECKGEZOGEN,
            "zurueckgezogen",
            "ist zurückgezogen",
            "zurückgezogen.\nWir bestätigen Ihnen das hiermit.",
        ),
    ],
)
def test_decision_mails(
    app: Flask, session, smtp_server, make_staff, status, kind, subject, says
) -> None:
    lead = make_staff(Role.LEAD, name="Lea Leitung", email="lea.leitung@bqn.example.org")
    application = factories.make_application(
        session,
        status=status,
        decided_by=lead,
        contact_name="Sam Kontakt",
        contact_email="sam@amt.example.org",
        decision_reason="Ihr Vorhaben passt besser in die nächste Runde."
        if status is ApplicationStatus.ABGELEHNT
        else None,
    )
    token = issue_token(application, app.config["SECRET_KEY"])
    session.flush()

    assert send_applicant_mail(
        session, application, kind, secret=app.config["SECRET_KEY"], actor=lead
    )
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "sam@amt.example.org"
    assert message["Subject"].startswith("DiFair – ")
    assert subject in message["Subject"]
    assert application.reference in message["Subject"]
    text = _plain(message)
    assert text.startswith("Guten Tag Sam Kontakt,")
    assert says in text
    assert f"http://caseflow.test/apply/status/{token}" in text
    assert f"http://caseflow.test/apply/status/{token}" in _html(message)
    if status is ApplicationStatus.ABGELEHNT:
        assert "Begründung:\nIhr Vorhaben passt besser in die nächste Runde." in text
    if status is ApplicationStatus.ANGENOMMEN:
        assert "Geplanter Beginn: 01.01.2025" in text
    # The team signs; no staff member's name or address appears.
    assert "Lea Leitung" not in message.as_string()
    assert "lea.leitung@bqn.example.org" not in message.as_string()
    [event] = [e for e in _actions(session, application.id) if e.action == "application.mail_sent"]
    assert event.actor_id == lead.id
    assert event.changes == {"kind": kind}


def test_a_link_that_cannot_be_derived_is_renewed(app: Flask, client, session, smtp_server):
    # The factory stores only a hash (no salt): the link cannot be put into a mail as it is.
    application = factories.make_application(session, status=ApplicationStatus.WARTELISTE)
    old_hash = application.status_token_hash
    secret = app.config["SECRET_KEY"]
    assert current_token(application, secret) is None

    assert send_applicant_mail(session, application, "warteliste", secret=secret, actor=None)
    [message] = smtp_server.wait_for(1)
    [link] = LINK.findall(_plain(message))
    assert application.status_token_hash != old_hash
    assert link.endswith(current_token(application, secret))
    actions = [event.action for event in _actions(session, application.id)]
    assert actions == ["application.status_link_renewed", "application.mail_sent"]
    assert client.get(link.removeprefix("http://caseflow.test")).status_code == 200


def test_a_link_issued_under_an_old_secret_is_renewed(app: Flask, session, smtp_server) -> None:
    application = factories.make_application(session)
    old_token = issue_token(application, "der-alte-schluessel")
    session.flush()
    secret = app.config["SECRET_KEY"]
    assert send_applicant_mail(session, application, "eingang", secret=secret, actor=None)
    [message] = smtp_server.wait_for(1)
    assert old_token not in _plain(message)
    assert current_token(application, secret) in _plain(message)


def test_failed_decision_mail_is_recorded(
    app: Flask, session, smtp_server, make_staff, caplog: pytest.LogCaptureFixture
) -> None:
    lead = make_staff(Role.LEAD)
    application = factories.make_application(
        session, status=ApplicationStatus.WARTELISTE, contact_email="weg@amt.example.org"
    )
    smtp_server.reject_recipients.add("weg@amt.example.org")
    assert not send_applicant_mail(
        session, application, "warteliste", secret=app.config["SECRET_KEY"], actor=lead
    )
    [event] = [
        e for e in _actions(session, application.id) if e.action.startswith("application.mail")
    ]
    assert event.action == "application.mail_failed"
    assert event.changes == {"kind": "warteliste"}
    assert event.actor_id == lead.id
    # The server's refusal quotes the address; the log does not.
    assert application.reference in caplog.text
    assert "weg@amt.example.org" not in caplog.text


def test_links_in_mails_come_from_base_url_not_from_the_host_header(
    app: Flask, session, smtp_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "BASE_URL", "https://caseflow.bqn-berlin.example")
    application = factories.make_application(session)
    with app.test_request_context("/apply", base_url="http://evil.example"):
        assert send_applicant_mail(
            session, application, "eingang", secret=app.config["SECRET_KEY"], actor=None
        )
    [message] = smtp_server.wait_for(1)
    token = current_token(application, app.config["SECRET_KEY"])
    assert f"https://caseflow.bqn-berlin.example/apply/status/{token}" in _plain(message)
    assert "evil.example" not in message.as_string()


def test_unknown_mail_kind_is_a_programming_error(app: Flask, session) -> None:
    application = factories.make_application(session)
    with pytest.raises(ValueError, match="unknown applicant mail kind"):
        send_applicant_mail(session, application, "vielleicht", secret="x", actor=None)
