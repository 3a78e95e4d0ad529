"""Configuration in four layers: defaults → instance/config.py → environment → test mapping.

Only ``load_config`` reads anything, and only when ``create_app`` calls it; importing this
module does nothing.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """Raised when the configuration cannot work; the message says what to set."""


DEFAULTS: dict[str, Any] = {
    "CASEFLOW_ENV": "production",
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,  # filled in from the instance folder
    "SQLITE_BUSY_TIMEOUT_MS": 15_000,
    "PROGRAMME_START": date(2024, 4, 1),
    "PROGRAMME_END": date(2026, 7, 31),
    "TIMEZONE": "Europe/Berlin",
    "CASEFLOW_TODAY": None,
    "BABEL_DEFAULT_LOCALE": "de",
    "LANGUAGES": ("de", "en"),
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Login attempts (every POST counts) per client address and per account.
    "LOGIN_RATE_LIMIT_IP": "30 per 10 minutes",
    "LOGIN_RATE_LIMIT_ACCOUNT": "10 per 15 minutes",
    # Applications stored through the public form per client address (only stored ones count).
    "APPLY_RATE_LIMIT": "20 per hour",
    # A consultant carrying more active engagements than this at once gets a warning.
    "CAPACITY_LIMIT": 4,
    "PASSWORD_MIN_LENGTH": 12,
    # Sign-in sessions end after this long without a request, and this long after the login
    # whatever happens (staff/sessions.py).
    "SESSION_IDLE_MINUTES": 120,
    "SESSION_ABSOLUTE_HOURS": 12,
    # Roles that must log in with a second factor (TOTP); the others may enrol.
    "TWO_FACTOR_ROLES": ("lead", "admin"),
    # One-time password links are valid this long; asking for one is limited per address
    # and per account.
    "PASSWORD_RESET_HOURS": 24,
    "PASSWORD_RESET_RATE_LIMIT_IP": "10 per hour",
    "PASSWORD_RESET_RATE_LIMIT_ACCOUNT": "3 per hour",
    # Contact persons of closed engagements are anonymised this many years after the
    # programme end (the funder's reporting needs the engagements, not the people).
    "CONTACT_RETENTION_YEARS": 3,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    # A long-lived CSRF token: the public form may take an hour to fill in.
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "MIGRATIONS_DIRECTORY": None,  # found next to the package, see create_app
    # Reverse proxies in front of caseflow whose X-Forwarded-* headers are trusted.
    "TRUSTED_PROXIES": 0,
    # The public address of caseflow (https://…), from which links in emails are built;
    # required in production, where the request's Host header must not decide them.
    "BASE_URL": None,
    # Mail (caseflow.mail): MAIL_URL, or MAIL_SERVER and friends; neither means the outbox
    # folder MAIL_OUTBOX (default <instance>/outbox).
    "MAIL_URL": None,
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_DEFAULT_SENDER": "DiFair – BQN Berlin <difair@bqn-berlin.de>",
    "MAIL_TIMEOUT": 10,
    "MAIL_OUTBOX": None,
    # Scheduled work (DESIGN.md §4, caseflow.followups.sweeps and caseflow.scheduler).
    "MILESTONE_REMINDER_DAYS": (14, 3),
    "ENDING_WITHIN_DAYS": 30,
    "DECISION_WORKING_DAYS": 10,
    "SUSTAINABILITY_MONTHS": (3, 6),
    # Declined or withdrawn applications lose their personal data this many months later.
    "RETENTION_MONTHS": 6,
    # Email of notifications: attempts before giving up (then admins see it; the defaults
    # keep retrying for about a day), the first retry's delay (doubling each time up to the
    # longest delay), and after how long a claimed but unfinished sending counts as crashed
    # and is taken up again.
    "MAIL_MAX_ATTEMPTS": 30,
    "MAIL_RETRY_SECONDS": 60,
    "MAIL_RETRY_MAX_SECONDS": 3600,
    "MAIL_CLAIM_TIMEOUT_SECONDS": 600,
    # Admins are warned when the scheduler's heartbeat is older than this.
    "SCHEDULER_STALE_MINUTES": 15,
    # The SQLite scheduler lock file (default: <instance>/scheduler.lock).
    "SCHEDULER_LOCK_FILE": None,
    # Documents (caseflow.documents): where their files live (default <instance>/documents;
    # a shared volume when several web hosts serve caseflow), the largest file, how many
    # files one upload may carry, how much an Office file may unpack to, and how many days
    # a deleted document stays in the trash (0: deleted at once).
    "DOCUMENT_STORAGE_ROOT": None,
    "DOCUMENT_MAX_MB": 20,
    "DOCUMENT_MAX_FILES": 10,
    "DOCUMENT_MAX_UNPACKED_MB": 300,
    "DOCUMENT_TRASH_DAYS": 30,
}

# Environment variables read as they are (strings) or parsed by the given function.
_ENV_PARSERS: dict[str, Any] = {
    "CASEFLOW_ENV": str,
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "PROGRAMME_START": date.fromisoformat,
    "PROGRAMME_END": date.fromisoformat,
    "TIMEZONE": str,
    "CASEFLOW_TODAY": date.fromisoformat,
    "RATELIMIT_ENABLED": lambda value: value.strip().lower() not in {"0", "false", "no", "off"},
    "RATELIMIT_STORAGE_URI": str,
    "LOGIN_RATE_LIMIT_IP": str,
    "LOGIN_RATE_LIMIT_ACCOUNT": str,
    "APPLY_RATE_LIMIT": str,
    "CAPACITY_LIMIT": int,
    "SESSION_IDLE_MINUTES": int,
    "SESSION_ABSOLUTE_HOURS": int,
    "TWO_FACTOR_ROLES": lambda value: tuple(
        role.strip() for role in value.split(",") if role.strip()
    ),
    "PASSWORD_RESET_HOURS": int,
    "PASSWORD_RESET_RATE_LIMIT_IP": str,
    "PASSWORD_RESET_RATE_LIMIT_ACCOUNT": str,
    "CONTACT_RETENTION_YEARS": int,
    "TRUSTED_PROXIES": int,
    "BASE_URL": str,
    "MAIL_URL": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": lambda value: value.strip().lower() in {"1", "true", "yes", "on"},
    "MAIL_USE_SSL": lambda value: value.strip().lower() in {"1", "true", "yes", "on"},
    "MAIL_DEFAULT_SENDER": str,
    "MAIL_TIMEOUT": float,
    "MAIL_OUTBOX": str,
    "ENDING_WITHIN_DAYS": int,
    "DECISION_WORKING_DAYS": int,
    "RETENTION_MONTHS": int,
    "MAIL_MAX_ATTEMPTS": int,
    "MAIL_RETRY_SECONDS": int,
    "MAIL_RETRY_MAX_SECONDS": int,
    "MAIL_CLAIM_TIMEOUT_SECONDS": int,
    "SCHEDULER_STALE_MINUTES": int,
    "SCHEDULER_LOCK_FILE": str,
    "DOCUMENT_STORAGE_ROOT": str,
    "DOCUMENT_MAX_MB": int,
    "DOCUMENT_MAX_FILES": int,
    "DOCUMENT_MAX_UNPACKED_MB": int,
    "DOCUMENT_TRASH_DAYS": int,
}


def load_config(
    app: Flask, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> None:
    """Fill ``app.config`` from the four layers and check that the result can work.

    Raises ``ConfigError`` with a message naming the variable when something is missing or
    malformed (for example no ``SECRET_KEY`` in production).
    """
    environ = os.environ if environ is None else environ
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for name, parse in _ENV_PARSERS.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}={raw!r} is not valid: {exc}") from exc
        key = "SQLALCHEMY_DATABASE_URI" if name == "DATABASE_URL" else name
        app.config[key] = value
    if overrides:
        app.config.from_mapping(overrides)
    _derive(app)


def _derive(app: Flask) -> None:
    config = app.config
    env = config["CASEFLOW_ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CASEFLOW_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    config["TESTING"] = config.get("TESTING") or env == "testing"
    if env != "production":
        # Secure cookies need HTTPS; the development server and the test client speak HTTP.
        config["SESSION_COOKIE_SECURE"] = False
        config["REMEMBER_COOKIE_SECURE"] = False
    else:
        # The __Host- prefix makes browsers accept the cookie only when it is Secure, for
        # the whole site (Path=/) and for this host alone (no Domain): no sibling subdomain
        # can set or overwrite it. Browsers drop the cookie if any of these is missing.
        for prefix, name in (("SESSION", "caseflow_session"), ("REMEMBER", "caseflow_remember")):
            config[f"{prefix}_COOKIE_NAME"] = f"__Host-{name}"
            config[f"{prefix}_COOKIE_SECURE"] = True
            config[f"{prefix}_COOKIE_PATH"] = "/"
            config[f"{prefix}_COOKIE_DOMAIN"] = None

    if not config.get("SQLALCHEMY_DATABASE_URI"):
        path = Path(app.instance_path) / "caseflow.sqlite3"
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith(("postgres://", "postgresql://")):
        # Hosting platforms hand out plain postgres:// URLs; we talk psycopg 3.
        uri = "postgresql+psycopg://" + uri.split("://", 1)[1]
        config["SQLALCHEMY_DATABASE_URI"] = uri
    engine_options = config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    # Database errors in the log name the statement, never the submitted values.
    engine_options.setdefault("hide_parameters", True)
    if not uri.startswith("sqlite"):
        # A server restart leaves dead connections in the pool; test each before use.
        engine_options.setdefault("pool_pre_ping", True)

    if not config.get("SECRET_KEY"):
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Set it in the environment "
                "(for example: export SECRET_KEY=\"$(python3 -c 'import secrets; "
                "print(secrets.token_hex(32))')\")."
            )
        config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    start, end = config["PROGRAMME_START"], config["PROGRAMME_END"]
    if isinstance(start, str):
        config["PROGRAMME_START"] = start = date.fromisoformat(start)
    if isinstance(end, str):
        config["PROGRAMME_END"] = end = date.fromisoformat(end)
    if end <= start:
        raise ConfigError(f"PROGRAMME_END ({end}) must lie after PROGRAMME_START ({start})")
    if isinstance(config.get("CASEFLOW_TODAY"), str):
        config["CASEFLOW_TODAY"] = date.fromisoformat(config["CASEFLOW_TODAY"])
    try:
        ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TIMEZONE={config['TIMEZONE']!r} is not a known time zone") from exc
    config["BABEL_DEFAULT_TIMEZONE"] = config["TIMEZONE"]
    _check_base_url(config, env)


def _check_base_url(config: Any, env: str) -> None:
    base = config.get("BASE_URL")
    if not base:
        if env == "production":
            raise ConfigError(
                "BASE_URL is not set. Set it to caseflow's public address (for example: "
                "export BASE_URL=https://caseflow.example.org); links in emails use it."
            )
        return
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError(f"BASE_URL={base!r} is not an http(s) address like https://host")
    config["BASE_URL"] = base.rstrip("/")


def _instance_secret(instance: Path) -> str:
    """Return the development secret kept in the instance folder, creating it once."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # kept from an earlier start (or written by a parallel one just now)
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def rate_limit_warning(config: Mapping[str, Any]) -> str | None:
    """Why the rate limits would not hold, or None: in production gunicorn runs several
    worker processes, and with ``memory://`` storage each counts on its own, so an attacker
    gets the limit once per worker (and again after every restart)."""
    if config["CASEFLOW_ENV"] != "production" or not config["RATELIMIT_ENABLED"]:
        return None
    if not str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        return None
    return (
        "RATELIMIT_STORAGE_URI is memory://: each worker process counts the rate limits on its "
        "own, so they do not hold with several workers; set it to a shared storage such as "
        "redis://127.0.0.1:6379/0"
    )
