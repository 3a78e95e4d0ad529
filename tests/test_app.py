"""The app factory, configuration layering and /healthz."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from caseflow import create_app
from caseflow.audit.models import AuditEvent
from caseflow.config import _ENV_PARSERS as ENV_VARIABLES
from caseflow.config import ConfigError
from caseflow.extensions import db
from tests.conftest import dispose_engines


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Build an app with exactly the given environment (nothing from the real one)."""
    built = []

    def build(environ: dict[str, str] | None = None, **overrides):
        for name in (*ENV_VARIABLES, "DATABASE_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in (environ or {}).items():
            monkeypatch.setenv(name, value)
        app = create_app({"INSTANCE_PATH": str(tmp_path), **overrides})
        built.append(app)
        return app

    yield build
    for app in built:
        dispose_engines(app)


def test_importing_caseflow_starts_nothing() -> None:
    """Importing the package reads no configuration, opens no connection, starts no thread."""
    code = (
        "import os, threading\n"
        "os.environ.clear()\n"
        "import caseflow, caseflow.cli, caseflow.models\n"
        "from caseflow.extensions import db\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "assert not db._app_engines, 'an engine was created at import time'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_secret_key(make_app, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        make_app(environ={}, CASEFLOW_ENV="production")


def test_production_refuses_to_start_without_base_url(make_app) -> None:
    """Links in emails must not come from the request's Host header."""
    with pytest.raises(ConfigError, match="BASE_URL is not set"):
        make_app(environ={"SECRET_KEY": "x"}, CASEFLOW_ENV="production")
    for bad in ("caseflow.example.org", "ftp://caseflow.example.org", "https://"):
        with pytest.raises(ConfigError, match="BASE_URL"):
            make_app(environ={"SECRET_KEY": "x", "BASE_URL": bad}, CASEFLOW_ENV="production")


def test_development_keeps_a_generated_secret_in_the_instance_folder(
    make_app, tmp_path: Path
) -> None:
    first = make_app(environ={}, CASEFLOW_ENV="development")
    second = make_app(environ={}, CASEFLOW_ENV="development")
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 64
    secret_file = tmp_path / "secret_key"
    assert secret_file.stat().st_mode & 0o777 == 0o600


def test_default_database_is_sqlite_in_the_instance_folder(make_app, tmp_path: Path) -> None:
    app = make_app(environ={}, CASEFLOW_ENV="development")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/caseflow.sqlite3"


def test_layers_defaults_instance_file_environment_overrides(make_app, tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text(
        "PROGRAMME_END = '2026-12-31'\nTIMEZONE = 'Europe/Vienna'\nLOGIN_RATE_LIMIT_IP = 'x'\n"
    )
    environ = {
        "SECRET_KEY": "from-env",
        "TIMEZONE": "Europe/Berlin",
        "DATABASE_URL": "postgres://u@db/caseflow",
        "CASEFLOW_TODAY": "2025-10-15",
        "RATELIMIT_ENABLED": "false",
        "LOGIN_RATE_LIMIT_IP": "3 per minute",
        "BASE_URL": "https://caseflow.example.org/",
    }
    app = make_app(environ=environ, CASEFLOW_ENV="production", LOGIN_RATE_LIMIT_IP="9/hour")
    config = app.config
    assert config["PROGRAMME_START"] == date(2024, 4, 1)  # default
    assert config["PROGRAMME_END"] == date(2026, 12, 31)  # instance file
    assert config["TIMEZONE"] == "Europe/Berlin"  # environment beats instance file
    assert config["SECRET_KEY"] == "from-env"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/caseflow"
    assert config["CASEFLOW_TODAY"] == date(2025, 10, 15)
    assert config["RATELIMIT_ENABLED"] is False
    assert config["LOGIN_RATE_LIMIT_IP"] == "9/hour"  # test mapping beats environment
    assert config["SESSION_COOKIE_SECURE"] is True  # production
    assert config["BASE_URL"] == "https://caseflow.example.org"


def test_cookies_are_secure_httponly_samesite_in_production(make_app, tmp_path: Path) -> None:
    app = make_app(
        environ={"SECRET_KEY": "x", "BASE_URL": "https://x.example"}, CASEFLOW_ENV="production"
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_malformed_environment_values_name_the_variable(make_app, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PROGRAMME_END"):
        make_app(environ={"SECRET_KEY": "x", "PROGRAMME_END": "31.07.2026"})
    with pytest.raises(ConfigError, match="CASEFLOW_ENV"):
        make_app(environ={"SECRET_KEY": "x", "CASEFLOW_ENV": "staging"})
    with pytest.raises(ConfigError, match="PROGRAMME_END"):
        make_app(environ={"SECRET_KEY": "x", "PROGRAMME_END": "2023-01-01"})
    with pytest.raises(ConfigError, match="TIMEZONE"):
        make_app(environ={"SECRET_KEY": "x", "TIMEZONE": "Europe/Berln"})


def test_sqlite_connections_have_foreign_keys_wal_and_busy_timeout(
    make_app, tmp_path: Path
) -> None:
    app = make_app(environ={}, CASEFLOW_ENV="development")
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15_000


def test_healthz_reports_the_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_says_503_when_the_database_is_unreachable(make_app, tmp_path: Path) -> None:
    app = make_app(
        {},
        CASEFLOW_ENV="testing",
        SECRET_KEY="x",
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}


def test_wsgi_module_builds_the_app_without_a_scheduler(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    code = (
        "import sys, wsgi\n"
        "assert wsgi.app.name == 'caseflow'\n"
        "assert not [m for m in sys.modules if m.startswith('apscheduler')]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={
            "SECRET_KEY": "x",
            "BASE_URL": "https://caseflow.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path}/w.db",
            "PATH": "",
        },
    )
    assert result.returncode == 0, result.stderr


def test_aware_utc_datetimes_round_trip(session) -> None:
    berlin_summer = datetime(2025, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    event = AuditEvent(
        occurred_at=berlin_summer, actor_label="x", action="t", object_type="t", changes={}
    )
    session.add(event)
    session.flush()
    session.expire(event)
    assert event.occurred_at == datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
    assert event.occurred_at.tzinfo is not None
    with pytest.raises(Exception, match="naive datetime"):
        session.add(
            AuditEvent(
                occurred_at=datetime(2025, 7, 1, 12, 0),  # noqa: DTZ001
                actor_label="x",
                action="t",
                object_type="t",
                changes={},
            )
        )
        session.flush()


PRODUCTION = {"SECRET_KEY": "x", "BASE_URL": "https://x.example"}


def test_production_warns_when_rate_limits_are_counted_per_worker(
    make_app, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="caseflow"):
        make_app(environ=PRODUCTION, CASEFLOW_ENV="production")
    warnings = [record.getMessage() for record in caplog.records if record.name == "caseflow"]
    assert len(warnings) == 1
    assert "RATELIMIT_STORAGE_URI is memory://" in warnings[0]
    assert "redis://" in warnings[0]


@pytest.mark.parametrize(
    ("environ", "overrides"),
    [
        # Shared storage: the limits hold across workers.
        ({**PRODUCTION, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, {}),
        # Limits switched off (load tests): nothing to hold.
        ({**PRODUCTION, "RATELIMIT_ENABLED": "false"}, {}),
        # Development runs one process.
        ({"SECRET_KEY": "x"}, {"CASEFLOW_ENV": "development"}),
    ],
)
def test_no_rate_limit_warning_where_the_limits_hold(
    make_app, caplog: pytest.LogCaptureFixture, environ, overrides
) -> None:
    overrides = {"CASEFLOW_ENV": "production", **overrides}
    with caplog.at_level("WARNING", logger="caseflow"):
        make_app(environ=environ, **overrides)
    assert not [r for r in caplog.records if "RATELIMIT_STORAGE_URI" in r.getMessage()]
