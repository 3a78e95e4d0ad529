"""A real caseflow server for tests that need several processes: a fresh, migrated database
on the test database's server (SQLite file or a new PostgreSQL database) and gunicorn with
several workers in front of it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from caseflow import create_app
from caseflow.extensions import db
from caseflow.intake.models import ApplicationRound
from tests.conftest import config_for_tests, dispose_engines

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@contextmanager
def fresh_database(database_url: str, folder: Path) -> Iterator[str]:
    """A new, empty database next to the test database; dropped afterwards."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{folder / f'live-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"caseflow_live_{uuid.uuid4().hex[:8]}"
    # No pool: a connection kept from CREATE would be dead at DROP after a server restart.
    admin = create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a caseflow process on ``database_url``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CASEFLOW_", "DATABASE_URL", "TEST_DATABASE_URL"))
    }
    env.update(
        CASEFLOW_ENV="development",
        CASEFLOW_INSTANCE_PATH=str(instance),
        DATABASE_URL=database_url,
        SECRET_KEY="live-server-secret",
        RATELIMIT_ENABLED="false",
        MAIL_URL=f"outbox://{instance / 'outbox'}",
    )
    env.update(extra)
    return env


def run_cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run a ``caseflow`` command; raise with its output when it fails."""
    result = subprocess.run(
        [str(BIN / "caseflow"), *args],
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"caseflow {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


@contextmanager
def gunicorn(
    env: Mapping[str, str], *, workers: int = 4, threads: int = 2, log_path: Path | None = None
) -> Iterator[str]:
    """Serve ``wsgi:app`` with gunicorn; yields the base URL once /healthz answers. The
    server's output goes to ``log_path`` (for a test that reads it) or a temporary file."""
    # A file, not a pipe: a pipe nobody reads while the server runs fills up (64 KB of
    # tracebacks, as in an outage) and then blocks every worker in its next log call.
    with (
        open(log_path, "w+", encoding="utf-8")
        if log_path
        else tempfile.TemporaryFile("w+", encoding="utf-8")
    ) as log:
        port = _free_port()
        command = [
            str(BIN / "gunicorn"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            *("--threads", str(threads), "--log-level", "warning", "wsgi:app"),
        ]
        process = subprocess.Popen(
            command, env=dict(env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield _wait_for_health(f"http://127.0.0.1:{port}", process, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_health(base: str, process: subprocess.Popen, log: IO[str]) -> str:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"gunicorn exited:\n{log.read()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError("gunicorn did not answer /healthz within 30 s")
        time.sleep(0.2)


def open_round(database_url: str, instance: Path, now: datetime | None = None) -> None:
    """An application round on ``database_url`` open from an hour before ``now`` (default:
    the real now) for 30 days, so that the public form takes submissions."""
    now = now or datetime.now(UTC)
    app = create_app(config_for_tests(database_url, instance))
    try:
        with app.app_context():
            db.session.add(
                ApplicationRound(
                    name="Lastprobe",
                    opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(days=30),
                    created_at=now,
                )
            )
            db.session.commit()
    finally:
        dispose_engines(app)
