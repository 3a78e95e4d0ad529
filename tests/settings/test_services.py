"""Reading and changing settings: database over configuration, deployment overrides over
both, all-or-nothing saving with an audit event, and the rules that act on the values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.parser import BytesParser
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select

from caseflow import create_app
from caseflow.audit.models import AuditEvent
from caseflow.config import ConfigError
from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.rules import DateRuleError, check_dates, end_after_months
from caseflow.engagements.services.window import programme_window
from caseflow.followups.sweeps.engagements import engagements_ending
from caseflow.mail import MailMessage, send_mail
from caseflow.portfolio.warnings import duration_out_of_range
from caseflow.settings.models import AppSetting
from caseflow.settings.services import (
    EXTENSION_KEY,
    Override,
    SettingsRefused,
    Source,
    change,
    change_many,
    current,
    detect_overrides,
    effective,
    reset,
)
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import config_for_tests

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def _rows(session) -> dict[str, object]:
    return dict(session.execute(select(AppSetting.key, AppSetting.value)).all())


def _events(session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "setting.changed")))


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def env_locked(app, monkeypatch):
    """CAPACITY_LIMIT fixed by the environment (as ``init_app`` finds it), with the value 7."""
    locked = dict(app.extensions[EXTENSION_KEY])
    locked["CAPACITY_LIMIT"] = Override(Source.ENVIRONMENT, "CAPACITY_LIMIT")
    monkeypatch.setitem(app.extensions, EXTENSION_KEY, locked)
    monkeypatch.setitem(app.config, "CAPACITY_LIMIT", 7)


def test_without_a_row_the_configuration_holds(session):
    item = effective("CAPACITY_LIMIT", session)
    assert (item.value, item.source) == (4, Source.DEFAULT)
    assert current("MIN_DURATION_MONTHS", session) == 6
    assert current("MAX_DURATION_MONTHS", session) == 18


def test_a_change_is_stored_audited_and_takes_effect(session, admin):
    result = change(session, "CAPACITY_LIMIT", " 6 ", actor=admin, now=NOW)
    assert (result.old, result.new) == (4, 6)
    assert _rows(session) == {"CAPACITY_LIMIT": 6}
    [event] = _events(session)
    assert event.actor_id == admin.id
    assert event.object_type == "setting"
    assert event.changes == {"CAPACITY_LIMIT": [4, 6]}
    item = effective("CAPACITY_LIMIT", session)
    assert (item.value, item.source, item.updated_by_id) == (6, Source.STORED, admin.id)


def test_the_same_value_again_changes_nothing(session, admin):
    change(session, "MILESTONE_REMINDER_DAYS", "21, 7", actor=admin, now=NOW)
    assert change(session, "MILESTONE_REMINDER_DAYS", "21,7", actor=admin, now=NOW) is None
    assert len(_events(session)) == 1
    assert current("MILESTONE_REMINDER_DAYS", session) == (21, 7)


def test_one_bad_value_saves_nothing(session, admin):
    with pytest.raises(SettingsRefused) as refused:
        change_many(
            session,
            {"CAPACITY_LIMIT": "6", "RETENTION_MONTHS": "sechs", "APPLY_RATE_LIMIT": "5/hour"},
            actor=admin,
            now=NOW,
        )
    assert set(refused.value.errors) == {"RETENTION_MONTHS"}
    assert "ganze Zahl" in refused.value.errors["RETENTION_MONTHS"]
    assert _rows(session) == {}
    assert _events(session) == []


def test_the_programme_window_is_checked_as_a_whole(session, admin):
    with pytest.raises(SettingsRefused) as refused:
        change(session, "PROGRAMME_END", "2024-03-31", actor=admin, now=NOW)
    assert "nach seinem Beginn (01.04.2024)" in refused.value.errors["PROGRAMME_END"]
    # Both moved together: a next funding round.
    changes = change_many(
        session,
        {"PROGRAMME_START": "2026-08-01", "PROGRAMME_END": "2028-12-31"},
        actor=admin,
        now=NOW,
    )
    assert [c.setting.key for c in changes] == ["PROGRAMME_START", "PROGRAMME_END"]
    assert _rows(session) == {"PROGRAMME_START": "2026-08-01", "PROGRAMME_END": "2028-12-31"}


def test_minimum_and_maximum_duration_are_checked_together(session, admin):
    with pytest.raises(SettingsRefused) as refused:
        change(session, "MIN_DURATION_MONTHS", "20", actor=admin, now=NOW)
    assert "Höchstlaufzeit (18 Monate)" in refused.value.errors["MIN_DURATION_MONTHS"]
    with pytest.raises(SettingsRefused) as refused:
        change(session, "MAX_DURATION_MONTHS", "37", actor=admin, now=NOW)
    assert "zwischen 1 und 36" in refused.value.errors["MAX_DURATION_MONTHS"]
    change_many(
        session,
        {"MIN_DURATION_MONTHS": "20", "MAX_DURATION_MONTHS": "24"},
        actor=admin,
        now=NOW,
    )
    assert current("MIN_DURATION_MONTHS", session) == 20


def test_the_engagement_rule_follows_the_settings(session, admin):
    start = date(2025, 1, 1)
    check_dates(start, date(2026, 6, 30), programme_window(session))  # 18 months
    change(session, "PROGRAMME_END", "2026-03-31", actor=admin, now=NOW)
    with pytest.raises(DateRuleError, match="31.03.2026"):
        check_dates(start, date(2026, 6, 30), programme_window(session))
    with pytest.raises(DateRuleError, match="6 bis 18 Monate"):
        check_dates(start, end_after_months(start, 3), programme_window(session))
    change(session, "MIN_DURATION_MONTHS", "3", actor=admin, now=NOW)
    check_dates(start, end_after_months(start, 3), programme_window(session))


def test_reset_deletes_the_row_and_is_audited(session, admin):
    change(session, "CAPACITY_LIMIT", "9", actor=admin, now=NOW)
    result = reset(session, "CAPACITY_LIMIT", actor=admin, now=NOW)
    assert (result.old, result.new, result.is_reset) == (9, 4, True)
    assert _rows(session) == {}
    assert [event.changes for event in _events(session)] == [
        {"CAPACITY_LIMIT": [4, 9]},
        {"CAPACITY_LIMIT": [9, 4]},
    ]
    assert reset(session, "CAPACITY_LIMIT", actor=admin, now=NOW) is None


def test_a_reset_that_breaks_another_setting_is_refused(session, admin):
    change_many(
        session, {"MIN_DURATION_MONTHS": "3", "MAX_DURATION_MONTHS": "4"}, actor=admin, now=NOW
    )
    with pytest.raises(SettingsRefused):
        reset(session, "MIN_DURATION_MONTHS", actor=admin, now=NOW)
    assert current("MIN_DURATION_MONTHS", session) == 3


def test_the_environment_wins_and_blocks_editing(session, admin, env_locked):
    session.add(AppSetting(key="CAPACITY_LIMIT", value=2, updated_at=NOW))
    session.flush()
    item = effective("CAPACITY_LIMIT", session)
    assert (item.value, item.source, item.variable) == (7, Source.ENVIRONMENT, "CAPACITY_LIMIT")
    with pytest.raises(SettingsRefused) as refused:
        change_many(
            session, {"CAPACITY_LIMIT": "9", "RETENTION_MONTHS": "12"}, actor=admin, now=NOW
        )
    assert "Umgebungsvariable CAPACITY_LIMIT" in refused.value.errors["CAPACITY_LIMIT"]
    assert current("RETENTION_MONTHS", session) == 6  # nothing of the call was saved
    with pytest.raises(SettingsRefused):
        reset(session, "CAPACITY_LIMIT", actor=admin, now=NOW)


def test_overrides_are_found_in_the_environment_and_the_instance_file(app, tmp_path):
    (tmp_path / "config.py").write_text("RETENTION_MONTHS = 9\n")
    built = create_app(config_for_tests("sqlite://", tmp_path))
    found = detect_overrides(built, {"CAPACITY_LIMIT": "7", "MILESTONE_REMINDER_DAYS": "21, 7"})
    assert found == {
        "CAPACITY_LIMIT": Override(Source.ENVIRONMENT, "CAPACITY_LIMIT"),
        "MILESTONE_REMINDER_DAYS": Override(Source.ENVIRONMENT, "MILESTONE_REMINDER_DAYS"),
        "RETENTION_MONTHS": Override(Source.INSTANCE, "config.py"),
    }
    # caseflow.config does not read this variable: the settings put it into the config.
    assert built.config["MILESTONE_REMINDER_DAYS"] == (21, 7)


def test_a_bad_environment_value_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.setenv("MILESTONE_REMINDER_DAYS", "3, 14")
    with pytest.raises(ConfigError, match="MILESTONE_REMINDER_DAYS"):
        create_app(config_for_tests("sqlite://", tmp_path))


def test_two_saves_of_the_same_setting_keep_one_row(session, admin, make_staff):
    other = make_staff(Role.ADMIN)
    change(session, "CAPACITY_LIMIT", "5", actor=admin, now=NOW)
    # Another admin's save of the same key (an insert racing this one is an upsert too).
    change(session, "CAPACITY_LIMIT", "8", actor=other, now=NOW)
    assert session.scalar(select(func.count()).select_from(AppSetting)) == 1
    assert effective("CAPACITY_LIMIT", session).updated_by_id == other.id


def test_an_unusable_stored_value_falls_back_to_the_configuration(session):
    session.add(AppSetting(key="CAPACITY_LIMIT", value="viele", updated_at=NOW))
    session.flush()
    assert effective("CAPACITY_LIMIT", session).source is Source.DEFAULT
    assert current("CAPACITY_LIMIT", session) == 4


def test_outside_requests_every_call_reads_again(session, admin):
    assert current("ENDING_WITHIN_DAYS", session) == 30
    change(session, "ENDING_WITHIN_DAYS", "45", actor=admin, now=NOW)
    assert current("ENDING_WITHIN_DAYS", session) == 45


def test_mail_goes_out_from_the_sender_in_effect(app, session, admin, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(tmp_path))
    change(session, "MAIL_DEFAULT_SENDER", "DiFair Team <team@example.org>", actor=admin, now=NOW)
    send_mail(MailMessage(to="amt@example.org", subject="Hallo", text="Text"))
    [written] = list(tmp_path.glob("*.eml"))
    message = BytesParser(policy=default_policy).parsebytes(written.read_bytes())
    assert message["From"] == "DiFair Team <team@example.org>"


def test_the_sweeps_act_on_the_stored_reminder_days(app, session, admin):
    lead = factories.make_staff_member(session, name="Lea Lead")
    factories.make_engagement(
        session,
        lead=lead,
        start=date(2024, 9, 1),
        end=date(2025, 5, 31),
        status=EngagementStatus.AKTIV,
    )
    # 82 days before the planned end: outside the default 30 days, inside the stored 90.
    assert engagements_ending(session, NOW) == 0
    change(session, "ENDING_WITHIN_DAYS", "90", actor=admin, now=NOW)
    assert engagements_ending(session, NOW) == 1


def test_the_timeline_warns_by_the_durations_in_effect(session, admin):
    start = date(2025, 1, 1)
    window = programme_window(session)
    durations = (window.min_months, window.max_months)
    assert duration_out_of_range(start, end_after_months(start, 13), durations) is None
    change_many(
        session, {"MIN_DURATION_MONTHS": "3", "MAX_DURATION_MONTHS": "12"}, actor=admin, now=NOW
    )
    window = programme_window(session)
    durations = (window.min_months, window.max_months)
    warning = duration_out_of_range(start, end_after_months(start, 13), durations)
    assert warning is not None and "länger als 12 Monate" in warning.message
    assert duration_out_of_range(start, end_after_months(start, 3), durations) is None
