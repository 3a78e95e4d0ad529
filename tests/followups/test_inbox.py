"""Notifications in the app, through the pages: the bell's unread count, the inbox (order,
marks, pagination, filter), opening a notification, marking read, a newer notification
replacing an unread older one, the preferences page, query counts, and the English locale."""

from __future__ import annotations

import itertools
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.extensions import db
from caseflow.followups.inbox import ADMIN_KINDS, LEAD_KINDS, save_preferences
from caseflow.followups.models import Notification, NotificationPreference
from caseflow.followups.notify import notify
from caseflow.followups.preferences import KINDS
from caseflow.staff.models import Role, StaffMember
from tests import factories
from tests.conftest import csrf_token, login
from tests.pages.helpers import body_rows, page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

# 10 March 2025, 10:00 in Berlin (CET, UTC+1).
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
CAPTION = "neueste zuerst"
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _frozen_now():
    with clock.frozen(NOW):
        yield


def _raise(
    session,
    recipient,
    text: str,
    *,
    at: datetime = NOW,
    link: str | None = "/engagements/1",
    topic: str | None = None,
    kind: str = "milestone_due",
) -> Notification:
    """One notification to ``recipient`` raised at ``at`` (through ``notify``)."""
    key = f"test:{next(_keys)}"
    assert notify(
        session,
        recipient_id=recipient.id,
        kind=kind,
        text=text,
        link=link,
        dedup_key=key,
        now=at,
        topic=topic,
    )
    return session.scalars(select(Notification).where(Notification.dedup_key == key)).one()


def _bell(response) -> str:
    """The bell link's HTML in the header."""
    match = re.search(r'<a class="bell"[^>]*>.*?</a>', response.get_data(as_text=True), re.S)
    assert match, "no bell on the page"
    return match.group(0)


def _accessible_name(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def _post(client, path: str, **data: str):
    token = csrf_token(client, "/notifications/settings")
    return client.post(path, data={"csrf_token": token, **data})


def _shown(response) -> str:
    """The value of the "mark all read" form's hidden ``shown`` field on an inbox page."""
    html = response.get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/notifications/read-all".*?</form>', html, re.S)
    assert form, "no 'mark all read' form on the page"
    return re.search(r'name="shown" value="([^"]*)"', form.group(0)).group(1)


def _reload(session, notification: Notification) -> Notification:
    session.expire_all()
    return session.get(Notification, notification.id)


# -- the bell -----------------------------------------------------------------------------------


def test_the_bell_counts_own_unread_notifications_only(client, session, logged_in, make_staff):
    me = logged_in(Role.CONSULTANT)
    other = make_staff()
    for number in range(3):
        _raise(session, me, f"Ungelesen {number}")
    read = _raise(session, me, "Schon gelesen")
    read.read_at = NOW
    _raise(session, other, "Nicht meine")
    session.flush()

    for path in ("/dashboard", "/staff", "/notifications"):
        bell = _bell(client.get(path))
        assert 'href="/notifications"' in bell
        assert _accessible_name(bell) == "Benachrichtigungen, 3 ungelesen"
        assert '<span class="bell__count">3' in bell  # the number is visible text


def test_no_badge_when_nothing_is_unread(client, session, logged_in):
    me = logged_in()
    read = _raise(session, me, "Gelesen")
    read.read_at = NOW
    session.flush()
    bell = _bell(client.get("/dashboard"))
    assert _accessible_name(bell) == "Benachrichtigungen"
    assert "bell__count" not in bell


def test_visitors_and_error_pages_get_no_bell_and_no_error(client, session, logged_in):
    response = client.get("/")
    assert response.status_code == 200
    assert 'class="bell"' not in response.get_data(as_text=True)
    me = logged_in()
    _raise(session, me, "Eine")
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert _accessible_name(_bell(response)) == "Benachrichtigungen, 1 ungelesen"


def test_the_bell_runs_one_query_whatever_the_count(client, session, logged_in, count_queries):
    me = logged_in()

    def statements() -> list[str]:
        with count_queries() as counter:
            assert client.get("/staff").status_code == 200
        return [s for s in counter.statements if "notification" in s]

    _raise(session, me, "Eine")
    few = statements()
    for number in range(20):
        _raise(session, me, f"Noch eine {number}")
    assert len(statements()) == len(few) == 1


# -- the inbox ----------------------------------------------------------------------------------


def test_the_inbox_lists_own_notifications_newest_first(client, session, logged_in, make_staff):
    me = logged_in()
    other = make_staff()
    older = _raise(session, me, "Meilenstein A bald fällig", at=NOW - timedelta(days=2))
    older.read_at = NOW - timedelta(days=1)
    _raise(session, me, "Wiedervorlage B fällig", at=NOW - timedelta(hours=1), link=None)
    _raise(session, other, "Geht mich nichts an")
    session.flush()

    response = client.get("/notifications")
    assert response.status_code == 200
    assert_accessible(response)
    rows = body_rows(table(response, CAPTION))
    assert [row[:3] for row in rows] == [
        ["ungelesen", "Wiedervorlage B fällig", "10.03.2025, 09:00"],
        ["gelesen", "Meilenstein A bald fällig", "08.03.2025, 10:00"],
    ]
    assert rows[0][3] == "Als gelesen markieren: Wiedervorlage B fällig"
    assert rows[1][3] == ""
    html = response.get_data(as_text=True)
    assert f'href="/notifications/{older.id}"' in html
    assert "Geht mich nichts an" not in html
    assert "1 ungelesene Benachrichtigung" in page_text(response)


def test_an_empty_inbox_says_so(client, logged_in):
    logged_in()
    response = client.get("/notifications")
    assert response.status_code == 200
    assert "Sie haben noch keine Benachrichtigungen." in page_text(response)
    assert "Alle als gelesen markieren" not in page_text(response)


def test_the_inbox_pages_by_fifty(client, session, logged_in):
    me = logged_in()
    for number in range(51):
        _raise(session, me, f"Nummer {number:02d}", at=NOW - timedelta(minutes=number))

    first = client.get("/notifications")
    rows = body_rows(table(first, CAPTION))
    assert len(rows) == 50
    assert rows[0][1] == "Nummer 00"
    assert "Seite 1 von 2" in page_text(first)
    assert 'href="/notifications?page=2"' in first.get_data(as_text=True)

    second = client.get("/notifications?page=2")
    assert [row[1] for row in body_rows(table(second, CAPTION))] == ["Nummer 50"]
    assert 'href="/notifications?page=1"' in second.get_data(as_text=True)

    for bad in ("abc", "0", "-1", "1.5", "%00", "99999999999999999999"):
        response = client.get(f"/notifications?page={bad}")
        assert response.status_code in (200, 400), bad
        if response.status_code == 200:
            assert body_rows(table(response, CAPTION))[0][1] == "Nummer 00", bad
    assert client.get("/notifications?page=3").status_code == 404


def test_the_unread_filter(client, session, logged_in):
    me = logged_in()
    read = _raise(session, me, "Gelesene", at=NOW - timedelta(hours=2))
    read.read_at = NOW
    _raise(session, me, "Ungelesene")
    session.flush()
    response = client.get("/notifications?show=unread")
    assert [row[1] for row in body_rows(table(response, CAPTION))] == ["Ungelesene"]
    assert 'aria-current="page">Nur ungelesene' in response.get_data(as_text=True)

    response = client.get("/notifications?show=quatsch")
    assert response.status_code == 200
    assert "Diesen Filter gibt es nicht" in page_text(response)
    assert len(body_rows(table(response, CAPTION))) == 2

    read_all = _raise(session, me, "Noch eine")
    read_all.read_at = NOW
    session.query(Notification).filter(Notification.recipient_id == me.id).update({"read_at": NOW})
    session.flush()
    response = client.get("/notifications?show=unread")
    assert "Sie haben keine ungelesenen Benachrichtigungen." in page_text(response)


def test_the_inbox_runs_a_fixed_number_of_queries(client, session, logged_in, count_queries):
    me = logged_in()

    def statements() -> int:
        client.get("/notifications")  # warm up
        with count_queries() as counter:
            assert client.get("/notifications").status_code == 200
        return counter.count

    _raise(session, me, "Eine")
    few = statements()
    for number in range(60):
        _raise(session, me, f"Noch eine {number}", at=NOW - timedelta(minutes=number))
    assert statements() == few


# -- opening and marking read --------------------------------------------------------------------


def test_opening_marks_read_and_goes_to_the_object(client, session, logged_in):
    me = logged_in()
    # On the engagement's team: a consultant may open only their own (tests/test_idor.py).
    engagement = factories.make_engagement(session, lead=me)
    link = f"/engagements/{engagement.id}#milestone-3"
    notification = _raise(session, me, "Meilenstein", link=link)
    response = client.get(f"/notifications/{notification.id}")
    assert response.status_code == 302
    assert response.location == link
    assert _reload(session, notification).read_at == NOW
    # Again: still read at the first time, same target.
    with clock.frozen(NOW + timedelta(hours=1)):
        assert client.get(f"/notifications/{notification.id}").location.endswith("milestone-3")
    assert _reload(session, notification).read_at == NOW


def test_a_head_request_redirects_without_marking_read(client, session, logged_in):
    me = logged_in()
    engagement = factories.make_engagement(session, lead=me)
    link = f"/engagements/{engagement.id}"
    notification = _raise(session, me, "Meilenstein", link=link)
    response = client.head(f"/notifications/{notification.id}")
    assert response.status_code == 302
    assert response.location == link
    assert _reload(session, notification).read_at is None
    assert client.get(f"/notifications/{notification.id}").status_code == 302
    assert _reload(session, notification).read_at == NOW


@pytest.mark.parametrize(
    "link", [None, "https://example.org/x", "//example.org/x", "/\\example.org", "engagements/1"]
)
def test_a_link_off_this_site_leads_to_the_inbox(client, session, logged_in, link):
    me = logged_in()
    notification = _raise(session, me, "Seltsamer Link", link=link)
    response = client.get(f"/notifications/{notification.id}")
    assert response.status_code == 302
    assert response.location == "/notifications"
    assert _reload(session, notification).read_at == NOW


def test_someone_elses_notification_is_a_404(client, session, logged_in, make_staff):
    logged_in()
    other = make_staff()
    theirs = _raise(session, other, "Nicht meine")
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    assert _post(client, f"/notifications/{theirs.id}/read").status_code == 404
    assert client.get("/notifications/2147483647").status_code == 404
    assert client.get("/notifications/99999999999").status_code == 404
    assert _reload(session, theirs).read_at is None


def test_marking_one_read_is_idempotent(client, session, logged_in):
    me = logged_in()
    notification = _raise(session, me, "Lesen")
    other = _raise(session, me, "Bleibt ungelesen")
    for _ in range(2):
        response = _post(client, f"/notifications/{notification.id}/read", page="1")
        assert response.status_code == 302
        assert response.location == "/notifications"
        assert "Die Benachrichtigung ist als gelesen markiert." in page_text(
            client.get(response.location)
        )
    assert _reload(session, notification).read_at == NOW
    assert _reload(session, other).read_at is None


def test_marking_read_needs_the_csrf_token(client, session, logged_in):
    me = logged_in()
    notification = _raise(session, me, "Lesen")
    assert client.post(f"/notifications/{notification.id}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert _reload(session, notification).read_at is None


def test_marking_all_read(client, session, logged_in, make_staff):
    me = logged_in()
    other = make_staff()
    mine = [_raise(session, me, f"Meine {number}") for number in range(3)]
    theirs = _raise(session, other, "Nicht meine")
    shown = _shown(client.get("/notifications"))
    assert shown == str(mine[-1].id)

    response = _post(client, "/notifications/read-all", show="unread", page="2", shown=shown)
    assert response.location == "/notifications?show=unread"
    page = client.get(response.location)
    assert "3 Benachrichtigungen sind als gelesen markiert." in page_text(page)
    assert "bell__count" not in _bell(page)
    assert all(_reload(session, item).read_at == NOW for item in mine)
    assert _reload(session, theirs).read_at is None

    response = _post(client, "/notifications/read-all", shown=shown)
    assert "Sie haben keine ungelesenen Benachrichtigungen." in page_text(
        client.get(response.location)
    )


def test_marking_all_read_spares_what_arrived_after_the_page(client, session, logged_in):
    me = logged_in()
    seen = [_raise(session, me, f"Gesehen {number}") for number in range(2)]
    older = _raise(session, me, "Ältere", at=NOW - timedelta(days=1))
    page = client.get("/notifications?show=unread")
    later = _raise(session, me, "Kam danach")

    response = _post(client, "/notifications/read-all", show="unread", shown=_shown(page))

    assert "3 Benachrichtigungen sind als gelesen markiert." in page_text(
        client.get(response.location)
    )
    assert all(_reload(session, item).read_at == NOW for item in [*seen, older])
    assert _reload(session, later).read_at is None
    assert _accessible_name(_bell(client.get("/notifications"))) == (
        "Benachrichtigungen, 1 ungelesen"
    )


@pytest.mark.parametrize("shown", [None, "", "abc", "-1", "0", "1.5", "99999999999", "\u0661"])
def test_marking_all_read_without_a_plain_shown_id_marks_nothing(client, session, logged_in, shown):
    me = logged_in()
    notification = _raise(session, me, "Bleibt ungelesen")
    data = {} if shown is None else {"shown": shown}
    response = _post(client, "/notifications/read-all", **data)
    assert response.status_code == 302
    page = client.get(response.location)
    assert page.status_code == 200
    assert "Fehler: Die Benachrichtigungen konnten nicht als gelesen markiert werden." in (
        page_text(page)
    )
    assert _reload(session, notification).read_at is None


# -- a newer notification about the same topic ---------------------------------------------------


def test_a_newer_notification_replaces_an_unread_older_one(client, session, logged_in):
    me = logged_in()
    _raise(session, me, "Meilenstein in 14 Tagen fällig", topic="milestone:5")
    _raise(
        session,
        me,
        "Meilenstein in 3 Tagen fällig",
        topic="milestone:5",
        at=NOW + timedelta(days=11),
    )
    response = client.get("/notifications")
    assert [row[:2] for row in body_rows(table(response, CAPTION))] == [
        ["ungelesen", "Meilenstein in 3 Tagen fällig"]
    ]
    assert _accessible_name(_bell(response)) == "Benachrichtigungen, 1 ungelesen"


def test_a_read_older_one_stays_listed_as_read(client, session, logged_in):
    me = logged_in()
    older = _raise(session, me, "Meilenstein in 14 Tagen fällig", topic="milestone:5")
    assert client.get(f"/notifications/{older.id}").status_code == 302
    _raise(
        session,
        me,
        "Meilenstein überfällig",
        topic="milestone:5",
        at=NOW + timedelta(days=15),
        kind="milestone_overdue",
    )
    response = client.get("/notifications")
    assert [row[:2] for row in body_rows(table(response, CAPTION))] == [
        ["ungelesen", "Meilenstein überfällig"],
        ["gelesen", "Meilenstein in 14 Tagen fällig"],
    ]
    assert _accessible_name(_bell(response)) == "Benachrichtigungen, 1 ungelesen"


# -- the dashboard ------------------------------------------------------------------------------


def test_the_dashboard_lists_the_newest_unread(client, session, logged_in):
    me = logged_in()
    for number in range(7):
        _raise(session, me, f"Neu {number}", at=NOW - timedelta(minutes=number))
    text = page_text(client.get("/dashboard"))
    assert "Neue Benachrichtigungen" in text
    assert "Neu 0" in text and "Neu 4" in text
    assert "Neu 5" not in text
    assert "7 ungelesene Benachrichtigungen" in text


# -- preferences ------------------------------------------------------------------------------


def _checked(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    found = {}
    for tag in re.findall(r"<input[^>]*type=\"radio\"[^>]*>", html):
        if " checked" in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            found[name] = re.search(r'value="([^"]+)"', tag).group(1)
    return found


def _stored(session, member) -> dict[str, str]:
    session.expire_all()
    rows = session.scalars(
        select(NotificationPreference).where(NotificationPreference.staff_member_id == member.id)
    )
    return {row.kind: row.channel for row in rows}


def _choices(**changes: str) -> dict[str, str]:
    """A lead's choices: every kind but those only admins receive."""
    defaults = {kind.key: kind.default for kind in KINDS if kind.key not in ADMIN_KINDS}
    return {**defaults, **changes}


def _consultant_choices(**changes: str) -> dict[str, str]:
    """``_choices`` without the kinds only leads and admins receive."""
    return {key: value for key, value in _choices(**changes).items() if key not in LEAD_KINDS}


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD, Role.ADMIN])
def test_the_preferences_show_the_defaults_and_the_options(client, logged_in, role):
    logged_in(role)
    response = client.get("/notifications/settings")
    assert response.status_code == 200
    assert_accessible(response)
    hidden = {
        Role.CONSULTANT: LEAD_KINDS | ADMIN_KINDS,
        Role.LEAD: ADMIN_KINDS,
        Role.ADMIN: frozenset(),
    }[role]
    offered = [kind for kind in KINDS if kind.key not in hidden]
    assert len(offered) == len(KINDS) - {Role.CONSULTANT: 3, Role.LEAD: 1, Role.ADMIN: 0}[role]
    assert _checked(response) == {kind.key: kind.default for kind in offered}
    html = response.get_data(as_text=True)
    for kind in KINDS:
        if kind not in offered:
            assert f'name="{kind.key}"' not in html
            assert str(kind.label) not in page_text(response)
    for kind in offered:
        assert f"<legend>{kind.label}" in html
        assert f'name="{kind.key}" type="radio" value="app"' in html
        assert f'name="{kind.key}" type="radio" value="email"' in html
        has_off = f'name="{kind.key}" type="radio" value="off"' in html
        assert has_off == kind.may_turn_off
    text = page_text(response)
    assert "Nur in caseflow" in text and "In caseflow und per E-Mail" in text and "Aus" in text
    assert "keine E-Mail-Adresse" not in text


def test_a_consultant_cannot_set_the_application_kinds(client, session, logged_in):
    me = logged_in(Role.CONSULTANT)
    data = _choices(milestone_due="app", application_new="app", application_undecided="app")
    response = _post(client, "/notifications/settings", **data)
    assert response.status_code == 302
    assert _stored(session, me) == _consultant_choices(milestone_due="app")
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.notification_preferences_set")
    ).one()
    assert event.changes == {"milestone_due": ["email", "app"]}
    # Not even a bad value for a kind not offered is looked at.
    response = _post(
        client, "/notifications/settings", **_consultant_choices(), application_new="x"
    )
    assert response.status_code == 302


def test_a_lead_sets_the_application_kinds(client, session, logged_in):
    me = logged_in(Role.LEAD)
    data = _choices(application_new="app", application_undecided="app")
    response = _post(client, "/notifications/settings", **data)
    assert response.status_code == 302
    assert _checked(client.get(response.location)) == data
    assert _stored(session, me) == data
    missing = _choices()
    del missing["application_undecided"]
    response = _post(client, "/notifications/settings", **missing)
    assert response.status_code == 422
    assert 'id="application_undecided-error"' in response.get_data(as_text=True)


def test_saving_the_preferences(client, session, logged_in):
    me = logged_in(Role.LEAD)
    data = _choices(milestone_due="app", digest="off")
    response = _post(client, "/notifications/settings", **data)
    assert response.status_code == 302
    page = client.get(response.location)
    assert "Ihre Einstellungen für Benachrichtigungen sind gespeichert." in page_text(page)
    assert _checked(page) == data
    assert _stored(session, me) == data
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.notification_preferences_set")
    ).one()
    assert event.object_id == me.id
    assert event.changes == {"milestone_due": ["email", "app"], "digest": ["email", "off"]}

    # Saving the same again, then a change back: still one row per kind.
    response = _post(client, "/notifications/settings", **data)
    assert "Sie haben nichts geändert." in page_text(client.get(response.location))
    _post(client, "/notifications/settings", **_choices(milestone_due="email"))
    assert _stored(session, me) == _choices(milestone_due="email")
    count = session.scalar(
        select(func.count())
        .select_from(NotificationPreference)
        .where(NotificationPreference.staff_member_id == me.id)
    )
    assert count == len(KINDS) - len(ADMIN_KINDS)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"milestone_due": "off"}, "milestone_due", "lässt sich nicht ausschalten"),
        ({"digest": "fax"}, "digest", "Bitte wählen Sie eine der angebotenen Möglichkeiten."),
        ({"follow_up_due": ""}, "follow_up_due", "wie Sie benachrichtigt werden möchten"),
    ],
)
def test_bad_preferences_are_refused_with_a_message(
    client, session, logged_in, changes, field, message
):
    me = logged_in(Role.LEAD)
    data = _choices(application_new="app", **changes)
    response = _post(client, "/notifications/settings", **data)
    assert response.status_code == 422
    assert_accessible(response)
    html = response.get_data(as_text=True)
    assert message in page_text(response)
    assert f'id="{field}-error"' in html
    assert f'href="#{field}-0"' in html  # the error summary points at the group
    assert _stored(session, me) == {}


def test_a_missing_kind_is_refused(client, session, logged_in):
    me = logged_in()
    data = _choices()
    del data["engagement_ending"]
    response = _post(client, "/notifications/settings", **data)
    assert response.status_code == 422
    assert 'id="engagement_ending-error"' in response.get_data(as_text=True)
    assert _stored(session, me) == {}


def test_two_saves_at_once_make_one_row_per_kind(app):
    """PostgreSQL: the second insert-or-update waits for the first transaction, then updates
    its rows instead of failing on the unique key."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent upserts are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        member_id = factories.make_staff_member(setup, name="Pat Gleichzeitig", role=Role.LEAD).id
        setup.commit()
    first, second = Session(db.engine), Session(db.engine)
    try:
        save_preferences(
            first,
            first.get(StaffMember, member_id),
            _choices(digest="off"),
            actor=first.get(StaffMember, member_id),
            now=NOW,
        )
        outcome: dict[str, object] = {}
        theirs = second.get(StaffMember, member_id)

        def save_as_well() -> None:
            with app.app_context():
                try:
                    save_preferences(
                        second, theirs, _choices(milestone_due="app"), actor=theirs, now=NOW
                    )
                    second.commit()
                    outcome["result"] = "saved"
                except Exception as error:  # noqa: BLE001  (the test reports it)
                    second.rollback()
                    outcome["result"] = repr(error)

        other = threading.Thread(target=save_as_well)
        other.start()
        other.join(timeout=1)
        assert other.is_alive(), "the second save should wait for the first transaction"
        first.commit()
        other.join(timeout=30)
        assert outcome == {"result": "saved"}
        with Session(db.engine) as check:
            rows = check.execute(
                select(NotificationPreference.kind, NotificationPreference.channel).where(
                    NotificationPreference.staff_member_id == member_id
                )
            ).all()
        assert sorted(rows) == sorted(_choices(milestone_due="app").items())
    finally:
        first.close()
        second.close()
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(
                delete(NotificationPreference).where(
                    NotificationPreference.staff_member_id == member_id
                )
            )
            cleanup.execute(delete(StaffMember).where(StaffMember.id == member_id))
            cleanup.commit()


# -- English -----------------------------------------------------------------------------------


def test_the_pages_render_in_english(client, session, make_staff):
    member = make_staff()
    member.locale = "en"
    session.flush()
    assert login(client, member.email).status_code == 302
    _raise(session, member, "Meilenstein")
    for path in ("/notifications", "/notifications/settings", "/dashboard"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="en">' in response.get_data(as_text=True)


def test_visitors_are_sent_to_the_login(client):
    for path in ("/notifications", "/notifications/settings", "/notifications/1"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.location
