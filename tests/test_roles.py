"""Every route × every role: anonymous visitors are sent to the login, a role that is too low
gets a German 403 page, a role that reaches the route's minimum gets the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from werkzeug.routing import Rule

from caseflow.intake.models import ApplicationStatus
from caseflow.intake.tokens import issue_token
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import login

ROLES = list(Role)


def _get_rules(app: Flask) -> Iterator[Rule]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.endpoint != "static" and "GET" in (rule.methods or ()):
            yield rule


@pytest.fixture
def objects(app: Flask, session) -> dict[str, int | str]:
    """One object of each kind that has a page, so detail routes answer 200."""
    lead = factories.make_staff_member(session, role=Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=lead)
    # In the preliminary talk, so that every action page of an application (accept) opens.
    application = factories.make_application(
        session, status=ApplicationStatus.VORGESPRAECH, preliminary_talk_on=date(2025, 2, 1)
    )
    token = issue_token(application, app.config["SECRET_KEY"])
    session.flush()
    return {
        "engagement_id": engagement.id,
        "organisation_id": engagement.organisation_id,
        "application_id": application.id,
        "round_id": application.round_id,
        "token": token,
    }


def _url(rule: Rule, objects: dict[str, int]) -> str:
    path = rule.rule
    for argument in rule.arguments:
        path = re.sub(rf"<(?:\w+:)?{argument}>", str(objects[argument]), path)
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
        required = getattr(view, "required_role", None)
        if getattr(view, "is_public", False):
            assert response.status_code in (200, 302), url
            if response.status_code == 302:
                # Public pages only redirect staff to their desk (/ and /login).
                assert role is not None, url
        elif role is None:
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login?next="), url
        elif role.rank < required.rank:
            assert response.status_code == 403, url
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
        "/admin/": Role.ADMIN,
    }
    adapter = app.url_map.bind("caseflow.test")
    for path, role in expected.items():
        endpoint, _args = adapter.match(path)
        assert app.view_functions[endpoint].required_role is role, path
    for path in ("/", "/login", "/healthz"):
        endpoint, _args = adapter.match(path)
        assert getattr(app.view_functions[endpoint], "is_public", False), path
