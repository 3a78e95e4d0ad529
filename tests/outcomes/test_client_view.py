"""The client view (issue 9 point 5): a secret, revocable link per engagement that shows the
client organisation its own plan — read-only, German, printable, without staff-internal
notes. The link's lifecycle and audit trail, who may create and revoke it, what the page
shows and leaves out, its headers and language, its 404s and rate limit, a fixed number of
queries, and two creations at once."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import (
    ActivityKind,
    BarrierCategory,
    BarrierStatus,
    Engagement,
    EngagementStatus,
)
from caseflow.engagements.services.common import EngagementError, EngagementNotPermitted
from caseflow.extensions import db
from caseflow.followups.models import FollowUpKind, FollowUpStatus
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation
from caseflow.outcomes import client_view
from caseflow.outcomes.client_view import (
    active_link,
    engagement_by_token,
    issue_link,
    link_token,
    revoke_link,
)
from caseflow.outcomes.models import ClientLink
from caseflow.staff.models import Role, StaffMember
from caseflow.web.tokens import hash_token
from tests import factories
from tests.conftest import csrf_token, login
from tests.pages.helpers import body_rows, page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

TODAY = date(2025, 6, 2)
NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
SECRET = "test-secret-key"  # the SECRET_KEY of the tests (tests/conftest.py)
# Staff-internal texts, one per place they can be written; none may reach the client.
MARKERS = {
    "engagement note": "MARKER-ENGAGEMENT-NOTE",
    "status reason": "MARKER-STATUS-REASON",
    "extension reason": "MARKER-EXTENSION-REASON",
    "milestone evidence": "MARKER-MILESTONE-EVIDENCE",
    "milestone drop reason": "MARKER-MILESTONE-DROP",
    "activity note": "MARKER-ACTIVITY-NOTE",
    "note activity": "MARKER-NOTE-ACTIVITY",
    "follow-up note": "MARKER-FOLLOW-UP-NOTE",
    "past follow-up note": "MARKER-PAST-FOLLOW-UP-NOTE",
}


@pytest.fixture(autouse=True)
def _frozen_today() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@dataclass
class World:
    engagement: Engagement
    lead: StaffMember  # the engagement's lead consultant, with a login
    co: StaffMember  # its co-consultant, with a login
    assignee_email: str


@pytest.fixture
def world(session: Session, make_staff) -> World:
    """An active, extended engagement with everything the client view shows, and a staff-
    internal note in every field that has one."""
    lead = make_staff(Role.CONSULTANT, name="Lena Lead")
    co = make_staff(Role.CONSULTANT, name="Cem Co")
    organisation = factories.make_organisation(
        session,
        name="Gesundheitsamt Pankow",
        sector=Sector.BUERGERDIENST,
        subtype="gesundheitsamt",
        district=District.PANKOW,
    )
    engagement = factories.make_engagement(
        session,
        lead=lead,
        co=[co],
        organisation=organisation,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.AKTIV,
    )
    engagement.planned_end_date = date(2026, 3, 31)
    engagement.notes = MARKERS["engagement note"]
    engagement.status_reason = MARKERS["status reason"]
    engagement.extension_reason = MARKERS["extension reason"]
    engagement.phases[0].started_on = date(2025, 1, 6)
    milestones = factories.milestones_of(engagement)
    factories.complete_milestone(session, milestones[0], on=date(2025, 1, 9))
    milestones[0].evidence_note = MARKERS["milestone evidence"]
    factories.drop_milestone(session, milestones[2], reason=MARKERS["milestone drop reason"])
    factories.make_activity(
        session,
        engagement,
        occurred_on=date(2025, 1, 9),
        kind=ActivityKind.TREFFEN,
        staff=[lead],
        note=MARKERS["activity note"],
    )
    factories.make_activity(
        session,
        engagement,
        occurred_on=date(2025, 2, 14),
        kind=ActivityKind.NOTIZ,
        note=MARKERS["note activity"],
    )
    factories.make_barrier(
        session,
        engagement,
        category=BarrierCategory.VERFAHREN_FORMULARE,
        status=BarrierStatus.IN_BEARBEITUNG,
        description="Antragsformular nur auf Deutsch",
        measure_taken="Übersetzung in fünf Sprachen beauftragt",
    )
    # Next appointments: one at the usual 09:00 (no time shown), one at 14:30; a past one,
    # a closed one and one of another engagement stay off the page.
    factories.make_follow_up(
        session,
        engagement,
        assignee=co,
        due_on=date(2025, 6, 20),
        kind=FollowUpKind.NACHHALTIGKEIT,
    )
    check_in = factories.make_follow_up(
        session,
        engagement,
        assignee=co,
        due_on=date(2025, 6, 10),
        kind=FollowUpKind.CHECK_IN,
        note=MARKERS["follow-up note"],
    )
    check_in.due_at = clock.start_of_day(date(2025, 6, 10)) + timedelta(hours=14, minutes=30)
    factories.make_follow_up(
        session,
        engagement,
        assignee=co,
        due_on=date(2025, 5, 20),
        note=MARKERS["past follow-up note"],
    )
    factories.make_follow_up(
        session,
        engagement,
        assignee=co,
        due_on=date(2025, 7, 1),
        status=FollowUpStatus.ERLEDIGT,
    )
    other = factories.make_engagement(session, lead=lead)
    factories.make_follow_up(session, other, assignee=lead, due_on=date(2025, 6, 5))
    session.flush()
    assert co.email is not None
    return World(engagement=engagement, lead=lead, co=co, assignee_email=co.email)


def _issue(session: Session, world: World) -> str:
    _link, token = issue_link(session, world.engagement, actor=world.lead, now=NOW, secret=SECRET)
    return token


def _events(session: Session, engagement_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "engagement",
                AuditEvent.object_id == engagement_id,
                AuditEvent.action.like("client_view.%"),
            )
            .order_by(AuditEvent.id)
        )
    )


def _active_count(session: Session, engagement_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(ClientLink)
        .where(ClientLink.engagement_id == engagement_id, ClientLink.revoked_at.is_(None))
    )


# -- the link's lifecycle ----------------------------------------------------------------------


def test_a_link_opens_its_engagement_and_can_be_shown_again(session, world):
    link, token = issue_link(session, world.engagement, actor=world.lead, now=NOW, secret=SECRET)
    assert engagement_by_token(session, token) == world.engagement.id
    # Staff see (and can send) the same link again; only its hash and salt are stored.
    assert link_token(link, SECRET) == token
    assert link.token_hash == hash_token(token) != token
    assert token not in (link.token_salt, link.token_hash)
    current = active_link(session, world.engagement.id)
    assert current is not None and current.link.id == link.id
    assert current.created_by == "Lena Lead"
    # With another SECRET_KEY the link still opens, but cannot be shown again.
    assert link_token(link, "another-secret-key") is None


def test_renewing_invalidates_the_old_link(session, world):
    first = _issue(session, world)
    second = _issue(session, world)
    assert first != second
    assert engagement_by_token(session, first) is None
    assert engagement_by_token(session, second) == world.engagement.id
    assert _active_count(session, world.engagement.id) == 1
    links = session.scalars(
        select(ClientLink)
        .where(ClientLink.engagement_id == world.engagement.id)
        .order_by(ClientLink.id)
    ).all()
    assert [link.revoked_at for link in links] == [NOW, None]  # the old one stays, revoked
    assert link_token(links[0], SECRET) is None


def test_revoking_switches_the_link_off(session, world):
    token = _issue(session, world)
    assert revoke_link(session, world.engagement, actor=world.co, now=NOW) is True
    assert engagement_by_token(session, token) is None
    assert active_link(session, world.engagement.id) is None
    assert revoke_link(session, world.engagement, actor=world.co, now=NOW) is False
    # A new link can be issued after a revocation.
    assert engagement_by_token(session, _issue(session, world)) == world.engagement.id


def test_every_change_is_audited_without_the_token(session, world):
    first = _issue(session, world)
    second = _issue(session, world)
    revoke_link(session, world.engagement, actor=world.co, now=NOW)
    events = _events(session, world.engagement.id)
    assert [event.action for event in events] == [
        "client_view.link_created",
        "client_view.link_revoked",
        "client_view.link_created",
        "client_view.link_revoked",
    ]
    links = session.scalars(
        select(ClientLink.id)
        .where(ClientLink.engagement_id == world.engagement.id)
        .order_by(ClientLink.id)
    ).all()
    assert events[0].changes == {"link": links[0]}
    assert events[1].changes["link"] == links[0] and events[1].changes["by"] == "renewal"
    assert events[2].changes == {"link": links[1], "replaces": links[0]}
    assert events[3].changes["link"] == links[1]
    assert [event.actor_label for event in events] == ["Lena Lead"] * 3 + ["Cem Co"]
    written = repr([event.changes for event in events])
    for token in (first, second):
        assert token not in written and hash_token(token) not in written


def test_only_who_may_edit_the_engagement_may_issue_or_revoke(session, world, make_staff):
    outsider = make_staff(Role.CONSULTANT)
    with pytest.raises(EngagementNotPermitted):
        issue_link(session, world.engagement, actor=outsider, now=NOW, secret=SECRET)
    _issue(session, world)
    with pytest.raises(EngagementNotPermitted):
        revoke_link(session, world.engagement, actor=outsider, now=NOW)
    # A lead outside the team may (leads and admins may change every engagement).
    issue_link(session, world.engagement, actor=make_staff(Role.LEAD), now=NOW, secret=SECRET)
    assert _active_count(session, world.engagement.id) == 1


def test_a_cancelled_engagement_gets_no_new_link_but_its_link_can_be_revoked(session, world):
    token = _issue(session, world)
    world.engagement.status = EngagementStatus.ABGEBROCHEN
    world.engagement.actual_end_date = TODAY
    session.flush()
    with pytest.raises(EngagementError, match="abgebrochene Prozessbegleitung"):
        _issue(session, world)
    assert engagement_by_token(session, token) == world.engagement.id  # nothing changed
    assert revoke_link(session, world.engagement, actor=world.lead, now=NOW) is True


def test_a_link_created_meanwhile_is_refused_and_nothing_is_kept(session, world, monkeypatch):
    """What the partial unique index stops (two creations at once, see the PostgreSQL test
    below), made deterministic: the service does not see the link that exists."""
    token = _issue(session, world)
    before = len(_events(session, world.engagement.id))
    monkeypatch.setattr(client_view, "_revoke_active", lambda *_args: None)
    with pytest.raises(EngagementError, match="Gleichzeitig wurde schon ein Link"):
        _issue(session, world)
    monkeypatch.undo()
    assert _active_count(session, world.engagement.id) == 1
    assert engagement_by_token(session, token) == world.engagement.id
    assert len(_events(session, world.engagement.id)) == before
    # The session is still usable: the refused change ran in a savepoint.
    assert engagement_by_token(session, _issue(session, world)) == world.engagement.id


# -- the staff routes and the section of the engagement page -----------------------------------


def _post(client, path: str, engagement_id: int):
    token = csrf_token(client, f"/engagements/{engagement_id}")
    return client.post(path, data={"csrf_token": token})


def _any_csrf_token(client) -> str:
    """The CSRF token of the session, from the language switch every page carries."""
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*? value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def _section(html: str) -> str:
    start = html.index('<section aria-labelledby="client-view-title">')
    return html[start : html.index("</section>", start)]


def test_the_team_creates_renews_and_revokes_through_the_page(client, session, world):
    login(client, world.co.email)
    engagement_id = world.engagement.id
    page = f"/engagements/{engagement_id}"
    section = _section(client.get(page).get_data(as_text=True))
    assert "Es gibt zurzeit keinen aktiven Link." in section
    assert f'action="/engagements/{engagement_id}/einblick/link"' in section

    response = _post(client, f"/engagements/{engagement_id}/einblick/link", engagement_id)
    assert response.status_code == 302
    assert response.location.endswith(f"{page}#client-view-title")
    html = client.get(page).get_data(as_text=True)
    assert "Der Einblick-Link ist erzeugt." in html
    section = _section(html)
    address = re.search(r'id="client-view-address" type="text" value="([^"]+)"', section)
    assert address is not None
    first = address.group(1).rsplit("/", 1)[1]
    assert address.group(1) == f"http://caseflow.test/einblick/{first}"
    assert engagement_by_token(session, first) == engagement_id
    assert "von Cem Co" in section and "02.06.2025" in section
    assert "js/copy.js" in html
    # The section shows the same link again on the next visit.
    assert first in _section(client.get(page).get_data(as_text=True))
    assert_accessible(client.get(page))

    _post(client, f"/engagements/{engagement_id}/einblick/link", engagement_id)
    html = client.get(page).get_data(as_text=True)
    assert "Ein neuer Einblick-Link ist erzeugt. Der bisherige Link funktioniert nicht" in html
    assert first not in html
    assert client.get(f"/einblick/{first}").status_code == 404

    response = _post(client, f"/engagements/{engagement_id}/einblick/revoke", engagement_id)
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Der Einblick-Link ist widerrufen." in html
    assert "Es gibt zurzeit keinen aktiven Link." in _section(html)
    assert _active_count(session, engagement_id) == 0
    _post(client, f"/engagements/{engagement_id}/einblick/revoke", engagement_id)
    assert "gab es keinen aktiven Einblick-Link" in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "on_team", "status"),
    [
        (None, False, "login"),
        (Role.CONSULTANT, False, 404),  # not on the team: the engagement is not theirs
        (Role.CONSULTANT, True, 302),
        (Role.LEAD, False, 302),
        (Role.ADMIN, False, 302),
    ],
    ids=["anonymous", "outsider", "co-consultant", "lead", "admin"],
)
def test_who_may_create_and_revoke(app, session, world, make_staff, role, on_team, status):
    engagement_id = world.engagement.id
    token = _issue(session, world)
    client = app.test_client()
    if role is not None:
        member = world.co if on_team else make_staff(role)
        assert login(client, member.email).status_code == 302
    for action in ("link", "revoke"):
        before = len(_events(session, engagement_id))
        path = f"/engagements/{engagement_id}/einblick/{action}"
        response = client.post(path, data={"csrf_token": _any_csrf_token(client)})
        if status == "login":
            assert response.status_code == 302 and "/login" in response.location
        else:
            assert response.status_code == status, (action, response.status_code)
        changed = len(_events(session, engagement_id)) > before
        assert changed is (status == 302), action
    if status != 302:
        assert engagement_by_token(session, token) == engagement_id  # untouched


def test_the_section_of_a_cancelled_engagement_offers_only_revoking(client, session, world):
    _issue(session, world)
    world.engagement.status = EngagementStatus.ABGEBROCHEN
    world.engagement.actual_end_date = TODAY
    session.flush()
    login(client, world.lead.email)
    engagement_id = world.engagement.id
    section = _section(client.get(f"/engagements/{engagement_id}").get_data(as_text=True))
    assert "/einblick/revoke" in section
    assert "/einblick/link" not in section
    response = _post(client, f"/engagements/{engagement_id}/einblick/link", engagement_id)
    assert response.status_code == 302
    html = client.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    assert "Für eine abgebrochene Prozessbegleitung kann kein Einblick-Link erzeugt" in html
    assert _active_count(session, engagement_id) == 1


def test_the_section_says_when_the_link_cannot_be_shown_again(app, client, session, world):
    link, token = issue_link(
        session, world.engagement, actor=world.lead, now=NOW, secret="an-earlier-secret-key"
    )
    login(client, world.lead.email)
    section = _section(client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True))
    assert "weil sich der Schlüssel des Servers geändert hat" in section
    assert token not in section
    assert client.get(f"/einblick/{token}").status_code == 200  # the hash still matches


# -- the page -----------------------------------------------------------------------------------


def test_the_page_shows_the_plan_in_german(client, session, world):
    token = _issue(session, world)
    response = client.get(f"/einblick/{token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "css/handout.css" in html and "css/client_view.css" in html
    text = page_text(response)
    assert "Ihre Prozessbegleitung: Gesundheitsamt Pankow" in text
    assert "Stand: 02.06.2025" in text
    assert "01.01.2025 – 31.03.2026 (geplant)" in text
    assert "verlängert; ursprünglich geplant bis 31.12.2025" in text
    assert "Status aktiv" in text
    assert "Lena Lead (Federführung)" in text and "Cem Co (Co-Begleitung)" in text

    engagement = world.engagement
    plan = body_rows(table(response, "Phasen mit geplanten Terminen"))
    assert [row[0] for row in plan] == [f"{p.position}. {p.name}" for p in engagement.phases]
    assert plan[0][3] == "06.01.2025" and plan[1][3] == "noch nicht begonnen"
    first = engagement.phases[0]
    milestones = factories.milestones_of(engagement)
    rows = body_rows(table(response, f"Meilensteine der Phase {first.name}"))
    assert rows[0] == [
        milestones[0].title,
        f"{milestones[0].due_date:%d.%m.%Y}",
        "erledigt",
        "09.01.2025",
    ]
    assert rows[1] == [milestones[1].title, f"{milestones[1].due_date:%d.%m.%Y}", "offen", "–"]
    assert rows[2][2] == "entfallen"
    shown = sum(
        len(body_rows(table(response, f"Meilensteine der Phase {phase.name}")))
        for phase in engagement.phases
    )
    assert shown == len(milestones)

    assert body_rows(table(response, "Die nächsten Termine")) == [
        ["10.06.2025", "14:30 Uhr", "Check-in"],
        ["20.06.2025", "–", "Nachhaltigkeitscheck"],
    ]
    assert body_rows(table(response, "Zugangsbarrieren und die Maßnahmen")) == [
        [
            "Verfahren & Formulare",
            "Antragsformular nur auf Deutsch",
            "in Bearbeitung",
            "Übersetzung in fünf Sprachen beauftragt",
        ]
    ]
    # Read-only: no form, no button, nothing to change.
    main = html[html.index("<main") :]
    assert "<form" not in main and "<button" not in main
    assert_accessible(response)


def test_the_page_leaves_every_internal_note_out(client, session, world):
    token = _issue(session, world)
    html = client.get(f"/einblick/{token}").get_data(as_text=True)
    for where, marker in MARKERS.items():
        assert marker not in html, where
    assert world.assignee_email not in html
    assert "Aktivitäten" not in page_text(client.get(f"/einblick/{token}"))
    # The engagement page itself shows some of them, so the markers are really there.
    login(client, world.lead.email)
    staff_page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert MARKERS["activity note"] in staff_page
    assert MARKERS["follow-up note"] in staff_page


def test_the_page_is_german_whatever_the_visitor_chose(app, client, session, world):
    token = _issue(session, world)
    with client.session_transaction() as browser:
        browser["locale"] = "en"
    # The choice is in effect elsewhere (so this test can tell the difference) …
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    # … but not here, nor for the browser's language.
    response = client.get(f"/einblick/{token}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    html = response.get_data(as_text=True)
    assert '<html lang="de">' in html
    text = page_text(response)
    assert "Phasen mit geplanten Terminen" in text and "Phases with planned dates" not in text
    assert "Stand: 02.06.2025" in text and "Status aktiv" in text
    assert "Nachhaltigkeitscheck" in text and "Sustainability check" not in text
    # A staff member who chose English sees it in German as well.
    world.lead.locale = "en"
    session.flush()
    staff = app.test_client()
    login(staff, world.lead.email)
    assert '<html lang="de">' in staff.get(f"/einblick/{token}").get_data(as_text=True)
    assert '<html lang="en">' in staff.get("/engagements").get_data(as_text=True)


def test_the_page_carries_the_headers_of_a_secret_address(client, session, world):
    token = _issue(session, world)
    response = client.get(f"/einblick/{token}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.get_data(as_text=True)


def test_unknown_revoked_and_malformed_links_are_404(client, session, world):
    token = _issue(session, world)
    unknown = "A" * 43
    for path in (
        f"/einblick/{unknown}",
        f"/einblick/{token[:-1]}",
        f"/einblick/{token}x",
        f"/einblick/{token[:-1]}!",
        "/einblick/kurz",
        f"/einblick/{hash_token(token)}",  # the stored hash is not a link
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/einblick/{token}").status_code == 200
    revoke_link(session, world.engagement, actor=world.lead, now=NOW)
    assert client.get(f"/einblick/{token}").status_code == 404


def test_a_cancelled_engagement_still_shows_without_appointments(client, session, world):
    token = _issue(session, world)
    world.engagement.status = EngagementStatus.ABGEBROCHEN
    world.engagement.actual_end_date = TODAY
    session.flush()
    response = client.get(f"/einblick/{token}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Diese Prozessbegleitung wurde vorzeitig beendet." in text
    assert "Status abgebrochen" in text and "Tatsächliches Ende 02.06.2025" in text
    assert "Zurzeit sind keine Termine geplant." in text
    assert "10.06.2025" not in text


def test_failed_lookups_are_rate_limited_reading_is_not(client, session, world):
    token = _issue(session, world)
    for _ in range(40):  # reading one's own page never counts
        assert client.get(f"/einblick/{token}").status_code == 200
    for number in range(30):
        assert client.get(f"/einblick/{'B' * 42}{number % 10}").status_code == 404
    limited = client.get(f"/einblick/{'C' * 43}")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    # Once used up, that address is refused everything here until the window has passed.
    assert client.get(f"/einblick/{token}").status_code == 429


def test_the_page_runs_a_fixed_number_of_queries(client, session, world, count_queries):
    token = _issue(session, world)
    path = f"/einblick/{token}"

    def measure() -> int:
        session.expunge_all()
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return counter.count

    small = measure()
    engagement = session.get(Engagement, world.engagement.id)
    lead = session.get(StaffMember, world.lead.id)
    for day in range(1, 9):
        factories.make_barrier(session, engagement, description=f"Barriere {day}")
        factories.make_follow_up(session, engagement, assignee=lead, due_on=date(2025, 8, day))
        factories.make_activity(session, engagement, occurred_on=date(2025, 4, day))
    large = measure()
    print(f"client view: {small} queries, {large} with more barriers and follow-ups")
    assert small == large
    # The lookup, the handout's seven and the appointments, and the settings (the sender).
    assert large <= 11


def test_the_page_shows_at_most_the_next_five_appointments(client, session, world):
    token = _issue(session, world)
    for day in range(1, 8):
        factories.make_follow_up(
            session, world.engagement, assignee=world.co, due_on=date(2025, 9, day)
        )
    rows = body_rows(table(client.get(f"/einblick/{token}"), "Die nächsten Termine"))
    assert [row[0] for row in rows] == [
        "10.06.2025",
        "20.06.2025",
        "01.09.2025",
        "02.09.2025",
        "03.09.2025",
    ]


# -- two creations at once (PostgreSQL) ---------------------------------------------------------


@dataclass(frozen=True)
class Committed:
    engagement_id: int
    lead_id: int
    organisation_id: int


@pytest.fixture
def committed(app: Flask, session: Session) -> Iterator[Committed]:
    """A committed engagement (without phases) and a lead; removed again afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("two creations at once are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        lead = factories.make_staff_member(setup, name="Lea Gleichzeitig", role=Role.LEAD)
        organisation = factories.make_organisation(setup)
        engagement = Engagement(
            organisation_id=organisation.id,
            status=EngagementStatus.AKTIV,
            start_date=date(2025, 1, 1),
            planned_end_date=date(2025, 12, 31),
            baseline_end_date=date(2025, 12, 31),
            status_changed_at=NOW,
            created_at=NOW,
        )
        setup.add(engagement)
        setup.flush()
        ids = Committed(engagement.id, lead.id, organisation.id)
        setup.commit()
    try:
        yield ids
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(delete(ClientLink).where(ClientLink.engagement_id == ids.engagement_id))
            cleanup.execute(delete(Engagement).where(Engagement.id == ids.engagement_id))
            cleanup.execute(delete(Organisation).where(Organisation.id == ids.organisation_id))
            cleanup.execute(delete(StaffMember).where(StaffMember.id == ids.lead_id))
            cleanup.commit()


def test_two_creations_at_once_leave_exactly_one_active_link(app: Flask, committed: Committed):
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, str] = {}

    def create_as_well() -> None:
        with app.app_context():
            engagement = second.get(Engagement, committed.engagement_id)
            actor = second.get(StaffMember, committed.lead_id)
            try:
                issue_link(second, engagement, actor=actor, now=NOW, secret=SECRET)
                second.commit()
                outcome["result"] = "saved"
            except EngagementError as error:
                second.rollback()
                outcome["result"] = str(error)

    try:
        engagement = first.get(Engagement, committed.engagement_id)
        actor = first.get(StaffMember, committed.lead_id)
        _link, token = issue_link(first, engagement, actor=actor, now=NOW, secret=SECRET)
        other = threading.Thread(target=create_as_well)
        other.start()
        other.join(timeout=1)
        assert other.is_alive(), "the second creation should wait for the first transaction"
        first.commit()
        other.join(timeout=30)
        assert not other.is_alive()
        assert "Gleichzeitig wurde schon ein Link" in outcome["result"]
        with Session(db.engine) as check:
            active = check.scalars(
                select(ClientLink.token_hash).where(
                    ClientLink.engagement_id == committed.engagement_id,
                    ClientLink.revoked_at.is_(None),
                )
            ).all()
            assert active == [hash_token(token)]
            created = check.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.object_id == committed.engagement_id,
                    AuditEvent.action == "client_view.link_created",
                )
            )
            assert created == 1  # nothing of the refused one was kept
    finally:
        first.close()
        second.close()


def test_the_teams_own_reminders_are_not_shown_as_appointments(client, session, world):
    token = _issue(session, world)
    factories.make_follow_up(
        session,
        world.engagement,
        assignee=world.co,
        due_on=date(2025, 6, 12),
        kind=FollowUpKind.REMINDER,
    )
    rows = body_rows(table(client.get(f"/einblick/{token}"), "Die nächsten Termine"))
    assert "12.06.2025" not in [row[0] for row in rows]
    assert [row[0] for row in rows] == ["10.06.2025", "20.06.2025"]
