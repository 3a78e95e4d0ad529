"""The calendar feeds (``/calendar/<token>.ics``) and the page that hands out their
addresses: the feed parsed with ``icalendar`` (UIDs, SEQUENCE, all-day DTEND, the time
zone, the DST weeks), what a feed shows to whom, no names of contact persons, the tokens
(unknown, revoked, regenerated, a deactivated holder), a fixed number of queries."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import (
    Assignment,
    EngagementStatus,
    MilestoneStatus,
)
from caseflow.engagements.services.common import EngagementNotPermitted
from caseflow.engagements.services.rescheduling import (
    find_anchor,
    preview_reschedule,
    reschedule,
)
from caseflow.engagements.services.team import set_team
from caseflow.engagements.shifting import AnchorKind
from caseflow.extensions import db
from caseflow.followups.calendar import (
    engagement_scope,
    hash_token,
    issue_token,
    revoke_token,
)
from caseflow.followups.models import CalendarToken, FollowUpKind, FollowUpStatus
from caseflow.followups.services import complete_follow_up
from caseflow.staff.models import Role, StaffMember
from tests import factories
from tests.conftest import csrf_token, login
from tests.pages.helpers import page_text
from tests.pages.test_accessibility_structure import assert_accessible

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
CONTACT_NAME = "Zofia Przybylska"
HOST = "caseflow.test"  # SERVER_NAME of the tests


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def team(session, make_staff):
    """Kim leads an active engagement with Noah (September 2025 to June 2026); Ola is a
    consultant outside its team who leads an engagement of her own."""
    kim = make_staff(Role.CONSULTANT, name="Kim Berater")
    noah = make_staff(Role.CONSULTANT, name="Noah Begleiter")
    ola = make_staff(Role.CONSULTANT, name="Ola Außen")
    engagement = factories.make_engagement(
        session,
        lead=kim,
        co=[noah],
        organisation=factories.make_organisation(session, name="Jugendamt Pankow"),
        start=date(2025, 9, 1),
        end=date(2026, 6, 30),
        status=EngagementStatus.AKTIV,
    )
    other = factories.make_engagement(
        session,
        lead=ola,
        organisation=factories.make_organisation(session, name="Sozialamt Spandau"),
        start=date(2025, 9, 1),
        end=date(2026, 6, 30),
        status=EngagementStatus.AKTIV,
    )
    return kim, noah, ola, engagement, other


def _feed(client, token: str) -> Calendar:
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200, response.status_code
    return Calendar.from_ical(response.data)


def _events(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _searchable(data: bytes) -> list[str]:
    """What a feed says, to look for a text that must not be in it: the raw feed unfolded
    (RFC 5545 folds lines at 75 octets with CRLF and a space, which may split a name) and
    the decoded text of every property of every component (escapes like ``\\,`` undone)."""
    raw = data.decode("utf-8")
    texts = [raw.replace("\r\n ", "").replace("\r\n\t", "")]
    for component in Calendar.from_ical(data).walk():
        for prop in component.values():
            for value in prop if isinstance(prop, list) else [prop]:
                if isinstance(value, str):  # vText and the like: the decoded text
                    texts.append(str(value))
                else:
                    encoded = value.to_ical()
                    texts.append(encoded.decode() if isinstance(encoded, bytes) else str(encoded))
    return texts


def _token(session, member: StaffMember, engagement=None) -> str:
    return issue_token(session, member, engagement=engagement, now=NOW)


def _open_future_milestone(engagement, *, title: str):
    milestone = next(m for m in factories.milestones_of(engagement) if m.title == title)
    assert milestone.due_date > TODAY + timedelta(days=5)
    return milestone


# -- the feed's form ------------------------------------------------------------------------


def test_milestones_are_all_day_events_ending_the_next_day(client, session, team):
    kim, _noah, _ola, engagement, _other = team
    token = _token(session, kim)

    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    events = _events(Calendar.from_ical(response.data))
    milestones = factories.milestones_of(engagement)
    assert milestones
    for milestone in milestones:
        event = events[f"milestone-{milestone.id}@{HOST}"]
        assert event["DTSTART"].params.get("VALUE") == "DATE"
        assert event.decoded("DTSTART") == milestone.due_date
        assert event.decoded("DTEND") == milestone.due_date + timedelta(days=1)
        assert str(event["SUMMARY"]) == f"Meilenstein: {milestone.title} – Jugendamt Pankow"
        assert str(event["URL"]) == f"http://{HOST}/engagements/{engagement.id}"
        assert str(event["URL"]) in str(event["DESCRIPTION"])
        assert event["SEQUENCE"] == 0
        assert "DTSTAMP" in event


def test_follow_ups_are_timed_events_in_berlin_with_a_vtimezone(client, session, team):
    kim, _noah, _ola, engagement, _other = team
    follow_up = factories.make_follow_up(
        session, engagement, assignee=kim, due_on=date(2026, 4, 14), kind=FollowUpKind.REMINDER
    )
    token = _token(session, kim)

    calendar = _feed(client, token)

    event = _events(calendar)[f"follow-up-{follow_up.id}@{HOST}"]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 4, 14, 9, 0, tzinfo=BERLIN)
    assert str(start.tzinfo) == "Europe/Berlin"
    assert start.utcoffset() == timedelta(hours=2)
    assert event.decoded("DTEND") - start == timedelta(minutes=30)
    assert str(event["SUMMARY"]) == "Wiedervorlage: Erinnerung – Jugendamt Pankow"
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["Europe/Berlin"]
    assert {component.name for component in zones[0].subcomponents} == {"STANDARD", "DAYLIGHT"}


@pytest.mark.parametrize(
    ("due_on", "utc_hour"),
    [
        (date(2026, 3, 28), 8),  # Saturday before summer time: CET
        (date(2026, 3, 29), 7),  # the day summer time begins: CEST
        (date(2026, 3, 30), 7),
        (date(2026, 10, 24), 7),  # the day before summer time ends: CEST
        (date(2026, 10, 25), 8),  # the day it ends: CET
        (date(2026, 10, 26), 8),
    ],
)
def test_nine_o_clock_stays_nine_o_clock_across_the_dst_weeks(
    client, session, team, due_on, utc_hour
):
    kim, _noah, _ola, engagement, _other = team
    follow_up = factories.make_follow_up(session, engagement, assignee=kim, due_on=due_on)
    # 09:00 wall time (the factory adds nine hours to midnight, 10:00 on 29 March).
    follow_up.due_at = datetime.combine(due_on, time(9, 0), tzinfo=BERLIN).astimezone(UTC)
    session.flush()
    token = _token(session, kim)

    response = client.get(f"/calendar/{token}.ics")

    raw = response.get_data(as_text=True)
    assert f"DTSTART;TZID=Europe/Berlin:{due_on:%Y%m%d}T090000" in raw
    event = _events(Calendar.from_ical(response.data))[f"follow-up-{follow_up.id}@{HOST}"]
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute) == (9, 0)
    assert start.astimezone(UTC).hour == utc_hour
    assert event.decoded("DTEND").astimezone(BERLIN).time().isoformat() == "09:30:00"


# -- UIDs and SEQUENCE ----------------------------------------------------------------------


def _sequences(calendar: Calendar) -> dict[str, int]:
    return {uid: int(event["SEQUENCE"]) for uid, event in _events(calendar).items()}


def test_a_reschedule_raises_the_sequence_of_what_moved_and_keeps_every_uid(client, session, team):
    kim, _noah, _ola, engagement, _other = team
    follow_up = factories.make_follow_up(
        session, engagement, assignee=kim, due_on=date(2026, 6, 20)
    )
    # The last milestone sits on the planned end; dropped, it stays where it is.
    factories.drop_milestone(session, factories.milestones_of(engagement)[-1])
    token = _token(session, kim)
    before = _sequences(_feed(client, token))
    moved = _open_future_milestone(engagement, title="Zwischenreflexion")
    anchor = find_anchor(engagement, AnchorKind.MILESTONE, moved.id)
    arguments = {
        "anchor": anchor,
        "days": 3,
        "shift_later": True,
        "actor": kim,
        "today": TODAY,
        "window": factories.WINDOW,
    }
    plan = preview_reschedule(session, engagement, **arguments)
    reschedule(
        session,
        engagement,
        **arguments,
        now=NOW,
        expected_version=engagement.version,
        expected_digest=plan.digest,
    )
    session.flush()
    shifted = {(move.kind, move.item_id) for move in plan.moves}
    assert ("follow_up", follow_up.id) in shifted
    assert len([kind for kind, _id in shifted if kind == "milestone"]) >= 2

    after = _sequences(_feed(client, token))

    assert after.keys() == before.keys()
    session.expire_all()
    for milestone in factories.milestones_of(engagement):
        uid = f"milestone-{milestone.id}@{HOST}"
        raised = ("milestone", milestone.id) in shifted
        assert after[uid] == before[uid] + (1 if raised else 0), milestone.title
    uid = f"follow-up-{follow_up.id}@{HOST}"
    assert after[uid] == before[uid] + 1


def test_a_changed_due_date_raises_the_sequence_and_an_unrelated_change_does_not(
    client, session, team
):
    kim, noah, _ola, engagement, _other = team
    milestone = _open_future_milestone(engagement, title="Zwischenreflexion")
    follow_up = factories.make_follow_up(session, engagement, assignee=kim, due_on=date(2026, 5, 4))
    token = _token(session, kim)
    milestone_uid = f"milestone-{milestone.id}@{HOST}"
    follow_up_uid = f"follow-up-{follow_up.id}@{HOST}"

    milestone.evidence_note = "Protokoll liegt vor"
    milestone.sort_order += 5
    follow_up.note = "Steuerungsgruppe fragen"
    session.flush()
    unrelated = _sequences(_feed(client, token))
    assert (unrelated[milestone_uid], unrelated[follow_up_uid]) == (0, 0)

    milestone.due_date += timedelta(days=2)
    follow_up.due_at += timedelta(hours=2)
    session.flush()
    changed = _sequences(_feed(client, token))
    assert (changed[milestone_uid], changed[follow_up_uid]) == (1, 1)

    # Set to the value it already has: nothing changes for the calendar.
    milestone.title = str(milestone.title)
    follow_up.kind = FollowUpKind.CHECK_IN
    session.flush()
    assert _sequences(_feed(client, token)) == changed
    assert noah  # on the team, not the holder: his feed is another test's


def test_closing_a_follow_up_raises_its_sequence_and_marks_it_done(client, session, team):
    kim, _noah, _ola, engagement, _other = team
    follow_up = factories.make_follow_up(
        session, engagement, assignee=kim, due_on=date(2026, 3, 12)
    )
    token = _token(session, kim)
    uid = f"follow-up-{follow_up.id}@{HOST}"
    assert _sequences(_feed(client, token))[uid] == 0

    complete_follow_up(session, follow_up, actor=kim, now=NOW)

    event = _events(_feed(client, token))[uid]
    assert event["SEQUENCE"] == 1
    assert str(event["SUMMARY"]).endswith("(erledigt)")
    assert str(event["STATUS"]) == "CONFIRMED"


def test_done_and_dropped_items_stay_for_ninety_days(client, session, team):
    kim, _noah, _ola, engagement, _other = team
    milestones = factories.milestones_of(engagement)
    old = next(m for m in milestones if m.due_date < TODAY - timedelta(days=90))
    recent = next(m for m in milestones if TODAY - timedelta(days=90) <= m.due_date < TODAY)
    dropped = _open_future_milestone(engagement, title="Zwischenreflexion")
    factories.complete_milestone(session, old, on=old.due_date)
    factories.complete_milestone(session, recent, on=recent.due_date)
    factories.drop_milestone(session, dropped)
    discarded = factories.make_follow_up(
        session,
        engagement,
        assignee=kim,
        due_on=date(2026, 2, 1),
        status=FollowUpStatus.VERWORFEN,
    )
    long_done = factories.make_follow_up(
        session, engagement, assignee=kim, due_on=date(2025, 11, 1), status=FollowUpStatus.ERLEDIGT
    )
    token = _token(session, kim)

    events = _events(_feed(client, token))

    assert f"milestone-{old.id}@{HOST}" not in events
    assert f"follow-up-{long_done.id}@{HOST}" not in events
    done = events[f"milestone-{recent.id}@{HOST}"]
    assert str(done["SUMMARY"]).endswith("(erledigt)")
    assert str(done["STATUS"]) == "CONFIRMED"
    gone = events[f"milestone-{dropped.id}@{HOST}"]
    assert str(gone["SUMMARY"]).endswith("(entfallen)")
    assert str(gone["STATUS"]) == "CANCELLED"
    thrown = events[f"follow-up-{discarded.id}@{HOST}"]
    assert str(thrown["STATUS"]) == "CANCELLED"
    assert str(thrown["SUMMARY"]).endswith("(verworfen)")


def test_a_closed_engagement_keeps_only_its_open_follow_ups(client, session, make_staff):
    kim = make_staff(Role.CONSULTANT)
    closed = factories.make_engagement(
        session,
        lead=kim,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.ABGESCHLOSSEN,
    )
    check = factories.make_follow_up(
        session,
        closed,
        assignee=kim,
        due_on=date(2026, 4, 1),
        kind=FollowUpKind.NACHHALTIGKEIT,
    )
    token = _token(session, kim)

    events = _events(_feed(client, token))

    assert set(events) == {f"follow-up-{check.id}@{HOST}"}
    assert all(m.status is MilestoneStatus.OFFEN for m in factories.milestones_of(closed))


# -- what a feed shows to whom --------------------------------------------------------------


def test_the_personal_feed_holds_only_the_holders_dates(client, session, team):
    kim, noah, ola, engagement, other = team
    milestones = factories.milestones_of(engagement)
    noahs, unowned = milestones[3], milestones[4]
    noahs.owner = noah
    unowned.owner = None
    assigned = factories.make_follow_up(session, engagement, assignee=noah, due_on=date(2026, 4, 2))
    kims = factories.make_follow_up(session, engagement, assignee=kim, due_on=date(2026, 4, 3))
    loose = factories.make_follow_up(session, engagement, assignee=None, due_on=date(2026, 4, 4))
    olas = factories.make_follow_up(session, other, assignee=ola, due_on=date(2026, 4, 5))
    session.flush()

    noah_events = set(_events(_feed(client, _token(session, noah))))
    kim_events = set(_events(_feed(client, _token(session, kim))))

    assert noah_events == {f"milestone-{noahs.id}@{HOST}", f"follow-up-{assigned.id}@{HOST}"}
    # The lead also watches what nobody owns.
    assert f"milestone-{unowned.id}@{HOST}" in kim_events
    assert f"follow-up-{loose.id}@{HOST}" in kim_events
    assert f"follow-up-{kims.id}@{HOST}" in kim_events
    assert f"milestone-{noahs.id}@{HOST}" not in kim_events
    assert f"follow-up-{assigned.id}@{HOST}" not in kim_events
    other_uids = {f"milestone-{m.id}@{HOST}" for m in factories.milestones_of(other)}
    other_uids.add(f"follow-up-{olas.id}@{HOST}")
    assert not other_uids & (kim_events | noah_events)


def test_an_engagement_feed_holds_that_engagement_for_its_team(client, session, team):
    kim, noah, ola, engagement, other = team
    follow_up = factories.make_follow_up(session, engagement, assignee=kim, due_on=date(2026, 5, 1))
    factories.make_follow_up(session, other, assignee=ola, due_on=date(2026, 5, 1))
    token = _token(session, noah, engagement)

    calendar = _feed(client, token)

    expected = {f"milestone-{m.id}@{HOST}" for m in factories.milestones_of(engagement)}
    expected.add(f"follow-up-{follow_up.id}@{HOST}")
    assert set(_events(calendar)) == expected
    assert "Jugendamt Pankow" in str(calendar["X-WR-CALNAME"])


def test_an_engagement_feed_closes_when_its_holder_leaves_the_team(client, session, team):
    _kim, noah, _ola, engagement, _other = team
    token = _token(session, noah, engagement)
    assert client.get(f"/calendar/{token}.ics").status_code == 200

    session.execute(
        delete(Assignment).where(
            Assignment.engagement_id == engagement.id, Assignment.staff_member_id == noah.id
        )
    )
    session.flush()

    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_leaving_the_team_revokes_the_engagement_feed_for_good(client, session, team):
    kim, noah, _ola, engagement, _other = team
    token = _token(session, noah, engagement)
    personal = _token(session, noah)

    def team_of(co):
        set_team(
            session,
            engagement,
            lead_id=kim.id,
            co_ids=[member.id for member in co],
            actor=kim,
            now=NOW,
            expected_version=engagement.version,
            capacity_limit=10,
            confirmed_ids=[member.id for member in co],
        )
        session.flush()

    team_of([])
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    team_of([noah])  # back on the team: the old address stays dead
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{personal}.ics").status_code == 200
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "engagement.team_changed")
        .order_by(AuditEvent.id)
    ).first()
    assert event.changes["calendar_feeds_revoked"] == [noah.id]


def test_only_the_team_and_leads_get_an_engagement_feed(client, session, team, make_staff):
    _kim, _noah, ola, engagement, _other = team
    with pytest.raises(EngagementNotPermitted):
        _token(session, ola, engagement)
    lead = make_staff(Role.LEAD)
    assert client.get(f"/calendar/{_token(session, lead, engagement)}.ics").status_code == 200


def test_no_contact_person_name_and_no_note_reaches_the_feed(client, session, team):
    kim, _noah, _ola, engagement, _other = team
    factories.make_contact(session, engagement.organisation, name=CONTACT_NAME)
    factories.make_follow_up(
        session,
        engagement,
        assignee=kim,
        due_on=date(2026, 4, 20),
        note=f"Termin mit {CONTACT_NAME} abstimmen",
    )
    milestone = factories.milestones_of(engagement)[0]
    factories.complete_milestone(session, milestone, on=TODAY)
    milestone.evidence_note = f"Unterschrieben von {CONTACT_NAME}"
    engagement.notes = f"Ansprechperson: {CONTACT_NAME}"
    session.flush()

    for token in (_token(session, kim), _token(session, kim, engagement)):
        texts = _searchable(client.get(f"/calendar/{token}.ics").data)
        assert any("Jugendamt Pankow" in text for text in texts)
        for secret in (CONTACT_NAME, "Przybylska", "abstimmen", "Unterschrieben", kim.name):
            assert not [text for text in texts if secret in text], secret


def test_the_search_for_secrets_sees_through_folded_lines():
    """The check above would find a name that a fold splits (and one in a decoded value)."""
    calendar = Calendar()
    calendar.add("prodid", "-//test//")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "x" * 60 + CONTACT_NAME + ", und mehr")
    data = calendar.to_ical()
    assert CONTACT_NAME.encode() not in data  # folded in the middle of the name
    texts = _searchable(data)
    assert CONTACT_NAME in texts[0]
    assert any(text == "x" * 60 + CONTACT_NAME + ", und mehr" for text in texts[1:])


# -- tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "A" * 43,  # well-formed, unknown
        "kurz",
        "A" * 44,
        "A" * 42 + "%2E",
    ],
)
def test_an_unknown_or_malformed_token_is_a_404(client, session, team, token):
    _token(session, team[0])
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_revoked_token_is_a_404(client, session, team):
    kim = team[0]
    token = _token(session, kim)
    assert revoke_token(session, kim, "all", now=NOW) is True
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert revoke_token(session, kim, "all", now=NOW) is False


def test_a_new_token_replaces_the_old_one_at_once(client, session, team):
    kim, _noah, _ola, engagement, _other = team
    old = _token(session, kim)
    scoped = _token(session, kim, engagement)

    new = _token(session, kim)

    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert client.get(f"/calendar/{scoped}.ics").status_code == 200
    rows = session.scalars(select(CalendarToken).where(CalendarToken.staff_member_id == kim.id))
    assert sorted(row.scope for row in rows) == ["all", engagement_scope(engagement.id)]
    stored = session.scalars(select(CalendarToken.token_hash)).all()
    assert hash_token(new) in stored
    assert new not in stored


def test_a_deactivated_holder_has_no_feed(client, session, team):
    kim = team[0]
    token = _token(session, kim)
    kim.is_active = False
    session.flush()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_feed_takes_a_fixed_number_of_queries(client, session, team, count_queries):
    kim, _noah, _ola, engagement, _other = team
    token = _token(session, kim)
    scoped = _token(session, kim, engagement)
    _feed(client, token)  # warm up: the first request loads what every request shares
    counts = []
    for _round in range(2):
        for url in (f"/calendar/{token}.ics", f"/calendar/{scoped}.ics"):
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        for _more in range(3):
            more = factories.make_engagement(session, lead=kim, status=EngagementStatus.AKTIV)
            factories.make_follow_up(session, more, assignee=kim, due_on=date(2026, 4, 1))
        for day in range(5):
            factories.make_follow_up(
                session, engagement, assignee=kim, due_on=date(2026, 4, 10 + day)
            )
    assert counts[:2] == counts[2:]
    assert counts[0] <= 3 and counts[1] <= 5


# -- the pages ------------------------------------------------------------------------------


def _post(client, path: str, **values: str):
    return client.post(path, data={"csrf_token": csrf_token(client, "/calendar"), **values})


def test_the_page_explains_the_feed_and_shows_a_new_address_once(client, session, team):
    kim = team[0]
    assert login(client, kim.email).status_code == 302
    page = client.get("/calendar")
    assert page.status_code == 200
    text = page_text(page)
    assert "wie ein Passwort" in text
    assert "Outlook" in text and "Thunderbird" in text and "iPhone" in text
    assert_accessible(page)

    created = _post(client, "/calendar")

    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    assert_accessible(created)
    html = created.get_data(as_text=True)
    row = session.scalars(
        select(CalendarToken).where(CalendarToken.staff_member_id == kim.id)
    ).one()
    https = next(
        part.split('"')[0]
        for part in html.split('value="')[1:]
        if part.startswith(f"http://{HOST}/calendar/")
    )
    token = https.rsplit("/", 1)[1].removesuffix(".ics")
    assert hash_token(token) == row.token_hash
    assert f'value="webcal://{HOST}/calendar/{token}.ics"' in html
    assert "readonly" in html and 'data-copy-target="feed-webcal"' in html
    assert "js/copy.js" in html and "<script>" not in html
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    # Shown once: neither the next page nor the session cookie carries it.
    again = client.get("/calendar")
    assert token not in again.get_data(as_text=True)
    assert "Eingerichtet am" in page_text(again)
    cookie = client.get_cookie("session")
    assert cookie is None or token not in cookie.value
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "staff_member", AuditEvent.object_id == kim.id
        )
    ).all()
    assert "calendar.token_created" in actions

    renewed = _post(client, "/calendar")
    assert renewed.status_code == 200
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def _buttons(response) -> list[tuple[str, str]]:
    """``(visible text, accessible name)`` of every submit button of the main content."""
    html = response.get_data(as_text=True).split("<main", 1)[1]
    found = []
    for inner in re.findall(r'<button type="submit"[^>]*>(.*?)</button>', html, re.S):
        visible = re.sub(r'<span class="visually-hidden">.*?</span>', "", inner, flags=re.S)
        found.append(
            (
                re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", visible)).strip(),
                re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", inner)).strip(),
            )
        )
    return found


def test_every_button_on_the_page_has_its_own_name(client, session, team):
    kim, _noah, _ola, engagement, _other = team
    later = factories.make_engagement(
        session,
        lead=kim,
        organisation=engagement.organisation,
        start=date(2026, 1, 5),
        end=date(2026, 7, 17),
        status=EngagementStatus.AKTIV,
    )
    for scope in (None, engagement, later):
        _token(session, kim, scope)
    assert login(client, kim.email).status_code == 302

    page = client.get("/calendar")

    assert_accessible(page)
    buttons = _buttons(page)
    assert [visible for visible, _name in buttons] == [
        "Neue Adresse erzeugen",
        "Abo widerrufen",
        "Abo widerrufen",
        "Abo widerrufen",
    ]
    names = [name for _visible, name in buttons]
    assert names == [
        "Neue Adresse erzeugen: persönliches Abo",
        "Abo widerrufen: persönliches Abo",
        "Abo widerrufen: Abo für Jugendamt Pankow, Prozessbegleitung ab 01.09.2025",
        "Abo widerrufen: Abo für Jugendamt Pankow, Prozessbegleitung ab 05.01.2026",
    ]


def test_creating_a_feed_needs_the_csrf_token(client, session, team):
    kim = team[0]
    assert login(client, kim.email).status_code == 302
    assert client.post("/calendar").status_code == 400
    assert session.scalar(select(func.count(CalendarToken.id))) == 0


def test_revoking_from_the_page(client, session, team):
    kim, _noah, _ola, engagement, _other = team
    token = _token(session, kim)
    scoped = _token(session, kim, engagement)
    assert login(client, kim.email).status_code == 302

    response = _post(client, "/calendar/revoke", scope="all")
    assert response.status_code == 302
    assert "widerrufen" in page_text(client.get(response.location))
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{scoped}.ics").status_code == 200

    back = _post(
        client, "/calendar/revoke", scope=engagement_scope(engagement.id), back="engagement"
    )
    assert back.location.endswith(f"/engagements/{engagement.id}#calendar-title")
    assert client.get(f"/calendar/{scoped}.ics").status_code == 404

    for scope in ("alles", "engagement:0", "engagement:99999999999", ""):
        refused = _post(client, "/calendar/revoke", scope=scope)
        assert refused.status_code == 302
        assert "gibt es nicht" in page_text(client.get(refused.location))


def test_the_engagement_page_offers_its_feed_to_the_team_only(client, session, team):
    _kim, noah, ola, engagement, _other = team
    path = f"/engagements/{engagement.id}"
    assert login(client, ola.email).status_code == 302
    # Off the team, the engagement is not found, nor is its feed to be had (test_idor.py).
    assert client.get(path).status_code == 404
    assert "Kalender-Abo" not in page_text(client.get(path))
    assert _post(client, f"{path}/calendar").status_code == 404
    assert _post(client, "/engagements/999999/calendar").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/calendar")})

    assert login(client, noah.email).status_code == 302
    page = client.get(path)
    assert "Kalender-Adresse für diese Prozessbegleitung erzeugen" in page_text(page)
    assert_accessible(page)
    created = _post(client, f"{path}/calendar")
    assert created.status_code == 200
    assert "Jugendamt Pankow" in page_text(created)
    row = session.scalars(
        select(CalendarToken).where(CalendarToken.staff_member_id == noah.id)
    ).one()
    assert row.scope == engagement_scope(engagement.id)
    assert "eingerichtet seit" in page_text(client.get(path))


# -- concurrency (PostgreSQL) ---------------------------------------------------------------


@pytest.fixture
def committed_holder(app: Flask, session: Session) -> Iterator[int]:
    """A committed staff member with a login; removed again (with tokens and audit events)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent upserts are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        member = factories.make_staff_member(
            setup, name="Kim Gleichzeitig", email="kim.gleichzeitig@example.org"
        )
        member.password_hash = "x"
        member_id = member.id
        setup.commit()
    try:
        yield member_id
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(delete(CalendarToken).where(CalendarToken.staff_member_id == member_id))
            cleanup.execute(delete(StaffMember).where(StaffMember.id == member_id))
            cleanup.commit()


def test_concurrent_regenerations_leave_one_token(app: Flask, committed_holder: int):
    barrier = threading.Barrier(4)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def regenerate() -> None:
        try:
            with app.app_context(), Session(db.engine) as own:
                holder = own.get(StaffMember, committed_holder)
                barrier.wait(timeout=10)
                tokens.append(issue_token(own, holder, now=NOW))
                own.commit()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=regenerate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    with Session(db.engine) as check:
        hashes = check.scalars(
            select(CalendarToken.token_hash).where(
                CalendarToken.staff_member_id == committed_holder
            )
        ).all()
    assert len(tokens) == 4
    assert len(hashes) == 1
    assert hashes[0] in {hash_token(token) for token in tokens}
