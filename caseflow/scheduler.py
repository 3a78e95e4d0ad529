"""The scheduler process (``caseflow scheduler``, DESIGN.md §4).

One APScheduler 3 ``BlockingScheduler`` in the programme's time zone runs the sweeps of
``caseflow.followups.sweeps``, the mail delivery and the heartbeat, each as a job with an
explicit id. Sweeps process everything due up to ``now``, so the scheduler only wakes them:
a job that runs late or not at all loses nothing, and after a restart one run of each job
(the catch-up at start) does what was missed, once.

Only one scheduler runs at a time. On PostgreSQL it holds a session-level advisory lock on a
connection of its own for as long as it lives; on SQLite an exclusive ``flock`` on a lock
file. A second scheduler says so, waits and retries until the first stops, then takes over.
The web application never starts a scheduler: only this command does.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.extensions import db
from caseflow.followups.delivery import DeliveryResult, deliver_mail
from caseflow.followups.heartbeat import beat
from caseflow.followups.sweeps import Sweep
from caseflow.jobs import SWEEPS
from caseflow.translating import gettext as _

log = logging.getLogger(__name__)

# The PostgreSQL advisory lock key: "caseflow" in ASCII, as a signed 64-bit number.
ADVISORY_LOCK_KEY = int.from_bytes(b"caseflow", "big", signed=True)
DEFAULT_LOCK_RETRY_SECONDS = 15.0
DEFAULT_HEARTBEAT_SECONDS = 60
MAIL_JOB = "mail"
HEARTBEAT_JOB = "heartbeat"

# A run that is due while the previous one still runs is skipped; runs missed while the
# process was busy or down collapse into one. Also given to each job (APScheduler applies
# its defaults only when the scheduler starts).
JOB_DEFAULTS: dict[str, Any] = {"coalesce": True, "max_instances": 1}


# -- the job table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When a job runs: its trigger (built in the scheduler's time zone) and how late a run
    may still start (``misfire_grace_time``; a later run is skipped, the next one catches
    up)."""

    trigger: Callable[[ZoneInfo], BaseTrigger]
    misfire_grace_seconds: int


def _every(minutes: int, grace_seconds: int) -> Timing:
    return Timing(lambda zone: IntervalTrigger(minutes=minutes, timezone=zone), grace_seconds)


def _cron(grace_seconds: int, **fields: Any) -> Timing:
    return Timing(lambda zone: CronTrigger(timezone=zone, **fields), grace_seconds)


EVERY_MINUTE = _every(1, 30)
DEFAULT_TIMING = _every(10, 5 * 60)
# Sweeps that do not run every ten minutes. Cron jobs stay out of 02:00–03:00 local time:
# on the last Sunday of March that hour does not exist, in October it happens twice.
SWEEP_TIMINGS: dict[str, Timing] = {
    "applications_new": EVERY_MINUTE,  # new applications reach the leads at once
    # A run missed while the process was suspended still comes once (coalesced) within the
    # grace time: the digest within its week, retention within a day.
    "digest": _cron(6 * 24 * 3600, day_of_week="mon", hour=8, minute=0),
    "retention": _cron(24 * 3600, hour=3, minute=30),
    "documents": _cron(24 * 3600, hour=3, minute=45),
    "documents_integrity": _cron(24 * 3600, hour=4, minute=15),
}


def timing_of(key: str) -> Timing:
    """The timing of the sweep ``key``; a sweep not in the table runs every ten minutes."""
    return SWEEP_TIMINGS.get(key, DEFAULT_TIMING)


def sweep_job_id(key: str) -> str:
    return f"sweep:{key}"


Work = Callable[[Session, datetime], Any]


def run_job(app: Flask, job_id: str, work: Work, now: datetime | None = None) -> Any:
    """Run ``work(db.session, now)`` in an app context and commit; on an error roll back and
    log it (the scheduler goes on with the next run). Returns the work's result, or None
    after an error."""
    with app.app_context():
        moment = now or clock.now()
        try:
            result = work(db.session, moment)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("scheduler job %s failed", job_id)
            return None
    # Runs that did something are worth a line; the minutely nothing is not.
    level = logging.INFO if _did_something(result) else logging.DEBUG
    log.log(level, "scheduler job %s: %s", job_id, result)
    return result


def _did_something(result: Any) -> bool:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return any(value for value in dataclasses.astuple(result) if isinstance(value, int))
    return bool(result)


def _mail(session: Session, now: datetime) -> DeliveryResult:
    # Looked up at each run, not bound once: ``deliver_mail`` commits itself.
    return deliver_mail(session, now)


def catch_up(
    app: Flask, now: datetime | None = None, *, sweeps: tuple[Sweep, ...] = SWEEPS
) -> None:
    """Run every sweep, then the mail delivery, once (at start: what fell due while no
    scheduler ran). Each job commits or rolls back on its own."""
    for sweep in sweeps:
        run_job(app, sweep_job_id(sweep.key), sweep.run, now)
    run_job(app, MAIL_JOB, _mail, now)


def build_scheduler(
    app: Flask,
    *,
    holder: str,
    started_at: datetime,
    heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS,
    sweeps: tuple[Sweep, ...] = SWEEPS,
    lock: SchedulerLock | None = None,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
) -> BaseScheduler:
    """The scheduler with its jobs, not started: one job per sweep (``sweep:<key>``), the
    mail delivery (``mail``) and the heartbeat (``heartbeat``, which first checks that
    ``lock`` is still held and shuts the scheduler down when it is not)."""
    zone = ZoneInfo(app.config["TIMEZONE"])
    scheduler = scheduler_class(timezone=zone, job_defaults=JOB_DEFAULTS)
    for sweep in sweeps:
        timing = timing_of(sweep.key)
        scheduler.add_job(
            run_job,
            trigger=timing.trigger(zone),
            args=(app, sweep_job_id(sweep.key), sweep.run),
            id=sweep_job_id(sweep.key),
            name=str(sweep.label),
            misfire_grace_time=timing.misfire_grace_seconds,
            **JOB_DEFAULTS,
        )
    scheduler.add_job(
        run_job,
        trigger=EVERY_MINUTE.trigger(zone),
        args=(app, MAIL_JOB, _mail),
        id=MAIL_JOB,
        name="E-Mails",
        misfire_grace_time=EVERY_MINUTE.misfire_grace_seconds,
        **JOB_DEFAULTS,
    )
    scheduler.add_job(
        _heartbeat,
        trigger=IntervalTrigger(seconds=heartbeat_seconds, timezone=zone),
        args=(app, scheduler, lock, holder, started_at),
        id=HEARTBEAT_JOB,
        name="Heartbeat",
        misfire_grace_time=max(1, heartbeat_seconds // 2),
        **JOB_DEFAULTS,
    )
    return scheduler


def _heartbeat(
    app: Flask,
    scheduler: BaseScheduler,
    lock: SchedulerLock | None,
    holder: str,
    started_at: datetime,
) -> None:
    if lock is not None and not lock.is_held():
        # The database dropped the lock's connection (a restart, a network cut): another
        # scheduler may run by now. Stop; the process supervisor starts a fresh one.
        log.error("scheduler lock lost (its database connection is gone); stopping")
        scheduler.shutdown(wait=False)
        return
    run_job(app, HEARTBEAT_JOB, functools.partial(beat, holder=holder, started_at=started_at))


# -- one scheduler at a time -------------------------------------------------------------------


class SchedulerLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock without waiting; False when another scheduler holds it."""

    def release(self) -> None:
        """Give the lock back (nothing happens when it is not held)."""

    def is_held(self) -> bool:
        """Whether this process still holds the lock."""


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock, held on a connection of its own (never one
    the sessions use and give back to the pool) for as long as the process lives: when the
    process dies, the server ends the session and the lock is free."""

    def __init__(self, engine: Engine, key: int = ADVISORY_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        if self.connection is None:
            self.connection = self.engine.connect()
        taken = bool(
            self.connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar()
        )
        # The lock belongs to the database session, not to this transaction: end the
        # transaction so the connection does not sit "idle in transaction" for days.
        self.connection.commit()
        if not taken:
            self._close()
        return taken

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self.connection.commit()
        except SQLAlchemyError:
            # The connection is gone, and with it the lock.
            log.warning("scheduler lock: could not unlock; the connection is gone")
        finally:
            self._close()

    def is_held(self) -> bool:
        """A session-level lock lasts as long as its database session: held while the
        connection answers."""
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
            self.connection.commit()
        except SQLAlchemyError:
            return False
        return True

    def _close(self) -> None:
        if self.connection is not None:
            # Not back into the pool: a pooled connection would keep the lock.
            self.connection.invalidate()
            self.connection.close()
            self.connection = None


class FileLock:
    """An exclusive ``flock`` on a file (SQLite); the kernel frees it when the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def acquire(self) -> bool:
        if self.handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115  (kept open while the lock is held)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{holder_name()}\n")
        handle.flush()
        self.handle = handle
        return True

    def is_held(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        if self.handle is None:
            return
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        finally:
            self.handle.close()
            self.handle = None


def lock_for(app: Flask) -> SchedulerLock:
    """The advisory lock on PostgreSQL; a lock file (``SCHEDULER_LOCK_FILE``, default
    ``<instance>/scheduler.lock``) otherwise."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    path = app.config.get("SCHEDULER_LOCK_FILE") or Path(app.instance_path) / "scheduler.lock"
    return FileLock(Path(path))


def holder_name() -> str:
    """Who holds the lock and writes the heartbeat: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


# -- the process -------------------------------------------------------------------------------


class Stopped(BaseException):
    """Raised in the main thread by SIGTERM or SIGINT: end the scheduler cleanly. A
    BaseException, so a job's ``except Exception`` does not swallow it."""


def _stop(signum: int, frame: FrameType | None) -> None:
    # Further signals while shutting down are ignored: the cleanup must finish.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Stopped(signum)


def _try(lock: SchedulerLock) -> bool:
    """Try to take the lock; a database that does not answer (yet) counts as "not now"."""
    try:
        return lock.acquire()
    except SQLAlchemyError:
        log.exception("scheduler lock: the database does not answer; trying again")
        return False


def run_scheduler(
    app: Flask,
    *,
    lock_retry: float = DEFAULT_LOCK_RETRY_SECONDS,
    heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS,
    say: Callable[[str], None] = print,
) -> bool:
    """Wait for the lock, beat, catch up, then run the jobs until SIGTERM or SIGINT; always
    shut the jobs down and give the lock back. Returns False when the scheduler stopped
    because it lost the lock (the process should exit with an error)."""
    previous = {number: signal.signal(number, _stop) for number in (signal.SIGTERM, signal.SIGINT)}
    lock = lock_for(app)
    scheduler: BaseScheduler | None = None
    signalled = lost = False
    try:
        with app.app_context():
            waiting = _("Ein anderer Scheduler läuft bereits; dieser wartet.")
            started = _("Scheduler gestartet (%(holder)s).", holder=holder_name())
            stopped = _("Scheduler beendet.")
            lost_message = _(
                "Die Verbindung zur Datenbank und damit die Scheduler-Sperre ging verloren; "
                "dieser Scheduler endet."
            )
        announced = False
        while not _try(lock):
            if not announced:
                say(waiting)
                announced = True
            time.sleep(lock_retry)
        holder = holder_name()
        with app.app_context():
            started_at = clock.now()
        scheduler = build_scheduler(
            app,
            holder=holder,
            started_at=started_at,
            heartbeat_seconds=heartbeat_seconds,
            lock=lock,
        )
        run_job(app, HEARTBEAT_JOB, functools.partial(beat, holder=holder, started_at=started_at))
        say(started)
        catch_up(app)
        scheduler.start()
        # start() returns only when a job shut the scheduler down: the lock was lost.
        lost = True
    except (Stopped, KeyboardInterrupt):
        signalled = True
    finally:
        try:
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=True)
        finally:
            lock.release()
            if not signalled:
                # After a signal the process ends: a second SIGTERM (``make run``'s trap)
                # must not cut the exit short, so the signals stay ignored.
                for number, handler in previous.items():
                    signal.signal(number, handler)
    if lost:
        say(lost_message)
        return False
    say(stopped)
    return True
