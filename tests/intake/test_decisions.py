"""Status moves and decisions (decline, waitlist): the services and the application page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.services import decisions
from caseflow.intake.services.decisions import (
    DecisionError,
    decline_application,
    move_application,
    waitlist_application,
)
from caseflow.intake.transitions import MoveNotPermitted, TalkDateError, TransitionError
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text

S = ApplicationStatus
NOW = datetime(2025, 2, 10, 9, 0, tzinfo=UTC)
TODAY = date(2025, 2, 10)
WINDOW = factories.WINDOW


def _events(session, application: Application, action: str | None = None) -> list[AuditEvent]:
    statement = select(AuditEvent).where(
        AuditEvent.object_type == "application", AuditEvent.object_id == application.id
    )
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    return list(session.scalars(statement.order_by(AuditEvent.id)))


def _bump_version(session, application: Application) -> None:
    """What another request committing a change to the application looks like to us."""
    session.connection().execute(
        text("UPDATE application SET version = version + 1 WHERE id = :id"),
        {"id": application.id},
    )


@pytest.fixture
def consultant(session):
    return factories.make_staff_member(session, name="Cem Berater", role=Role.CONSULTANT)


@pytest.fixture
def lead(session):
    return factories.make_staff_member(session, name="Lea Leitung", role=Role.LEAD)


# -- services: moves -------------------------------------------------------------------------


def test_consultant_moves_along_the_review_steps(session, consultant):
    application = factories.make_application(session)
    move_application(session, application, S.IN_PRUEFUNG, actor=consultant, now=NOW, window=WINDOW)
    assert application.status is S.IN_PRUEFUNG
    move_application(
        session,
        application,
        S.VORGESPRAECH,
        actor=consultant,
        now=NOW,
        window=WINDOW,
        talk_on=date(2025, 2, 20),
    )
    assert (application.status, application.preliminary_talk_on) == (
        S.VORGESPRAECH,
        date(2025, 2, 20),
    )
    assert application.decided_at is None
    first, second = _events(session, application, "application.status_changed")
    assert first.changes == {"status": ["eingegangen", "in_pruefung"]}
    assert first.actor_label == "Cem Berater"
    assert second.changes == {
        "status": ["in_pruefung", "vorgespraech"],
        "preliminary_talk_on": [None, "2025-02-20"],
    }


def test_the_talk_can_be_rescheduled_while_in_vorgespraech(session, consultant):
    application = factories.make_application(
        session, status=S.VORGESPRAECH, preliminary_talk_on=date(2025, 2, 20)
    )
    move_application(
        session,
        application,
        S.VORGESPRAECH,
        actor=consultant,
        now=NOW,
        window=WINDOW,
        talk_on=date(2025, 3, 3),
    )
    assert application.preliminary_talk_on == date(2025, 3, 3)
    [event] = _events(session, application, "application.talk_rescheduled")
    assert event.changes == {"preliminary_talk_on": ["2025-02-20", "2025-03-03"]}
    with pytest.raises(TalkDateError, match="bereits für den 03.03.2025 eingetragen"):
        move_application(
            session,
            application,
            S.VORGESPRAECH,
            actor=consultant,
            now=NOW,
            window=WINDOW,
            talk_on=date(2025, 3, 3),
        )


@pytest.mark.parametrize(
    ("talk_on", "message"),
    [
        (None, "Bitte geben Sie das Datum des Vorgesprächs an."),
        (date(2025, 1, 14), r"nicht vor dem Eingang der Bewerbung \(15\.01\.2025\)"),
        (date(2026, 8, 1), r"nicht nach dem Ende des Förderzeitraums \(31\.07\.2026\)"),
    ],
)
def test_talk_date_rule(session, consultant, talk_on, message):
    application = factories.make_application(session, status=S.IN_PRUEFUNG)
    with pytest.raises(TalkDateError, match=message):
        move_application(
            session,
            application,
            S.VORGESPRAECH,
            actor=consultant,
            now=NOW,
            window=WINDOW,
            talk_on=talk_on,
        )
    assert (application.status, application.preliminary_talk_on) == (S.IN_PRUEFUNG, None)
    assert _events(session, application) == []


def test_moves_cannot_skip_steps_or_make_decisions(session, lead):
    application = factories.make_application(session)
    with pytest.raises(TransitionError):
        move_application(
            session,
            application,
            S.VORGESPRAECH,
            actor=lead,
            now=NOW,
            window=WINDOW,
            talk_on=date(2025, 2, 20),
        )
    with pytest.raises(DecisionError):
        move_application(session, application, S.ANGENOMMEN, actor=lead, now=NOW, window=WINDOW)
    assert application.status is S.EINGEGANGEN


# -- services: decisions ---------------------------------------------------------------------


def test_consultant_cannot_decide(session, consultant):
    application = factories.make_application(session, status=S.VORGESPRAECH)
    with pytest.raises(MoveNotPermitted):
        decline_application(session, application, actor=consultant, now=NOW, reason="Nein")
    with pytest.raises(MoveNotPermitted):
        waitlist_application(session, application, actor=consultant, now=NOW)
    assert (application.status, application.decided_at) == (S.VORGESPRAECH, None)


def test_lead_declines_with_a_reason(session, lead):
    application = factories.make_application(session, status=S.IN_PRUEFUNG)
    decline_application(
        session, application, actor=lead, now=NOW, reason="  Nicht im Programmgebiet.  "
    )
    assert application.status is S.ABGELEHNT
    assert application.decided_at == NOW
    assert application.decided_by is lead
    assert application.decision_reason == "Nicht im Programmgebiet."
    [event] = _events(session, application, "application.declined")
    assert event.changes == {
        "status": ["in_pruefung", "abgelehnt"],
        "decision_reason": [None, "[Freitext]"],  # the text itself stays out of the audit trail
    }


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Bitte begründen Sie die Absage."),
        ("   \n ", "Bitte begründen Sie die Absage."),
        ("x" * 2001, r"höchstens 2\.000 Zeichen lang sein \(jetzt: 2\.001\)"),
    ],
)
def test_decline_needs_a_reason(session, lead, reason, message):
    application = factories.make_application(session, status=S.IN_PRUEFUNG)
    with pytest.raises(DecisionError, match=message) as raised:
        decline_application(session, application, actor=lead, now=NOW, reason=reason)
    assert raised.value.field == "reason"
    assert (application.status, application.decided_at) == (S.IN_PRUEFUNG, None)
    assert _events(session, application) == []


def test_waitlist_then_decline(session, lead):
    """The waitlist note is internal and stays when the application is later declined; the
    decline reason (which the applicant reads) has a column of its own."""
    application = factories.make_application(session, status=S.VORGESPRAECH)
    waitlist_application(session, application, actor=lead, now=NOW, note="Kapazität voll")
    assert (application.status, application.decision_note, application.decision_reason) == (
        S.WARTELISTE,
        "Kapazität voll",
        None,
    )
    assert application.decided_at == NOW
    later = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
    decline_application(session, application, actor=lead, now=later, reason="Kein Platz frei")
    assert (application.status, application.decided_at) == (S.ABGELEHNT, later)
    assert (application.decision_reason, application.decision_note) == (
        "Kein Platz frei",
        "Kapazität voll",
    )
    waitlisted, declined = _events(session, application)
    assert (waitlisted.action, declined.action) == (
        "application.waitlisted",
        "application.declined",
    )
    assert waitlisted.changes == {
        "status": ["vorgespraech", "warteliste"],
        "decision_note": [None, "[Freitext]"],
    }
    assert declined.changes == {
        "status": ["warteliste", "abgelehnt"],
        "decision_reason": [None, "[Freitext]"],
    }


def test_waitlist_without_a_note_stores_none(session, lead):
    application = factories.make_application(session, status=S.IN_PRUEFUNG)
    waitlist_application(session, application, actor=lead, now=NOW, note="   ")
    assert (application.decision_note, application.decision_reason) == (None, None)
    [event] = _events(session, application)
    assert event.changes == {"status": ["in_pruefung", "warteliste"]}


def test_waitlist_needs_a_look_first(session, lead):
    application = factories.make_application(session)
    with pytest.raises(TransitionError, match="„eingegangen“ kann nicht auf „Warteliste“"):
        waitlist_application(session, application, actor=lead, now=NOW)


@pytest.mark.parametrize("final", [S.ANGENOMMEN, S.ABGELEHNT, S.ZURUECKGEZOGEN])
def test_nothing_leaves_a_final_status(session, lead, final):
    application = factories.make_application(session, status=final, decided_by=lead)
    with pytest.raises(TransitionError, match="kann nicht mehr geändert werden"):
        decline_application(session, application, actor=lead, now=NOW, reason="x")
    with pytest.raises(TransitionError):
        waitlist_application(session, application, actor=lead, now=NOW)
    assert application.status is final


def test_a_concurrent_change_makes_the_later_flush_fail(session, lead):
    application = factories.make_application(session, status=S.IN_PRUEFUNG)
    _bump_version(session, application)
    with pytest.raises(StaleDataError):
        decline_application(session, application, actor=lead, now=NOW, reason="Zu spät")


# -- pages -----------------------------------------------------------------------------------


def _shown_version(client, page_path: str, prefix: str) -> str | None:
    """The application's version in the ``prefix`` form on the page, as a browser sends it."""
    page = client.get(page_path).get_data(as_text=True)
    match = re.search(rf'name="{prefix}-version" type="hidden" value="(\d*)"', page)
    return match.group(1) if match else None


def _post(client, path: str, prefix: str, **values: str):
    """Post the ``prefix`` form of the application page, with the version the page shows now
    unless ``version`` is given."""
    token = csrf_token(client, "/applications")
    data = {f"{prefix}-csrf_token": token}
    if "version" not in values:
        shown = _shown_version(client, path.rsplit("/", 1)[0], prefix)
        if shown is not None:
            data[f"{prefix}-version"] = shown
    data.update({f"{prefix}-{key}": value for key, value in values.items()})
    return client.post(path, data=data)


def test_consultant_sees_steps_but_no_decisions_and_gets_403_on_decision_posts(
    client, session, logged_in
):
    logged_in(Role.CONSULTANT)
    application = factories.make_application(session, status=S.VORGESPRAECH)
    page = client.get(f"/applications/{application.id}")
    text = page_text(page)
    assert "Termin des Vorgesprächs ändern" in text
    for decision in ("Bewerbung ablehnen", "Auf die Warteliste setzen", "Bewerbung annehmen"):
        assert decision not in text
    html = page.get_data(as_text=True)
    assert "/decline" not in html and "/waitlist" not in html and "/accept" not in html

    base = f"/applications/{application.id}"
    assert _post(client, f"{base}/decline", "decline", reason="Nein").status_code == 403
    assert _post(client, f"{base}/waitlist", "waitlist").status_code == 403
    assert client.get(f"{base}/accept").status_code == 403
    assert _post(client, f"{base}/accept", "x").status_code == 403
    session.refresh(application)
    assert application.status is S.VORGESPRAECH
    assert _events(session, application) == []


def test_lead_sees_the_decisions_of_the_status(client, session, logged_in):
    logged_in(Role.LEAD)
    received = factories.make_application(session)
    text = page_text(client.get(f"/applications/{received.id}"))
    assert "Status auf „in Prüfung“ setzen" in text
    assert "Bewerbung ablehnen" in text
    assert "Auf die Warteliste setzen" not in text
    assert "Annehmen ist nach dem Vorgespräch möglich." in text
    talked = factories.make_application(
        session, status=S.VORGESPRAECH, preliminary_talk_on=date(2025, 2, 1)
    )
    html = client.get(f"/applications/{talked.id}").get_data(as_text=True)
    assert f'href="/applications/{talked.id}/accept"' in html
    assert "Auf die Warteliste setzen" in html
    accepted = factories.make_application(session, status=S.ANGENOMMEN)
    text = page_text(client.get(f"/applications/{accepted.id}"))
    assert "Nächste Schritte" not in text


def test_consultant_moves_through_the_page(client, session, logged_in):
    with clock.frozen(TODAY):
        logged_in(Role.CONSULTANT, name="Cem Berater")
        application = factories.make_application(session)
        path = f"/applications/{application.id}/move"
        response = _post(client, path, "move", target="in_pruefung")
        assert response.status_code == 302
        assert "Der Status ist jetzt „in Prüfung“." in page_text(client.get(response.location))
        response = _post(client, path, "move", target="vorgespraech", talk_on="2025-02-20")
        assert response.status_code == 302
        session.refresh(application)
        assert (application.status, application.preliminary_talk_on) == (
            S.VORGESPRAECH,
            date(2025, 2, 20),
        )
        history = page_text(client.get(f"/applications/{application.id}"))
        assert "Status geändert" in history
        assert "Vorgespräch am 20.02.2025" in history


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"talk_on": "2025-02-30"}, "Kein gültiges Datum."),
        ({"talk_on": ""}, "Bitte geben Sie das Datum des Vorgesprächs an."),
        (
            {"talk_on": "2025-01-01"},
            "Das Vorgespräch kann nicht vor dem Eingang der Bewerbung (15.01.2025) liegen.",
        ),
    ],
)
def test_bad_move_input_changes_nothing(client, session, logged_in, values, message):
    logged_in(Role.LEAD)
    application = factories.make_application(session, status=S.IN_PRUEFUNG)
    response = _post(
        client,
        f"/applications/{application.id}/move",
        "move",
        **{"target": "vorgespraech", **values},
    )
    assert response.status_code == 422
    assert message in page_text(response)
    assert 'id="move-talk_on-error"' in response.get_data(as_text=True)
    session.refresh(application)
    assert (application.status, application.preliminary_talk_on) == (S.IN_PRUEFUNG, None)


@pytest.mark.parametrize("target", ["angenommen", "zurueckgezogen", "<b>x</b>", ""])
def test_a_target_the_page_does_not_offer_is_refused(client, session, logged_in, target):
    logged_in(Role.LEAD)
    application = factories.make_application(session, status=S.VORGESPRAECH)
    response = _post(
        client, f"/applications/{application.id}/move", "move", target=target, talk_on="2025-02-20"
    )
    assert response.status_code == 302
    page = client.get(response.location)
    assert "Dieser Statuswechsel ist nicht möglich." in page_text(page)
    assert "<b>x</b>" not in page.get_data(as_text=True)
    session.refresh(application)
    assert application.status is S.VORGESPRAECH
    assert _events(session, application) == []


def test_a_move_the_status_does_not_allow_is_refused_with_a_flash(client, session, logged_in):
    logged_in(Role.CONSULTANT)
    application = factories.make_application(session, status=S.VORGESPRAECH)
    response = _post(client, f"/applications/{application.id}/move", "move", target="in_pruefung")
    assert response.status_code == 302
    assert (
        "Eine Bewerbung mit dem Status „im Vorgespräch“ kann nicht auf „in Prüfung“ gesetzt "
        "werden." in page_text(client.get(response.location))
    )
    session.refresh(application)
    assert application.status is S.VORGESPRAECH


def test_unknown_application_is_a_404_for_every_action(client, logged_in):
    logged_in(Role.LEAD)
    for action in ("move", "decline", "waitlist", "accept", "review"):
        assert _post(client, f"/applications/999999/{action}", action).status_code == 404
    assert client.get("/applications/999999/accept").status_code == 404


def test_decline_without_reason_is_refused(client, session, logged_in):
    logged_in(Role.LEAD)
    application = factories.make_application(session, status=S.IN_PRUEFUNG)
    response = _post(client, f"/applications/{application.id}/decline", "decline", reason="  ")
    assert response.status_code == 422
    assert "Bitte begründen Sie die Absage." in page_text(response)
    session.refresh(application)
    assert (application.status, application.decided_at) == (S.IN_PRUEFUNG, None)


def test_lead_declines_and_the_applicant_gets_a_mail(client, session, logged_in, smtp_server):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD, name="Lea Leitung")
        application = factories.make_application(
            session, status=S.IN_PRUEFUNG, contact_email="amt@example.org"
        )
        response = _post(
            client,
            f"/applications/{application.id}/decline",
            "decline",
            reason="Nicht im Programmgebiet.",
        )
        assert response.status_code == 302
        [message] = smtp_server.wait_for(1)
        assert message.envelope_rcpt == ["amt@example.org"]
        assert message["Subject"] == (
            f"DiFair – Entscheidung zu Ihrer Bewerbung {application.reference}"
        )
        assert "Nicht im Programmgebiet." in message.get_body(("plain",)).get_content()
        page = page_text(client.get(response.location))
        assert "Die Bewerbung ist abgelehnt." in page
        assert "Entschieden von Lea Leitung" in page
        session.refresh(application)
        assert application.status is S.ABGELEHNT
        actions = [event.action for event in _events(session, application)]
        # (the factory's application has no stored link salt, so a new link is issued)
        assert actions == [
            "application.declined",
            "application.status_link_renewed",
            "application.mail_sent",
        ]


def test_waitlist_through_the_page_and_a_failed_mail_is_reported(
    client, session, logged_in, smtp_server
):
    logged_in(Role.LEAD)
    application = factories.make_application(
        session, status=S.VORGESPRAECH, contact_email="voll@example.org"
    )
    smtp_server.reject_recipients.add("voll@example.org")
    response = _post(client, f"/applications/{application.id}/waitlist", "waitlist", note="")
    assert response.status_code == 302
    text = page_text(client.get(response.location))
    assert "Die Bewerbung steht jetzt auf der Warteliste." in text
    assert "Die E-Mail an die Ansprechperson konnte nicht gesendet werden." in text
    session.refresh(application)
    assert application.status is S.WARTELISTE
    assert [event.action for event in _events(session, application)] == [
        "application.waitlisted",
        "application.status_link_renewed",
        "application.mail_failed",
    ]


def test_a_second_lead_deciding_at_the_same_time_loses_cleanly(
    client, session, logged_in, monkeypatch
):
    """Another lead commits a change between our load and our flush: we are told, and
    nothing of ours is saved (no decision, no audit event, no mail)."""
    logged_in(Role.LEAD)
    application = factories.make_application(session, status=S.IN_PRUEFUNG)
    original = decisions.record

    def record_after_a_concurrent_change(session_, **kwargs):
        _bump_version(session_, application)
        return original(session_, **kwargs)

    monkeypatch.setattr(decisions, "record", record_after_a_concurrent_change)
    response = _post(client, f"/applications/{application.id}/decline", "decline", reason="Zu spät")
    assert response.status_code == 302
    assert "Jemand anderes hat diese Bewerbung gerade geändert." in page_text(
        client.get(response.location)
    )
    session.expire_all()
    assert session.get(Application, application.id).status is S.IN_PRUEFUNG
    assert _events(session, application) == []


def test_deciding_an_already_decided_application_is_refused(client, session, logged_in):
    logged_in(Role.LEAD)
    application = factories.make_application(session, status=S.ABGELEHNT)
    response = _post(  # from a page loaded before the decision
        client,
        f"/applications/{application.id}/decline",
        "decline",
        reason="x",
        version=str(application.version),
    )
    assert response.status_code == 302
    assert "bereits „abgelehnt“" in page_text(client.get(response.location))
    session.refresh(application)
    assert application.decision_reason == "Passt nicht in diese Runde."


def test_application_page_flags_possible_duplicates(client, session, logged_in):
    logged_in(Role.CONSULTANT)
    first = factories.make_application(
        session, organisation_name="Jugendamt Mitte", contact_email="a@example.org"
    )
    second = factories.make_application(
        session, organisation_name="jugendamt  MITTE", contact_email="b@example.org"
    )
    unrelated = factories.make_application(session, organisation_name="Klinikum Ost")
    page = client.get(f"/applications/{first.id}")
    assert "Mögliche Dubletten" in page_text(page)
    assert f"{second.reference} (gleicher Name)" in page_text(page)
    assert f'href="/applications/{second.id}"' in page.get_data(as_text=True)
    assert "Mögliche Dubletten" not in page_text(client.get(f"/applications/{unrelated.id}"))


# -- a form filled in on an older state of the application -----------------------------------

CONFLICT = "Jemand anderes hat diese Bewerbung gerade geändert."
STALE_FORM = "Dieses Formular ist veraltet oder unvollständig."


def test_check_version_refuses_another_version_only(session):
    application = factories.make_application(session)
    decisions.check_version(application, None)  # no form: nothing to compare
    decisions.check_version(application, application.version)
    with pytest.raises(decisions.StaleApplication, match=CONFLICT):
        decisions.check_version(application, application.version - 1)


def test_a_service_refuses_an_old_version_and_changes_nothing(session, lead):
    application = factories.make_application(session, status=S.VORGESPRAECH)
    shown = application.version
    waitlist_application(session, application, actor=lead, now=NOW, note="Kapazität voll")
    assert application.version == shown + 1
    with pytest.raises(decisions.StaleApplication):
        decline_application(
            session, application, actor=lead, now=NOW, reason="Nein", expected_version=shown
        )
    assert application.status is S.WARTELISTE
    assert [event.action for event in _events(session, application)] == ["application.waitlisted"]


def test_a_decline_from_a_page_loaded_before_another_leads_waitlisting_is_refused(
    client, session, logged_in, smtp_server
):
    """Lead A opens the page; lead B puts the application on the waitlist; A's decline,
    sent from the page A still has open, must not overwrite B's decision."""
    with clock.frozen(TODAY):
        logged_in(Role.LEAD, name="Anna Leitung")
        other_lead = factories.make_staff_member(session, name="Bea Leitung", role=Role.LEAD)
        application = factories.make_application(
            session,
            status=S.VORGESPRAECH,
            preliminary_talk_on=date(2025, 2, 1),
            contact_email="amt@example.org",
        )
        shown = _shown_version(client, f"/applications/{application.id}", "decline")
        assert shown == str(application.version)

        waitlist_application(session, application, actor=other_lead, now=NOW, note="Platz 1")
        session.flush()

        response = _post(
            client,
            f"/applications/{application.id}/decline",
            "decline",
            reason="Passt nicht.",
            version=shown,
        )
        assert response.status_code == 302
        assert CONFLICT in page_text(client.get(response.location))
        session.expire_all()
        stored = session.get(Application, application.id)
        assert (stored.status, stored.decided_by.name) == (S.WARTELISTE, "Bea Leitung")
        assert "Passt nicht." not in (stored.decision_reason or "")
        assert [event.action for event in _events(session, stored)] == ["application.waitlisted"]
        assert smtp_server.messages == []


def test_a_talk_date_from_a_page_loaded_before_another_rescheduling_is_refused(
    client, session, logged_in
):
    with clock.frozen(TODAY):
        logged_in(Role.CONSULTANT, name="Cem Berater")
        colleague = factories.make_staff_member(session, name="Dana Beraterin")
        application = factories.make_application(
            session, status=S.VORGESPRAECH, preliminary_talk_on=date(2025, 2, 20)
        )
        shown = _shown_version(client, f"/applications/{application.id}", "move")
        move_application(
            session,
            application,
            S.VORGESPRAECH,
            actor=colleague,
            now=NOW,
            window=WINDOW,
            talk_on=date(2025, 3, 3),
        )
        session.flush()

        response = _post(
            client,
            f"/applications/{application.id}/move",
            "move",
            target="vorgespraech",
            talk_on="2025-03-05",
            version=shown,
        )
        assert response.status_code == 302
        assert CONFLICT in page_text(client.get(response.location))
        session.expire_all()
        stored = session.get(Application, application.id)
        assert stored.preliminary_talk_on == date(2025, 3, 3)
        assert len(_events(session, stored, "application.talk_rescheduled")) == 1

        # reloaded, the page carries the new version and the change goes through
        response = _post(
            client,
            f"/applications/{application.id}/move",
            "move",
            target="vorgespraech",
            talk_on="2025-03-05",
        )
        assert response.status_code == 302
        session.expire_all()
        assert session.get(Application, application.id).preliminary_talk_on == date(2025, 3, 5)


@pytest.mark.parametrize("version", [None, "", "abc", "1.0", "-1", " 1", "١", "9" * 40])
@pytest.mark.parametrize(
    ("action", "values"),
    [
        ("move", {"target": "in_pruefung"}),
        ("decline", {"reason": "Passt nicht."}),
        ("waitlist", {"note": ""}),
    ],
)
def test_a_missing_or_malformed_version_is_a_form_error(
    client, session, logged_in, version, action, values
):
    logged_in(Role.LEAD)
    application = factories.make_application(session, status=S.IN_PRUEFUNG)
    if action == "move":
        application.status = S.EINGEGANGEN
        session.flush()
    before = (application.status, application.version)
    token = csrf_token(client, "/applications")
    data = {f"{action}-csrf_token": token}
    data.update({f"{action}-{key}": value for key, value in values.items()})
    if version is not None:
        data[f"{action}-version"] = version
    response = client.post(f"/applications/{application.id}/{action}", data=data)
    assert response.status_code == 422
    assert STALE_FORM in page_text(response)
    session.expire_all()
    stored = session.get(Application, application.id)
    assert (stored.status, stored.version) == before
    assert _events(session, stored) == []


def test_rescheduling_the_talk_says_the_new_date_not_a_status(client, session, logged_in):
    with clock.frozen(TODAY):
        logged_in(Role.CONSULTANT)
        application = factories.make_application(
            session, status=S.VORGESPRAECH, preliminary_talk_on=date(2025, 2, 20)
        )
        response = _post(
            client,
            f"/applications/{application.id}/move",
            "move",
            target="vorgespraech",
            talk_on="2025-03-03",
        )
        assert response.status_code == 302
        text = page_text(client.get(response.location))
        assert "Der Termin des Vorgesprächs ist jetzt der 03.03.2025." in text
        assert "Der Status ist jetzt" not in text


def test_the_declined_applicant_reads_the_reason_but_never_the_internal_note(
    client, session, logged_in, smtp_server
):
    with clock.frozen(TODAY):
        logged_in(Role.LEAD)
        application = factories.make_application(
            session, status=S.VORGESPRAECH, contact_email="amt@example.org"
        )
        response = _post(
            client,
            f"/applications/{application.id}/waitlist",
            "waitlist",
            note="Intern: Leitung wirkte unentschlossen.",
        )
        assert response.status_code == 302
        response = _post(
            client,
            f"/applications/{application.id}/decline",
            "decline",
            reason="Leider ist kein Platz mehr frei.",
        )
        assert response.status_code == 302
        waitlisted, declined = smtp_server.wait_for(2)
        for message in (waitlisted, declined):
            for part in ("plain", "html"):
                body = message.get_body((part,)).get_content()
                assert "unentschlossen" not in body
        assert "Leider ist kein Platz mehr frei." in declined.get_body(("plain",)).get_content()

        text = page_text(client.get(f"/applications/{application.id}"))
        assert "Begründung der Absage (an die Bewerber*in) Leider ist kein Platz mehr frei." in text
        assert "Interne Notiz Intern: Leitung wirkte unentschlossen." in text
