"""Every route × every role: anonymous visitors are sent to the login, a role that is too low
gets a German 403 page, a role that reaches the route's minimum gets the page.

Some pages also depend on the object: every page of an engagement (reading and changing) is
for its team and for leads and admins; a consultant outside the team gets a 404, as for an
engagement that does not exist (``may_view``). An activity is changed only by its author
(everyone else who may see the engagement gets the 403 page). ``tests/test_idor.py`` checks
the same per object, GET and POST, with a consultant on the team."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from caseflow import clock
from caseflow.engagements.planning import default_template
from caseflow.followups.calendar import issue_token as issue_calendar_token
from caseflow.followups.models import Notification
from caseflow.followups.notify import notify
from caseflow.intake.models import ApplicationStatus
from caseflow.intake.notices import current_notice
from caseflow.intake.tokens import issue_token
from caseflow.mail import MailMessage, outbox_folder, send_mail
from caseflow.outcomes.client_view import issue_link
from caseflow.outcomes.models import RoundKind
from caseflow.outcomes.services import current_statements, open_round, start_response
from caseflow.staff.models import Role
from caseflow.staff.resets import Purpose
from caseflow.staff.resets import issue_token as issue_password_link
from tests import factories
from tests.conftest import login

ROLES = list(Role)

# Pages of one engagement (``engagement_id`` in the URL) are for its team, leads and admins
# (``may_view``); the consultant of this matrix is on no team and gets 404 on each of them.
ENGAGEMENT_ARGUMENT = "engagement_id"
# Pages only the activity's author may open.
AUTHOR_ENDPOINTS = {"engagements.edit_activity", "engagements.delete_activity"}
# Pages only the object's owner may open; everyone else gets 404 (the object is not theirs
# to know about): a notification to someone else.
OWN_ONLY_ENDPOINTS = {"followups.open_notification"}
# The second step of a login: only after a right password (else back to /login).
SECOND_STEP_ENDPOINTS = {"staff.login_code", "staff.two_factor_setup"}
# URL arguments that differ by route although they share a name.
ENDPOINT_OBJECTS = {
    "followups.calendar_feed": {"token": "calendar_token"},
    "outcomes.client_view": {"token": "client_link_token"},
    "outcomes.insights_csv": {"slug": "insights_slug"},
    "outcomes.selfcheck_answer": {"token": "selfcheck_token"},
    "outcomes.selfcheck_start": {"token": "selfcheck_token"},
    "staff.password_reset": {"token": "password_reset_token"},
}


def _get_rules(app: Flask) -> Iterator[Rule]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.endpoint != "static" and "GET" in (rule.methods or ()):
            yield rule


@pytest.fixture
def objects(app: Flask, session) -> dict[str, int | str]:
    """One object of each kind that has a page, so detail routes answer 200."""
    lead = factories.make_staff_member(session, role=Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=lead)
    phase = engagement.phases[0]
    activity = factories.make_activity(session, engagement, author=lead)
    barrier = factories.make_barrier(session, engagement)
    follow_up = factories.make_follow_up(
        session, engagement, assignee=lead, due_on=date(2025, 6, 1)
    )
    contact = factories.make_contact(session, engagement.organisation)
    # In the preliminary talk, so that every action page of an application (accept) opens.
    application = factories.make_application(
        session, status=ApplicationStatus.VORGESPRAECH, preliminary_talk_on=date(2025, 2, 1)
    )
    token = issue_token(application, app.config["SECRET_KEY"])
    holder = factories.make_staff_member(
        session, email="kalender@bqn.example.org", password_hash="x"
    )
    notify(
        session,
        recipient_id=holder.id,
        kind="milestone_due",
        text="Meilenstein bald fällig",
        link=f"/engagements/{engagement.id}",
        dedup_key="roles:notification",
        now=factories.MOMENT,
    )
    send_mail(MailMessage(to="empfang@example.org", subject="Test", text="Hallo"))
    secret = app.config["SECRET_KEY"]
    selfcheck, selfcheck_token = open_round(
        session, engagement, RoundKind.VORHER, actor=lead, now=factories.MOMENT, secret=secret
    )
    _response, resume = start_response(
        session, selfcheck, name=None, role=None, now=factories.MOMENT
    )
    document = factories.make_document(session, engagement, actor=lead)
    session.flush()
    return {
        "engagement_id": engagement.id,
        "document_id": document.document_id,
        "number": document.number,
        "organisation_id": engagement.organisation_id,
        "application_id": application.id,
        "round_id": application.round_id,
        "token": token,
        "phase_id": phase.id,
        "milestone_id": phase.milestones[0].id,
        "activity_id": activity.id,
        "barrier_id": barrier.id,
        "follow_up_id": follow_up.id,
        "contact_id": contact.id,
        "template_id": default_template(session, now=factories.MOMENT).id,
        "calendar_token": issue_calendar_token(session, holder, now=factories.MOMENT),
        "notification_id": session.scalar(
            select(Notification.id).where(Notification.dedup_key == "roles:notification")
        ),
        "name": max(path.name for path in outbox_folder().glob("*.eml")),
        "staff_member_id": lead.id,
        "kind": RoundKind.VORHER.value,
        "selfcheck_token": selfcheck_token,
        "resume": resume,
        "response_id": _response.id,
        "key": current_statements(session)[0].key,
        "statement_id": current_statements(session)[0].id,
        "client_link_token": issue_link(
            session, engagement, actor=lead, now=factories.MOMENT, secret=secret
        )[1],
        "month": "2025-01",
        "slug": "bewerbungen-status",
        "insights_slug": "massnahmen",
        "version": current_notice(clock.today()).version,
        # Valid from now (a link of factories.MOMENT would have expired long ago).
        "password_reset_token": issue_password_link(
            session, holder, actor=None, purpose=Purpose.FORGOTTEN, now=clock.now(), hours=24
        ),
    }


def _url(rule: Rule, objects: dict[str, int]) -> str:
    path = rule.rule
    names = ENDPOINT_OBJECTS.get(rule.endpoint, {})
    for argument in rule.arguments:
        value = objects[names.get(argument, argument)]
        path = re.sub(rf"<(?:\w+:)?{argument}>", str(value), path)
    return path


def test_every_get_route_is_covered_by_this_matrix(app: Flask, objects) -> None:
    """If a route needs an object this test does not create, extend ``objects``."""
    for rule in _get_rules(app):
        assert set(rule.arguments) <= set(objects), rule.rule


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *(r.value for r in ROLES)])
def test_routes_by_role(app: Flask, client, make_staff, objects, role) -> None:
    if role is not None:
        member = make_staff(role)
        assert login(client, member.email).status_code == 302
    checked = 0
    for rule in _get_rules(app):
        view = app.view_functions[rule.endpoint]
        url = _url(rule, objects)
        response = client.get(url)
        response.close()  # a file download holds its file open until closed
        required = getattr(view, "required_role", None)
        if getattr(view, "is_public", False):
            assert response.status_code in (200, 302), url
            if response.status_code == 302 and rule.endpoint in SECOND_STEP_ENDPOINTS:
                # The login's second step without a first: back to the login.
                assert response.headers["Location"].endswith("/login"), url
            elif response.status_code == 302:
                # Public pages only redirect staff to their desk (/ and /login).
                assert role is not None, url
        elif role is None:
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login?next="), url
        elif rule.endpoint in OWN_ONLY_ENDPOINTS and role.rank >= required.rank:
            assert response.status_code == 404, f"{url} for {role}: {response.status_code}"
        elif (
            role.rank >= required.rank
            and ENGAGEMENT_ARGUMENT in rule.arguments
            and role.rank < Role.LEAD.rank
        ):
            # Not on the team: the engagement is not this consultant's to know about.
            assert response.status_code == 404, f"{url} for {role}: {response.status_code}"
            assert "Kein Zugriff" not in response.get_data(as_text=True), url
        elif role.rank < required.rank or rule.endpoint in AUTHOR_ENDPOINTS:
            assert response.status_code == 403, f"{url} for {role}: {response.status_code}"
            page = response.get_data(as_text=True)
            assert "Kein Zugriff" in page and "<html lang=" in page, url
        else:
            assert response.status_code == 200, f"{url} for {role}: {response.status_code}"
        checked += 1
    assert checked >= 14


def test_the_matrix_knows_the_expected_minimum_roles(app: Flask) -> None:
    """The contract of DESIGN.md §5 on who may see what."""
    expected = {
        "/dashboard": Role.CONSULTANT,
        "/applications": Role.CONSULTANT,
        "/organisations": Role.CONSULTANT,
        "/engagements": Role.CONSULTANT,
        "/staff": Role.CONSULTANT,
        "/timeline": Role.LEAD,
        "/capacity": Role.LEAD,
        "/reports": Role.LEAD,
        "/reports/print": Role.LEAD,
        "/reports/export.xlsx": Role.LEAD,
        "/reports/bewerbungen-status.csv": Role.LEAD,
        "/capacity/1/2025-01": Role.LEAD,
        "/engagements/1/export": Role.CONSULTANT,
        "/admin/": Role.ADMIN,
        "/admin/templates": Role.ADMIN,
        "/admin/outbox": Role.ADMIN,
        "/notifications": Role.CONSULTANT,
        "/notifications/settings": Role.CONSULTANT,
        "/calendar": Role.CONSULTANT,
    }
    adapter = app.url_map.bind("caseflow.test")
    for path, role in expected.items():
        endpoint, _args = adapter.match(path)
        assert app.view_functions[endpoint].required_role is role, path
    for path in ("/", "/login", "/healthz", "/calendar/abc.ics"):
        endpoint, _args = adapter.match(path)
        assert getattr(app.view_functions[endpoint], "is_public", False), path
