"""The scheduler process: its job table, one job's failure, the catch-up after downtime, the
heartbeat and the admins' warning, the SQLite lock, and that the web app never starts it."""

from __future__ import annotations

import logging
import os
import runpy
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import flask_migrate
import pytest
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from caseflow import clock, create_app, scheduler
from caseflow.engagements.models import EngagementStatus
from caseflow.extensions import db
from caseflow.followups.heartbeat import SchedulerStatus, beat, scheduler_status
from caseflow.followups.models import MailStatus, Notification, SchedulerHeartbeat
from caseflow.followups.sweeps import Sweep
from caseflow.followups.views import scheduler_status as status_view
from caseflow.jobs import SWEEPS
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import config_for_tests, dispose_engines
from tests.test_scheduler_postgres import scheduler_env, two_schedulers_take_turns

BERLIN = ZoneInfo("Europe/Berlin")
STARTED_AT = datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def built(app: Flask, **kwargs) -> BaseScheduler:
    return scheduler.build_scheduler(
        app, holder="host:1", started_at=STARTED_AT, **{"sweeps": SWEEPS, **kwargs}
    )


def noop(session, now) -> int:
    return 0


# -- the job table -----------------------------------------------------------------------------


def test_every_sweep_the_mail_and_the_heartbeat_are_jobs_with_explicit_settings(app: Flask):
    table = built(app)
    jobs = {job.id: job for job in table.get_jobs()}
    assert set(jobs) == {f"sweep:{sweep.key}" for sweep in SWEEPS} | {"mail", "heartbeat"}
    assert isinstance(table, BlockingScheduler)
    assert table.timezone == BERLIN
    for job in jobs.values():
        assert job.coalesce is True, job.id
        assert job.max_instances == 1, job.id
        assert isinstance(job.misfire_grace_time, int) and job.misfire_grace_time > 0, job.id
        assert job.trigger.timezone == BERLIN, job.id
    assert jobs["mail"].trigger.interval == timedelta(minutes=1)
    assert jobs["heartbeat"].trigger.interval == timedelta(minutes=1)
    assert jobs["sweep:milestones"].trigger.interval == timedelta(minutes=10)


def test_the_timing_table_gives_each_kind_of_sweep_its_trigger(app: Flask):
    keys = ("applications_new", "digest", "retention", "something_new")
    sweeps = tuple(Sweep(key, key, noop) for key in keys)
    jobs = {job.id: job for job in built(app, sweeps=sweeps).get_jobs()}

    assert jobs["sweep:applications_new"].trigger.interval == timedelta(minutes=1)
    assert jobs["sweep:something_new"].trigger.interval == timedelta(minutes=10)
    # The digest: Monday 08:00 Berlin time, also in the week the clocks go forward.
    after = datetime(2026, 3, 25, 12, 0, tzinfo=BERLIN)
    digest = jobs["sweep:digest"].trigger.get_next_fire_time(None, after)
    assert digest == datetime(2026, 3, 30, 8, 0, tzinfo=BERLIN)
    assert digest.utcoffset() == timedelta(hours=2)
    retention = jobs["sweep:retention"].trigger.get_next_fire_time(None, after)
    assert retention == datetime(2026, 3, 26, 3, 30, tzinfo=BERLIN)


def _cron_fire_times(trigger: CronTrigger, start: datetime, end: datetime):
    """Fire times from ``start`` to ``end``, one a day at most (a trigger stuck in the
    missing DST hour does not loop forever: each step starts at the next day)."""
    day = start
    while day < end:
        fire = trigger.get_next_fire_time(None, day)
        if fire is None or fire >= end:
            return
        yield fire
        day = datetime.combine(fire.astimezone(BERLIN).date() + timedelta(days=1), day.timetz())


def test_no_cron_job_fires_between_two_and_three_at_night(app: Flask):
    """On 29.03.2026 02:00–03:00 does not exist and on 25.10.2026 it happens twice: a cron
    job in that hour would be skipped or run twice. Every cron trigger of the timing table
    (also of sweeps not written yet) and of the job table is checked over a whole year."""
    sweeps = (*SWEEPS, *(Sweep(key, key, noop) for key in scheduler.SWEEP_TIMINGS))
    unique = {sweep.key: sweep for sweep in sweeps}.values()
    jobs = built(app, sweeps=tuple(unique)).get_jobs()
    crons = [job for job in jobs if isinstance(job.trigger, CronTrigger)]
    assert {job.id for job in crons} >= {"sweep:digest", "sweep:retention"}
    start = datetime(2026, 1, 1, tzinfo=BERLIN)
    for job in crons:
        fires = list(_cron_fire_times(job.trigger, start, start.replace(year=2027)))
        assert fires, job.id
        in_the_gap = [fire for fire in fires if fire.astimezone(BERLIN).hour == 2]
        assert not in_the_gap, f"{job.id} fires at {in_the_gap[0]}"
    for job in jobs:
        assert isinstance(job.trigger, CronTrigger | IntervalTrigger), job.id


# -- running jobs ------------------------------------------------------------------------------


def test_a_failing_job_is_rolled_back_and_logged_and_the_next_job_runs(app: Flask, session, caplog):
    def broken(session, now) -> int:
        beat(session, now, "half:done", now)  # written, then lost with the rollback
        raise RuntimeError("kaputt")

    ran: list[datetime] = []

    def working(session, now) -> int:
        ran.append(now)
        return 0

    sweeps = (Sweep("broken", "Kaputt", broken), Sweep("working", "Geht", working))
    jobs = {job.id: job for job in built(app, sweeps=sweeps).get_jobs()}
    moment = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
    with caplog.at_level(logging.ERROR, logger="caseflow.scheduler"), clock.frozen(moment):
        for job_id in ("sweep:broken", "sweep:working", "heartbeat"):
            jobs[job_id].func(*jobs[job_id].args)
    failures = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert [record.getMessage() for record in failures] == ["scheduler job sweep:broken failed"]
    assert "RuntimeError: kaputt" in caplog.text
    assert ran == [moment]
    holders = session.scalars(select(SchedulerHeartbeat.holder)).all()
    assert holders == ["host:1"]


@pytest.fixture
def due_later(session):
    """A lead with two follow-ups, due on 02.03. and 05.03.2026."""
    lead = factories.make_staff_member(session, name="Lea Leitung", email="lea@example.org")
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    for day in (date(2026, 3, 2), date(2026, 3, 5)):
        factories.make_follow_up(session, engagement, assignee=lead, due_on=day)
    session.commit()
    return lead


def test_after_days_of_downtime_the_catch_up_notifies_once_not_once_per_missed_run(
    app: Flask, session, due_later
):
    def follow_up_notifications() -> list[tuple[str, datetime, MailStatus]]:
        return session.execute(
            select(Notification.dedup_key, Notification.created_at, Notification.mail_status)
            .where(Notification.kind == "follow_up_due")
            .order_by(Notification.dedup_key)
        ).all()

    before = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    scheduler.catch_up(app, before)
    assert follow_up_notifications() == []

    # Six days later (hundreds of missed ten-minute runs): one run catches up, once.
    after = before + timedelta(days=6)
    scheduler.catch_up(app, after)
    rows = follow_up_notifications()
    assert len(rows) == 2
    assert {row.created_at for row in rows} == {after}
    assert {row.mail_status for row in rows} == {MailStatus.SENT}
    scheduler.catch_up(app, after + timedelta(minutes=10))
    assert follow_up_notifications() == rows


# -- the heartbeat -----------------------------------------------------------------------------


def test_the_heartbeat_job_writes_one_row_and_the_status_turns_stale(app: Flask, session):
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, the night the clocks go back
    assert scheduler_status(session, first) == SchedulerStatus(
        beat_at=None, holder=None, started_at=None, is_stale=True
    )
    heartbeat = {job.id: job for job in built(app).get_jobs()}["heartbeat"]
    for minutes in (0, 1, 2):
        with clock.frozen(first + timedelta(minutes=minutes)):
            heartbeat.func(*heartbeat.args)
    rows = session.execute(select(SchedulerHeartbeat)).scalars().all()
    assert [(row.name, row.holder, row.started_at, row.beat_at) for row in rows] == [
        ("main", "host:1", STARTED_AT, first + timedelta(minutes=2))
    ]
    last = first + timedelta(minutes=2)
    fresh = scheduler_status(session, last + timedelta(minutes=15))
    assert (fresh.beat_at, fresh.holder, fresh.is_stale) == (last, "host:1", False)
    stale = scheduler_status(session, last + timedelta(minutes=15, seconds=1))
    assert stale.is_stale and stale.beat_at == last
    shorter = scheduler_status(
        session, last + timedelta(minutes=6), stale_after=timedelta(minutes=5)
    )
    assert shorter.is_stale


def test_the_holder_names_host_and_process():
    assert scheduler.holder_name() == f"{socket.gethostname()}:{os.getpid()}"


# -- the admins' warning -----------------------------------------------------------------------

NOW = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)  # 12:00 in Berlin, the first day of summer time
WARNING_TITLE = "Warnung: Der Scheduler läuft nicht."


def _beat_minutes_ago(session, minutes: int) -> None:
    beat(session, NOW - timedelta(minutes=minutes), "host:1", STARTED_AT)
    session.commit()


def test_admins_see_when_the_scheduler_never_reported(app: Flask, client, logged_in):
    logged_in(Role.ADMIN)
    with clock.frozen(NOW):
        page = client.get("/staff").get_data(as_text=True)
    assert WARNING_TITLE in page
    assert "Der Scheduler hat sich noch nie gemeldet." in page
    assert "Erinnerungen und E-Mails werden nicht verschickt." in page
    assert 'role="status"' in page


def test_admins_see_since_when_the_scheduler_is_silent_in_berlin_time(
    app: Flask, session, client, logged_in
):
    logged_in(Role.ADMIN)
    _beat_minutes_ago(session, 20)
    with clock.frozen(NOW):
        page = client.get("/staff").get_data(as_text=True)
    assert (
        "Der Scheduler hat sich seit 29.03.2026, 11:40 nicht gemeldet. "
        "Erinnerungen und E-Mails werden nicht verschickt."
    ) in " ".join(page.split())


@pytest.mark.parametrize("minutes", [0, 15])
def test_admins_see_no_warning_while_the_heartbeat_is_fresh(
    app: Flask, session, client, logged_in, minutes
):
    logged_in(Role.ADMIN)
    _beat_minutes_ago(session, minutes)
    with clock.frozen(NOW):
        page = client.get("/staff").get_data(as_text=True)
    assert WARNING_TITLE not in page


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD])
def test_staff_who_are_not_admins_see_no_warning_and_cost_no_query(
    app: Flask, session, client, logged_in, count_queries, role
):
    logged_in(role)
    _beat_minutes_ago(session, 60)
    with clock.frozen(NOW), count_queries() as counter:
        response = client.get("/staff")
    assert response.status_code == 200
    assert WARNING_TITLE not in response.get_data(as_text=True)
    assert not [sql for sql in counter.statements if "scheduler_heartbeat" in sql]


def test_public_pages_ask_nothing_about_the_scheduler(app: Flask, client, count_queries):
    with clock.frozen(NOW), count_queries() as counter:
        for path in ("/", "/login", "/gibt-es-nicht"):
            response = client.get(path)
            assert response.status_code in (200, 302, 404), path
            assert WARNING_TITLE not in response.get_data(as_text=True)
    assert not [sql for sql in counter.statements if "scheduler_heartbeat" in sql]


def test_error_pages_of_admins_still_render(app: Flask, client, logged_in, monkeypatch):
    logged_in(Role.ADMIN)
    with clock.frozen(NOW):
        missing = client.get("/gibt-es-nicht")
    assert missing.status_code == 404
    assert "Der Scheduler hat sich noch nie gemeldet." in missing.get_data(as_text=True)

    def unreachable(session, now):
        raise OperationalError("SELECT …", {}, Exception("server closed the connection"))

    monkeypatch.setattr(status_view, "scheduler_status", unreachable)
    with clock.frozen(NOW):
        page = client.get("/staff")
    assert page.status_code == 200
    assert WARNING_TITLE not in page.get_data(as_text=True)


# -- the SQLite lock ---------------------------------------------------------------------------


def test_the_lock_file_admits_one_holder_at_a_time(tmp_path: Path):
    path = tmp_path / "sub" / "scheduler.lock"
    first, second = scheduler.FileLock(path), scheduler.FileLock(path)
    assert first.acquire()
    try:
        assert not second.acquire()
        assert path.read_text().strip() == scheduler.holder_name()
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_sqlite_uses_the_lock_file_from_the_config(app: Flask, tmp_path: Path, monkeypatch):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        lock = scheduler.lock_for(app)
        assert isinstance(lock, scheduler.AdvisoryLock)
        assert lock.key == scheduler.ADVISORY_LOCK_KEY
        return
    lock = scheduler.lock_for(app)
    assert isinstance(lock, scheduler.FileLock)
    assert lock.path == Path(app.instance_path) / "scheduler.lock"
    monkeypatch.setitem(app.config, "SCHEDULER_LOCK_FILE", str(tmp_path / "other.lock"))
    assert scheduler.lock_for(app).path == tmp_path / "other.lock"


# -- the web app never starts it ---------------------------------------------------------------


def test_wsgi_and_create_app_start_no_scheduler_and_no_thread(tmp_path: Path, monkeypatch):
    started: list[object] = []
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **k: started.append(self))
    for name, value in {
        "CASEFLOW_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "CASEFLOW_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.sqlite3'}",
    }.items():
        monkeypatch.setenv(name, value)
    threads = set(threading.enumerate())
    namespace = runpy.run_path(str(Path(__file__).parents[1] / "wsgi.py"))
    assert isinstance(namespace["app"], Flask)
    assert set(threading.enumerate()) == threads
    assert started == []


# -- two processes on SQLite -------------------------------------------------------------------


def test_a_second_scheduler_waits_on_the_lock_file_and_takes_over(tmp_path: Path):
    """The SQLite variant of the PostgreSQL two-scheduler test, on a database of its own
    (the test session's SQLite connection holds a write transaction for each test)."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the lock file is tested in the SQLite run")
    url = f"sqlite:///{tmp_path / 'schedulers.sqlite3'}"
    instance = tmp_path / "instance"
    migrated = create_app(config_for_tests(url, instance))
    with migrated.app_context():
        flask_migrate.upgrade()
        engine = db.engine
        two_schedulers_take_turns(engine, scheduler_env(url, instance), tmp_path)
    dispose_engines(migrated)


# -- the command -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lock-retry", "0"], "0 Sekunden geht nicht; erlaubt sind 0.1 bis 3600 Sekunden."),
        (["--heartbeat-seconds", "900"], "900 Sekunden geht nicht; erlaubt sind 1 bis 300"),
    ],
)
def test_the_command_refuses_bad_intervals_in_german(app: Flask, monkeypatch, args, message):
    calls: list[dict] = []
    monkeypatch.setattr(scheduler, "run_scheduler", lambda app, **kwargs: calls.append(kwargs))
    result = app.test_cli_runner().invoke(args=["scheduler", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert calls == []


@pytest.mark.parametrize(("kept_the_lock", "exit_code"), [(True, 0), (False, 1)])
def test_the_command_runs_the_scheduler_and_fails_when_it_lost_the_lock(
    app: Flask, monkeypatch, kept_the_lock, exit_code
):
    calls: list[dict] = []

    def run(app, **kwargs) -> bool:
        calls.append(kwargs)
        return kept_the_lock

    monkeypatch.setattr(scheduler, "run_scheduler", run)
    result = app.test_cli_runner().invoke(
        args=["scheduler", "--lock-retry", "0.5", "--heartbeat-seconds", "2"]
    )
    assert result.exit_code == exit_code, result.output
    assert [(call["lock_retry"], call["heartbeat_seconds"]) for call in calls] == [(0.5, 2)]
