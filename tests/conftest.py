"""Test fixtures: one app per session on a migrated database (SQLite by default, PostgreSQL
when TEST_DATABASE_URL is set), each test in a transaction that is rolled back."""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from caseflow import clock, create_app
from caseflow.extensions import db, limiter
from caseflow.staff.models import Role, StaffMember
from caseflow.staff.passwords import hash_password
from tests.mail_server import LocalSmtpServer

TEST_PASSWORD = "richtig-langes-passwort"
_HASHED_TEST_PASSWORD = hash_password(TEST_PASSWORD)


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root / 'caseflow-test.sqlite3'}"
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


REQUIRE_POSTGRES = os.environ.get("CASEFLOW_REQUIRE_POSTGRES") == "1"
_postgres_skips: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if REQUIRE_POSTGRES and not url.startswith(("postgres://", "postgresql")):
        raise pytest.UsageError("CASEFLOW_REQUIRE_POSTGRES=1 needs a PostgreSQL TEST_DATABASE_URL")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "PostgreSQL" in str(report.longrepr):
        _postgres_skips.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI's PostgreSQL run, a test skipped for want of PostgreSQL is a failure."""
    if REQUIRE_POSTGRES and _postgres_skips:
        print(
            "\nPostgreSQL tests were skipped in the PostgreSQL run:", *_postgres_skips, sep="\n  "
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    backend = make_url(url).get_backend_name() if url else "sqlite"
    return f"caseflow test database: {backend}"


def config_for_tests(url: str, instance: Path) -> dict:
    return {
        "CASEFLOW_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "caseflow.test",
        # Whatever the developer's shell sets, tests never send real mail.
        "MAIL_URL": None,
        "MAIL_SERVER": None,
        "MAIL_OUTBOX": str(instance / "outbox"),
        # Most tests log in with a password alone; tests/staff/test_two_factor.py turns the
        # production default (leads and admins) back on.
        "TWO_FACTOR_ROLES": (),
    }


def drop_everything(connection) -> None:
    """Remove every table (ours and Alembic's) so migrations start from empty."""
    names = inspect(connection).get_table_names()
    cascade = " CASCADE" if connection.dialect.name == "postgresql" else ""
    # Children before parents: drop in reverse order of the foreign-key graph.
    for table in reversed(db.metadata.sorted_tables):
        if table.name in names:
            connection.execute(text(f'DROP TABLE IF EXISTS "{table.name}"{cascade}'))
    for name in set(names) - set(db.metadata.tables):
        connection.execute(text(f'DROP TABLE IF EXISTS "{name}"{cascade}'))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(config_for_tests(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        with db.engine.connect() as connection, connection.begin():
            drop_everything(connection)
        flask_migrate.upgrade()
    yield app
    dispose_engines(app)


def dispose_engines(app: Flask) -> None:
    """Close pooled connections of an app built in a test (psycopg warns about leftovers)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the app runs inside a transaction that is rolled back."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        original = db.session
        db.session = scoped_session(factory, scopefunc=_app_ctx_id)
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            if outer.is_active:
                outer.rollback()
            connection.close()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The database session of a test (inside the test's app context)."""
    with app.app_context():
        yield db.session


class IsolatedClient(FlaskClient):
    """A test client whose requests get their own app context (and so their own ``g`` and
    database session), as in production, even while the test holds an app context open.
    The frozen clock and the test's database connection are shared."""

    def open(self, *args, **kwargs):
        context = contextvars.copy_context()
        return context.run(self._open_without_app_context, *args, **kwargs)

    def _open_without_app_context(self, *args, **kwargs):
        _cv_app.set(None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def make_staff(session: Session) -> Callable[..., StaffMember]:
    """Create a staff member with a login (password ``TEST_PASSWORD``)."""
    counter = iter(range(1, 10_000))

    def make(
        role: Role | str = Role.CONSULTANT,
        *,
        name: str | None = None,
        email: str | None = None,
        is_active: bool = True,
        with_login: bool = True,
    ) -> StaffMember:
        number = next(counter)
        member = StaffMember(
            name=name or f"Testperson {number}",
            email=email or (f"person{number}@example.org" if with_login else None),
            role=Role(role),
            is_active=is_active,
            password_hash=_HASHED_TEST_PASSWORD if with_login else None,
            created_at=clock.now(),
        )
        session.add(member)
        session.flush()
        return member

    return make


CSRF_PATTERN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token from a form on ``path`` (the session keeps it)."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_PATTERN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = TEST_PASSWORD, **extra):
    token = csrf_token(client)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, **extra}
    )


@pytest.fixture
def logged_in(client: FlaskClient, make_staff) -> Callable[..., StaffMember]:
    """Log the test client in as a new staff member of the given role."""

    def as_role(role: Role | str = Role.CONSULTANT, **kwargs) -> StaffMember:
        member = make_staff(role, **kwargs)
        response = login(client, member.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return member

    return as_role


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], QueryCounter]:
    """``with count_queries() as counter: …`` counts the SQL statements run inside."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture
def document_storage(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A storage root for documents' files of this test's own: the database is rolled back
    after every test, the file system is not."""
    root = tmp_path / "storage" / "documents"
    monkeypatch.setitem(app.config, "DOCUMENT_STORAGE_ROOT", str(root))
    return root


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSmtpServer]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd); the app sends its mail there for this test.
    ``smtp_server.messages`` / ``smtp_server.wait_for(count)`` give the parsed messages, each
    with ``.envelope_rcpt``."""
    server = LocalSmtpServer().start()
    monkeypatch.setitem(app.config, "MAIL_URL", server.url)
    try:
        yield server
    finally:
        server.stop()
