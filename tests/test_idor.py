"""Object-level access (issue 7 point 11): every route of ``app.url_map`` that takes an
object id, GET and POST, for every role — anonymous, a consultant outside the engagement's
team, a consultant on it, a lead and an admin.

The policy (``caseflow.engagements.services.common.may_view``): leads and admins see and
change every engagement; a consultant only the engagements whose team they are on. To anyone
else every page of an engagement (and of what is in it) answers 404, as for an id that does
not exist, and a POST changes nothing. An object addressed under another engagement than its
own is a 404 too. Applications and organisations are for all staff; a notification for its
recipient only; routes for leads or admins only are refused by role (403) before any object
is looked at.

Every route with an object argument must be classified here: a new one that is not makes
``test_every_object_route_is_classified`` fail and says what to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter, Map, Rule, UnicodeConverter

from caseflow import clock
from caseflow.engagements.models import Engagement, EngagementStatus
from caseflow.engagements.planning import default_template
from caseflow.engagements.queries import list_engagements
from caseflow.engagements.services.common import may_edit, may_view
from caseflow.extensions import db
from caseflow.followups.models import Notification
from caseflow.followups.notify import notify
from caseflow.followups.services import fingerprint
from caseflow.intake.models import ApplicationStatus
from caseflow.outcomes.models import RoundKind
from caseflow.outcomes.services import open_round, save_answers, start_response
from caseflow.staff.models import Role, StaffMember
from tests import factories
from tests.conftest import CSRF_PATTERN, login

TODAY = date(2025, 2, 15)

# -- the classification ----------------------------------------------------------------------

# Objects inside an engagement: their routes carry ``engagement_id`` too, and an object of
# another engagement is a 404.
ENGAGEMENT_CHILDREN = {
    "phase_id",
    "milestone_id",
    "activity_id",
    "barrier_id",
    "follow_up_id",
    "response_id",
    "document_id",
}
# Routes for every staff member, whatever the object (DESIGN.md §1: consultants review
# applications; organisations are the staff's shared client list).
STAFF_WIDE = {
    "intake.application",
    "intake.move",
    "intake.review",
    "organisations.detail",
}
# Routes for the object's owner only; everybody else gets 404: a notification is its
# recipient's.
OWN_ONLY = {"followups.open_notification", "followups.mark_notification_read"}
# Engagement routes only the activity's author may use (others who may see the engagement:
# a 403 page saying why).
AUTHOR_ONLY = {"engagements.edit_activity", "engagements.delete_activity"}

# Which object of the world fills an argument, where the route needs another than the default.
ENDPOINT_OBJECTS = {
    "engagements.reopen_milestone": {"milestone_id": "done_milestone_id"},
}
# Query strings a route needs to reach its form (``reschedule`` moves one milestone).
ENDPOINT_QUERY = {"engagements.reschedule": "?milestone={milestone_id}"}
# Arguments that are not objects; what fills them.
PLAIN_ARGUMENTS = {"month": "2025-01", "kind": "vorher", "number": "1"}

ROLES = ("anonymous", "outsider", "member", "lead", "admin")
_ROLE_OF = {
    "outsider": Role.CONSULTANT,
    "member": Role.CONSULTANT,
    "lead": Role.LEAD,
    "admin": Role.ADMIN,
}

UNCLASSIFIED_HELP = (
    "Routes with an object argument that tests/test_idor.py does not classify (or whose "
    "arguments its world cannot fill). For each: make the view check object access "
    "(engagement pages: load through caseflow.engagements.views.common.load_engagement), "
    "then add the endpoint to STAFF_WIDE or OWN_ONLY, or its argument to the world "
    "(``_world``/``PLAIN_ARGUMENTS``), in tests/test_idor.py:\n  "
)


@dataclass(frozen=True)
class Route:
    rule: Rule
    kind: str  # engagement, admin, lead, staff, own
    object_arguments: tuple[str, ...]
    minimum: Role

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    @property
    def methods(self) -> list[str]:
        return sorted({"GET", "POST"} & set(self.rule.methods or ()))


def _object_arguments(rule: Rule) -> tuple[str, ...]:
    return tuple(
        name
        for name, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter)
    )


def _required_role(app: Flask, rule: Rule) -> Role | None:
    return getattr(app.view_functions.get(rule.endpoint), "required_role", None)


def _classify(app: Flask, rule: Rule, world_keys: set[str]) -> str | None:
    """The kind of ``rule`` (see ``Route``), or None when this test does not know it."""
    arguments = set(_object_arguments(rule)) - set(PLAIN_ARGUMENTS)
    unfilled = {
        name
        for name in rule.arguments
        if name not in world_keys
        and name not in PLAIN_ARGUMENTS
        and not isinstance(rule._converters.get(name), IntegerConverter | UnicodeConverter)
    }
    role = _required_role(app, rule)
    if role is Role.ADMIN and not unfilled:
        # Refused by role before any object is loaded: a placeholder id will do.
        return "admin"
    fillable = (set(rule.arguments) - set(PLAIN_ARGUMENTS)) <= world_keys
    if not fillable:
        return None
    if "engagement_id" in arguments and arguments - {"engagement_id"} <= ENGAGEMENT_CHILDREN:
        return "engagement"
    if rule.endpoint in STAFF_WIDE:
        return "staff"
    if rule.endpoint in OWN_ONLY:
        return "own"
    if role is Role.LEAD:
        return "lead"
    return None


def _object_routes(app: Flask, world_keys: set[str]) -> tuple[list[Route], list[str]]:
    routes, unclassified = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint)):
        arguments = _object_arguments(rule)
        if not arguments or not {"GET", "POST"} & set(rule.methods or ()):
            continue
        kind = _classify(app, rule, world_keys)
        if kind is None:
            unclassified.append(f"{rule.rule} ({rule.endpoint})")
        else:
            routes.append(Route(rule, kind, arguments, _required_role(app, rule)))
    return routes, unclassified


# -- the world -------------------------------------------------------------------------------


@dataclass
class People:
    outsider: StaffMember  # a consultant with engagements of their own, not this one's
    member: StaffMember  # the consultant who leads the engagements of the world
    lead: StaffMember
    admin: StaffMember

    def of(self, role: str) -> StaffMember:
        return getattr(self, role)


@pytest.fixture
def people(make_staff) -> People:
    return People(
        outsider=make_staff(Role.CONSULTANT, name="Außen Stehende"),
        member=make_staff(Role.CONSULTANT, name="Im Team"),
        lead=make_staff(Role.LEAD, name="Projekt Leitung"),
        admin=make_staff(Role.ADMIN, name="Admin Istratorin"),
    )


def _world(session: Session, people: People) -> dict[str, Any]:
    """Two engagements led by ``people.member`` (A with one object of every kind, B for
    addressing A's objects under it), one of the outsider's own, and the objects of the
    routes outside engagements."""
    member = people.member
    engagement = factories.make_engagement(session, lead=member, status=EngagementStatus.AKTIV)
    other = factories.make_engagement(session, lead=member)
    factories.make_engagement(session, lead=people.outsider)
    phase = engagement.phases[0]
    milestones = factories.milestones_of(engagement)
    done = factories.complete_milestone(session, milestones[1], on=date(2025, 1, 20))
    activity = factories.make_activity(session, engagement, author=member, staff=[member])
    barrier = factories.make_barrier(session, engagement)
    follow_up = factories.make_follow_up(
        session, engagement, assignee=member, due_on=date(2025, 6, 2)
    )
    contact = factories.make_contact(session, engagement.organisation)
    application = factories.make_application(
        session, status=ApplicationStatus.VORGESPRAECH, preliminary_talk_on=date(2025, 2, 1)
    )
    # A Selbstcheck round of A with one submitted response (its results and reopening).
    selfcheck, _link = open_round(
        session, engagement, RoundKind.VORHER, actor=member, now=factories.MOMENT, secret="x"
    )
    response, _resume = start_response(
        session, selfcheck, name=None, role=None, now=factories.MOMENT
    )
    save_answers(session, response, {}, submit=True, now=factories.MOMENT)
    # A document of A (its download, deleting and restoring).
    document = factories.make_document(session, engagement, actor=member)
    key = f"idor:{engagement.id}"
    notify(
        session,
        recipient_id=member.id,
        kind="milestone_due",
        text="Meilenstein bald fällig",
        link=f"/engagements/{engagement.id}",
        dedup_key=key,
        now=factories.MOMENT,
    )
    session.flush()
    return {
        "engagement_id": engagement.id,
        "other_engagement_id": other.id,
        "phase_id": phase.id,
        "milestone_id": milestones[0].id,
        "done_milestone_id": done.id,
        "activity_id": activity.id,
        "barrier_id": barrier.id,
        "follow_up_id": follow_up.id,
        "response_id": response.id,
        "document_id": document.document_id,
        "follow_up_shown": fingerprint(follow_up),
        "organisation_id": engagement.organisation_id,
        "contact_id": contact.id,
        "application_id": application.id,
        "round_id": application.round_id,
        "notification_id": session.scalar(
            select(Notification.id).where(Notification.dedup_key == key)
        ),
        "template_id": default_template(session, now=factories.MOMENT).id,
        "staff_member_id": member.id,
        "member_id": member.id,
    }


WORLD_KEYS = {
    "engagement_id",
    "phase_id",
    "milestone_id",
    "activity_id",
    "barrier_id",
    "follow_up_id",
    "response_id",
    "document_id",
    "organisation_id",
    "contact_id",
    "application_id",
    "round_id",
    "notification_id",
    "template_id",
    "staff_member_id",
}


def _url(route: Route, world: dict[str, Any], *, engagement_id: int | None = None) -> str:
    path = route.rule.rule
    names = ENDPOINT_OBJECTS.get(route.endpoint, {})
    for argument in route.rule.arguments:
        if argument == "engagement_id" and engagement_id is not None:
            value: Any = engagement_id
        elif argument in PLAIN_ARGUMENTS:
            value = PLAIN_ARGUMENTS[argument]
        else:
            # An admin route's argument the world lacks: the role check answers first.
            value = world.get(names.get(argument, argument), 1)
        path = re.sub(rf"<(?:\w+:)?{argument}>", str(value), path)
    query = ENDPOINT_QUERY.get(route.endpoint)
    return path + (query.format(**world) if query else "")


def _version(world: dict[str, Any]) -> str:
    return str(db.session.scalar(select(Engagement.version).filter_by(id=world["engagement_id"])))


def _form(endpoint: str, world: dict[str, Any]) -> dict[str, Any]:
    """A form a team member could send to ``endpoint``: complete and valid, so that what
    stops an outsider is the access check and nothing else."""
    version = _version(world)
    member = str(world["member_id"])
    activity = {
        "version": version,
        "kind": "workshop",
        "occurred_on": "2025-02-10",
        "duration_minutes": "90",
        "participants_count": "12",
        "staff": [member],
        "note": "Workshop mit der Steuerungsgruppe",
    }
    barrier = {
        "version": version,
        "category": "verfahren_formulare",
        "description": "Formulare nur auf Deutsch",
        "status": "erkannt",
        "identified_on": "2025-02-10",
        "resolved_on": "",
        "measure_taken": "",
    }
    forms: dict[str, dict[str, Any]] = {
        "engagements.set_status": {
            "status-target": EngagementStatus.PAUSIERT.value,
            "status-version": version,
            "status-reason": "Die Amtsleitung wechselt.",
        },
        "engagements.new_activity": activity,
        "engagements.edit_activity": activity,
        "engagements.delete_activity": {"version": version},
        "engagements.new_barrier": barrier,
        "engagements.edit_barrier": {**barrier, "status": "in_bearbeitung"},
        "engagements.extend": {
            "version": version,
            "new_end": "2026-01-31",
            "reason": "Die Steuerungsgruppe braucht mehr Zeit.",
        },
        "engagements.reschedule": {"version": version, "new_date": "2025-01-10"},
        "engagements.edit_team": {"version": version, "lead": member, "co": [], "confirm": ""},
        "engagements.complete_milestone": {
            "version": version,
            "completed_on": "2025-02-10",
            "evidence_note": "Protokoll liegt vor",
        },
        "engagements.drop_milestone": {"version": version, "reason": "Nicht mehr nötig"},
        "engagements.edit_milestone": {
            "version": version,
            "title": "Erstgespräch mit der Amtsleitung",
            "owner": member,
            "due_date": "2025-01-20",
        },
        "engagements.reopen_milestone": {"version": version},
        "engagements.add_milestone": {
            "version": version,
            "title": "Zusätzliches Gespräch",
            "owner": member,
            "due_date": "2025-01-25",
        },
        "engagements.start_phase": {"version": version},
        "followups.new_follow_up": {
            "due_on": "2025-06-03",
            "due_time": "10:00",
            "kind": "check_in",
            "assignee": member,
            "note": "Nachfragen",
        },
        "followups.edit_follow_up": {
            "due_on": "2025-06-04",
            "due_time": "11:00",
            "assignee": member,
            "note": "Nachfragen, ob es geklappt hat",
            "shown": world["follow_up_shown"],
        },
        "followups.discard_follow_up": {"reason": "Hat sich erledigt"},
    }
    return forms.get(endpoint, {})


# POSTs of ``_form`` that change the database when the team sends them: the outsider's
# identical request is refused for want of access, not for a broken form.
CHANGING_POSTS = {
    "engagements.set_status",
    "engagements.new_activity",
    "engagements.edit_activity",
    "engagements.delete_activity",
    "engagements.new_barrier",
    "engagements.edit_barrier",
    "engagements.extend",
    "engagements.complete_milestone",
    "engagements.drop_milestone",
    "engagements.edit_milestone",
    "engagements.reopen_milestone",
    "engagements.add_milestone",
    "engagements.start_phase",
    "followups.new_follow_up",
    "followups.edit_follow_up",
    "followups.complete_follow_up",
    "followups.discard_follow_up",
    "followups.engagement_calendar",
    "followups.mark_notification_read",
}

# Tables that a request changes for anyone logged in (their session, their last login).
NOT_SNAPSHOTTED = {"staff_member", "login_session"}


def _snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that holds what a POST could change."""
    return {
        table.name: [
            tuple(row)
            for row in session.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in db.metadata.sorted_tables
        if table.name not in NOT_SNAPSHOTTED
    }


def _changed(before: dict[str, list], after: dict[str, list]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@dataclass
class Caller:
    """A test client logged in (or not) as one of the roles, with a valid CSRF token."""

    client: FlaskClient
    role: str
    token: str

    def send(self, method: str, url: str, data: dict[str, Any] | None = None):
        if method == "GET":
            response = self.client.get(url)
            response.close()  # a file download holds its file open until closed
            return response
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token})


def _csrf(client: FlaskClient) -> str:
    for path in ("/dashboard", "/login"):
        match = CSRF_PATTERN.search(client.get(path).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no CSRF token found")


@pytest.fixture
def caller(client: FlaskClient, people: People) -> Callable[[str], Caller]:
    def as_role(role: str) -> Caller:
        if role != "anonymous":
            assert login(client, people.of(role).email).status_code == 302
        return Caller(client, role, _csrf(client))

    return as_role


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    with clock.frozen(TODAY):
        yield


def _expect_login(response, what: str) -> None:
    assert response.status_code == 302, f"{what}: {response.status_code}"
    assert response.headers["Location"].startswith("/login?next="), what


def _expect_refused(response, status: int, what: str) -> None:
    assert response.status_code == status, f"{what}: {response.status_code}, not {status}"


def _expect_reached(response, method: str, what: str) -> None:
    """Through the access checks: a page or a redirect; a POST may also be answered with its
    form and messages (422, 409) when the matrix sends no complete form."""
    allowed = (200, 302) if method == "GET" else (200, 302, 409, 422)
    assert response.status_code in allowed, f"{what}: {response.status_code}"
    location = response.headers.get("Location", "")
    assert not location.startswith("/login"), f"{what}: sent to the login"


# -- the tests -------------------------------------------------------------------------------


def test_every_object_route_is_classified(app: Flask) -> None:
    """A route with an object argument that this matrix does not know fails here (so that
    nobody adds one without deciding who may use it), with what to do."""
    routes, unclassified = _object_routes(app, WORLD_KEYS)
    assert not unclassified, UNCLASSIFIED_HELP + "\n  ".join(unclassified)
    kinds = {route.kind for route in routes}
    assert {"engagement", "staff", "own", "lead", "admin"} <= kinds
    # Every engagement route of the three features that have them is in the matrix.
    endpoints = {route.endpoint for route in routes if route.kind == "engagement"}
    assert {
        "engagements.detail",
        "engagements.activities",
        "engagements.set_status",
        "engagements.edit_team",
        "portfolio.engagement_export",
        "followups.engagement_calendar",
        "followups.new_follow_up",
    } <= endpoints
    assert len(endpoints) >= 20


def test_an_unknown_object_route_is_reported(app: Flask) -> None:
    """The classification does not wave through a staff route it has not been told about,
    nor one whose argument the world cannot fill; an admin-only route it covers by role."""
    unknown = [
        # A staff route on a known object, in no list.
        Rule("/applications/<int:application_id>/notes", endpoint="engagements.activities"),
        # An engagement route with an object the world does not have.
        Rule(
            "/engagements/<int:engagement_id>/secrets/<int:secret_id>",
            endpoint="engagements.detail",
        ),
        # A known endpoint on an unknown object.
        Rule("/people/<int:person_id>", endpoint="intake.application"),
        # A lead route on an unknown object.
        Rule("/capacity/<int:person_id>", endpoint="portfolio.capacity"),
    ]
    admin_only = Rule("/admin/people/<int:person_id>/reset", endpoint="admin.templates")
    Map(unknown + [admin_only], converters=app.url_map.converters)  # binds the rules
    for rule in unknown:
        assert _classify(app, rule, WORLD_KEYS) is None, rule.rule
    assert _classify(app, admin_only, WORLD_KEYS) == "admin"


@contextmanager
def _undone(session: Session) -> Iterator[None]:
    """Whatever the requests inside change is rolled back afterwards (a savepoint around
    them on the test's connection), so that every request meets the same world."""
    savepoint = session.begin_nested()
    session.connection()  # the SAVEPOINT is sent now, not at the session's next statement
    try:
        yield
    finally:
        savepoint.rollback()
        session.expire_all()


@pytest.mark.parametrize("role", ROLES)
def test_object_routes_by_role(
    app: Flask, session, people: People, caller, frozen_clock, role: str
) -> None:
    """Every object route, GET and POST, for one role, each request on the same world (what
    a POST changed is rolled back before the next one)."""
    routes, _unclassified = _object_routes(app, WORLD_KEYS)
    me = caller(role)
    world = _world(session, people)
    checked = 0
    for route in routes:
        for method in route.methods:
            url = _url(route, world)
            what = f"{role} {method} {url} ({route.endpoint})"
            expected = _expected(route, role)
            with _undone(session):
                if method == "GET":
                    response, changed = me.send(method, url), []
                else:
                    before = _snapshot(session)
                    response = me.send(method, url, _form(route.endpoint, world))
                    changed = _changed(before, _snapshot(session))
            if expected == "login":
                _expect_login(response, what)
            elif expected in (403, 404):
                _expect_refused(response, expected, what)
            else:
                _expect_reached(response, method, what)
            if expected != "reached":
                assert not changed, f"{what} changed {changed}"
            elif method == "POST" and route.endpoint in CHANGING_POSTS:
                assert changed, f"{what}: the form changed nothing"
            checked += 1
    assert checked >= 40


def _expected(route: Route, role: str) -> str | int:
    """What ``role`` gets from ``route``: "login", 403, 404 or "reached"."""
    if role == "anonymous":
        return "login"
    # The role comes first: too low a role is refused before any object is looked at.
    if _ROLE_OF[role].rank < route.minimum.rank:
        return 403
    if route.kind in ("admin", "lead", "staff"):
        return "reached"
    if route.kind == "own":
        return "reached" if role == "member" else 404
    # An engagement route: the world's engagements are the member's.
    if role == "outsider":
        return 404
    if route.endpoint in AUTHOR_ONLY and role != "member":
        return 403
    return "reached"


@pytest.mark.parametrize("role", ["member", "lead"])
def test_an_object_under_another_engagement_is_not_found(
    app: Flask, session, people: People, caller, frozen_clock, role: str
) -> None:
    """A milestone (phase, activity, barrier, follow-up) of engagement A addressed under
    engagement B is a 404, even for someone who may see and change both; nothing changes."""
    routes, _unclassified = _object_routes(app, WORLD_KEYS)
    me = caller(role)
    world = _world(session, people)
    checked = 0
    for route in routes:
        if route.kind != "engagement" or not set(route.object_arguments) & ENGAGEMENT_CHILDREN:
            continue
        for method in route.methods:
            url = _url(route, world, engagement_id=world["other_engagement_id"])
            what = f"{role} {method} {url} ({route.endpoint})"
            with _undone(session):
                before = _snapshot(session)
                response = me.send(method, url, _form(route.endpoint, world))
                changed = _changed(before, _snapshot(session))
            assert response.status_code == 404, f"{what}: {response.status_code}"
            assert not changed, f"{what} changed {changed}"
            checked += 1
    assert checked >= 15


def test_a_consultant_taken_off_the_team_loses_access(
    session, people: People, caller, frozen_clock
) -> None:
    """Access follows the team as it is now: taken off the team, a consultant gets 404 on
    the engagement page, and a notification about it leads to the inbox with a note."""
    colleague = people.outsider
    engagement = factories.make_engagement(session, lead=people.member, co=[colleague])
    notify(
        session,
        recipient_id=colleague.id,
        kind="milestone_due",
        text="Meilenstein bald fällig",
        link=f"/engagements/{engagement.id}#phases-title",
        dedup_key="idor:removed",
        now=factories.MOMENT,
    )
    notification_id = session.scalar(
        select(Notification.id).where(Notification.dedup_key == "idor:removed")
    )
    me = caller("outsider")
    assert me.send("GET", f"/engagements/{engagement.id}").status_code == 200
    for assignment in list(engagement.assignments):
        if assignment.staff_member_id == colleague.id:
            session.delete(assignment)
    session.flush()
    assert me.send("GET", f"/engagements/{engagement.id}").status_code == 404
    response = me.send("GET", f"/notifications/{notification_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"
    inbox = me.client.get("/notifications").get_data(as_text=True)
    assert "Sie gehören nicht zu ihrem Team" in inbox
    session.expire_all()
    assert session.get(Notification, notification_id).read_at is not None


def test_a_notification_about_a_visible_engagement_still_leads_there(
    session, people: People, caller
) -> None:
    world = _world(session, people)
    me = caller("member")
    response = me.send("GET", f"/notifications/{world['notification_id']}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/engagements/{world['engagement_id']}"


def test_the_list_and_the_rule_agree(session, make_staff) -> None:
    """``may_view`` (one engagement) and its SQL form in the lists (``visible_to``) give the
    same answer for every role, on the team as lead, as co, and off it."""
    consultant = make_staff(Role.CONSULTANT)
    colleague = make_staff(Role.CONSULTANT)
    lead = make_staff(Role.LEAD)
    admin = make_staff(Role.ADMIN)
    led = factories.make_engagement(session, lead=consultant)
    accompanied = factories.make_engagement(session, lead=colleague, co=[consultant])
    foreign = factories.make_engagement(session, lead=colleague)
    engagements = [led, accompanied, foreign]
    for viewer in (consultant, colleague, lead, admin):
        listed = {
            row.engagement.id for row in list_engagements(session, today=TODAY, viewer=viewer)
        }
        for engagement in engagements:
            assert (engagement.id in listed) is may_view(engagement, viewer), (viewer, engagement)
            assert may_edit(engagement, viewer) is may_view(engagement, viewer)
    assert not may_view(foreign, consultant)
    assert may_view(accompanied, consultant) and may_view(led, consultant)
    assert all(may_view(engagement, lead) for engagement in engagements)
