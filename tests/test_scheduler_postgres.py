"""Two real ``caseflow scheduler`` processes against the same PostgreSQL database: one runs
(the heartbeat names it), the other says that it waits; when the first stops, the second
takes over. ``two_schedulers_take_turns`` is shared with the SQLite (lock file) variant in
``tests/test_scheduler.py``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Engine

from caseflow.audit.models import AuditEvent
from caseflow.extensions import db
from caseflow.followups.models import FollowUp, Notification, SchedulerHeartbeat
from caseflow.scheduler import ADVISORY_LOCK_KEY

pytestmark = pytest.mark.postgres_only

REPOSITORY = Path(__file__).resolve().parents[1]
CASEFLOW = (sys.executable, "-c", "from caseflow.cli import main; main()")
WAITING = "Ein anderer Scheduler läuft bereits; dieser wartet."
TIMEOUT = 30  # seconds; each step usually takes one or two (the interpreter's start)


def scheduler_env(database_url: str, instance: Path) -> dict[str, str]:
    """The environment of a scheduler process on the test database (no real mail)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CASEFLOW_", "MAIL_", "DATABASE_URL", "SCHEDULER_"))
    }
    env.update(
        CASEFLOW_ENV="testing",
        SECRET_KEY="test-secret-key",
        DATABASE_URL=database_url,
        CASEFLOW_INSTANCE_PATH=str(instance),
        MAIL_OUTBOX=str(instance / "outbox"),
        PYTHONUNBUFFERED="1",
    )
    return env


class SchedulerProcess:
    """``caseflow scheduler`` in a subprocess, its output in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [*CASEFLOW, "scheduler", "--lock-retry", "0.2", "--heartbeat-seconds", "1"],
                env=env,
                cwd=REPOSITORY,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    @property
    def holder(self) -> str:
        return f"{socket.gethostname()}:{self.process.pid}"

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        """SIGTERM, and the exit status (a clean shutdown is 0)."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=TIMEOUT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)


def wait_until(condition: Callable[[], object], what: str, processes=()) -> float:
    """Poll ``condition`` until it holds; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        for process in processes:
            assert process.process.poll() is None, f"{what}: exited\n{process.output()}"
        if time.monotonic() - start > TIMEOUT:
            logs = "\n".join(process.output() for process in processes)
            pytest.fail(f"not within {TIMEOUT} s: {what}\n{logs}")
        time.sleep(0.1)
    return time.monotonic() - start


def heartbeat(engine: Engine) -> tuple[str, datetime] | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(SchedulerHeartbeat.holder, SchedulerHeartbeat.beat_at).where(
                SchedulerHeartbeat.name == "main"
            )
        ).first()
    return None if row is None else (row.holder, row.beat_at)


def holder(engine: Engine) -> str | None:
    beat = heartbeat(engine)
    return beat[0] if beat else None


def two_schedulers_take_turns(engine: Engine, env: dict[str, str], logs: Path) -> None:
    """Start two schedulers; the first runs, the second waits; stop the first, the second
    takes over; stop the second. Both end cleanly."""
    first = SchedulerProcess(env, logs / "first.log")
    second: SchedulerProcess | None = None
    try:
        wait_until(lambda: holder(engine) == first.holder, "the first one beats", [first])
        since = heartbeat(engine)[1]
        wait_until(lambda: heartbeat(engine)[1] > since, "the first one beats again", [first])

        second = SchedulerProcess(env, logs / "second.log")
        wait_until(lambda: WAITING in second.output(), "the second one waits", [first, second])
        time.sleep(0.5)  # two lock retries
        assert holder(engine) == first.holder
        assert "Scheduler gestartet" not in second.output()

        assert first.stop() == 0, first.output()
        assert "Scheduler beendet." in first.output()
        took = wait_until(lambda: holder(engine) == second.holder, "the takeover", [second])
        assert took < 10
        assert "Scheduler gestartet" in second.output()
        assert second.stop() == 0, second.output()
        assert "Traceback" not in first.output() + second.output()
    finally:
        for process in (first, second):
            if process is not None:
                process.kill()


@pytest.fixture
def postgres_engine(app: Flask) -> Iterator[Engine]:
    """The (migrated) test database; every row the schedulers write is removed afterwards."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock needs PostgreSQL")
    tables = (Notification, AuditEvent, FollowUp)
    with engine.connect() as connection:
        last = {model: connection.scalar(select(func.max(model.id))) or 0 for model in tables}
    try:
        yield engine
    finally:
        with engine.begin() as connection:
            for model in tables:
                connection.execute(delete(model).where(model.id > last[model]))
            connection.execute(delete(SchedulerHeartbeat))


def test_a_second_scheduler_waits_and_takes_over(
    postgres_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    two_schedulers_take_turns(
        postgres_engine, scheduler_env(database_url, tmp_path / "instance"), tmp_path
    )


def test_a_scheduler_that_loses_its_lock_connection_stops(
    postgres_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """When the server drops the lock's connection the lock is gone (another scheduler may
    take it): the scheduler notices at its next heartbeat and exits with an error."""
    only = SchedulerProcess(scheduler_env(database_url, tmp_path), tmp_path / "only.log")
    try:
        wait_until(lambda: holder(postgres_engine) == only.holder, "it beats", [only])
        key = ADVISORY_LOCK_KEY
        with postgres_engine.begin() as connection:
            cut = connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                    "AND classid = :high AND objid = :low AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"high": key >> 32, "low": key & 0xFFFFFFFF},
            )
        assert cut == 1
        assert only.process.wait(timeout=TIMEOUT) == 1, only.output()
        assert "Scheduler-Sperre ging verloren" in only.output()
    finally:
        only.kill()
