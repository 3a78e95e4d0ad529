"""What the load and fault tests share: their bounds, a server on a fresh database, the
applicant's form, a staff login, and the figures they print."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from tests.live_server import fresh_database, gunicorn, open_round, run_cli, server_environment

DEMO_DATE = "2025-10-15"
DEMO_PASSWORD = "caseflow-demo"
LEAD = "leitung@example.org"
CONSULTANT = "beratung@example.org"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
NOTICE_VERSION = re.compile(
    r'name="privacy_notice_version" (?:type="hidden" )?value="([^"]*)"'
    r'|value="([^"]*)" name="privacy_notice_version"'
)
# The 503 page (caseflow.web.errors) in German, the default language.
OUTAGE_TITLE = "Vorübergehend nicht erreichbar"
OUTAGE_TEXT = "caseflow kann die Datenbank gerade nicht erreichen"


def bound(name: str, default: float) -> float:
    """A bound of the load tests from the environment (``LOAD_SUBMISSIONS``,
    ``LOAD_SECONDS``, ``OUTAGE_SECONDS``), so CI can run them shorter."""
    raw = os.environ.get(name)
    return float(raw) if raw else default


def figure(label: str, value: str) -> None:
    """One measured figure on stdout (``pytest -s`` shows it), easy to grep."""
    print(f"\n[load] {label}: {value}", flush=True)


@dataclass
class Server:
    """A caseflow behind gunicorn on a fresh database."""

    base: str
    database_url: str
    env: dict[str, str]
    engine: Engine = field(repr=False)
    log: Path = field(repr=False)

    def scalar(self, sql: str, **params: object) -> object:
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()


@contextmanager
def serve(
    admin_url: str,
    folder: Path,
    *,
    demo: bool = False,
    fresh: bool = True,
    workers: int = 4,
    threads: int = 2,
    **extra: str,
) -> Iterator[Server]:
    """Migrate a fresh database on ``admin_url``'s server, load the demo (at the demo date)
    or open an application round now, and serve it with gunicorn. ``fresh=False``: the
    database is made by ``own_database`` (for a server the test restarts)."""
    databases = fresh_database if fresh else own_database
    with databases(admin_url, folder) as url:
        settings = dict(extra)
        if demo:
            settings.setdefault("CASEFLOW_TODAY", DEMO_DATE)
        else:
            today = datetime.now(UTC).date()
            settings.setdefault("PROGRAMME_START", (today - timedelta(days=365)).isoformat())
            settings.setdefault("PROGRAMME_END", (today + timedelta(days=730)).isoformat())
        env = server_environment(url, folder / "instance", **settings)
        run_cli(env, "db", "upgrade")
        if demo:
            run_cli(env, "demo")
        else:
            open_round(url, folder / "setup")
        # Checked before use: the outage test restarts the server under it.
        engine = create_engine(url, pool_pre_ping=True)
        try:
            log = folder / "gunicorn.log"
            with gunicorn(env, workers=workers, threads=threads, log_path=log) as base:
                yield Server(base, url, env, engine, log)
        finally:
            engine.dispose()


@contextmanager
def own_database(admin_url: str, folder: Path) -> Iterator[str]:
    """A new database on ``admin_url``'s server, created and dropped on connections of their
    own (``fresh_database`` keeps a pooled admin connection, which a server restart
    in between breaks)."""
    url = make_url(admin_url)
    name = f"caseflow_load_{uuid.uuid4().hex[:8]}"

    def admin(statement: str) -> None:
        engine = create_engine(
            url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def desired_start(today: date) -> str:
    return (today + timedelta(days=30)).isoformat()


class Applicant:
    """The applicant's side of one virtual user: fetch the form (its CSRF token and privacy
    notice version), then send it filled in."""

    def __init__(self) -> None:
        self.tokens: dict[int, tuple[str, str]] = {}

    async def fetch_form(self, client: httpx.AsyncClient) -> None:
        """GET the form on a connection closed afterwards: gunicorn closes idle keep-alive
        connections after 2 s, and the submission, sent when every user has the form, would
        race that close (an ``httpx.ReadError`` on a reused connection, not the app's)."""
        response = await client.get("/apply", headers={"Connection": "close"})
        assert response.status_code == 200, response.status_code
        await self.read_form(client, response)

    async def read_form(self, client: httpx.AsyncClient, response: httpx.Response) -> None:
        """Keep the CSRF token and privacy notice version of the form in ``response``."""
        token = CSRF.search(response.text)
        assert token, "the form carries a CSRF token"
        notice = NOTICE_VERSION.search(response.text)
        version = (notice.group(1) or notice.group(2)) if notice else ""
        self.tokens[id(client)] = (token.group(1), version or "")

    def form(self, client: httpx.AsyncClient, number: int, start: str) -> dict[str, str]:
        token, version = self.tokens[id(client)]
        fields = {
            "csrf_token": token,
            "organisation_name": f"Bezirksamt Lastprobe {number}",
            "sector": "buergerdienst",
            "subtype": "buergeramt",
            "district": "neukoelln",
            "contact_name": f"Person {number}",
            "contact_email": f"person{number}@amt.example.org",
            "motivation": "Wir möchten Zugangsbarrieren für Menschen aus Drittstaaten abbauen.",
            "leadership_support": "ja",
            "desired_start": start,
            "desired_duration_months": "6",
            "consent": "y",
        }
        if version:
            fields["privacy_notice_version"] = version
        return fields


async def log_in(client: httpx.AsyncClient, email: str) -> None:
    """Log ``client`` in with the demo password; the answer must lead to the dashboard."""
    page = await client.get("/login")
    token = CSRF.search(page.text)
    assert token, "the login form carries a CSRF token"
    response = await client.post(
        "/login",
        data={"csrf_token": token.group(1), "email": email, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302, (email, response.status_code)
    assert response.headers["location"].endswith("/dashboard"), response.headers["location"]


def applications_by_name(server: Server) -> dict[str, int]:
    """Organisation name → number of applications with it."""
    with server.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT organisation_name, count(*) FROM application GROUP BY 1")
        ).all()
    return {name: count for name, count in rows}


def wait_until(predicate, timeout: float, interval: float = 0.05) -> float:
    """Poll ``predicate`` until it is true; returns the seconds it took (AssertionError
    after ``timeout``)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not reached within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - started
