"""The benchmark's baseline: the least a Flask + Flask-SQLAlchemy app can do for a list page
and a form POST, served the same way as caseflow (gunicorn, same workers, same database
server), so that ``bench/run.py`` can state caseflow's figures as ratios to it.

    GET  /rows  selects 50 rows of ``bench_baseline_row`` and renders them with Jinja
                (``bench/templates/baseline_rows.html``, a table of six columns)
    POST /rows  inserts one row and answers 303 to /rows (no CSRF, no validation)
    GET  /healthz  "ok", for the runner to wait on

The database comes from ``BASELINE_DATABASE_URL``; ``prepare(url)`` creates the table and
seeds ``SEED_ROWS`` rows once (the runner calls it before starting gunicorn). On SQLite the
connections get the same pragmas as caseflow's (WAL, a busy timeout, synchronous NORMAL), so
that the comparison is about the application, not about the journal mode.

    gunicorn --workers 2 'bench.baseline:create_app()'
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, redirect, render_template, url_for
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Integer, String, Text, event, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.wrappers import Response

ROWS_SHOWN = 50
SEED_ROWS = 1000
# The names of inserted rows only need to differ from each other, not to be dense.
_numbers = itertools.count(SEED_ROWS + 1 + os.getpid() * 1_000_000)
SQLITE_BUSY_TIMEOUT_MS = 15_000


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class BaselineRow(db.Model):  # type: ignore[name-defined,misc]
    """A row with a few typical columns: short texts, a status, a moment, a longer note."""

    __tablename__ = "bench_baseline_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def create_app(database_url: str | None = None) -> Flask:
    """The baseline app on ``database_url`` (default: ``BASELINE_DATABASE_URL``)."""
    app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent / "templates"))
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or os.environ["BASELINE_DATABASE_URL"]
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _sqlite_pragmas(db.engine)

    @app.get("/rows")
    def show_rows() -> str:
        rows = db.session.scalars(
            select(BaselineRow).order_by(BaselineRow.id.desc()).limit(ROWS_SHOWN)
        ).all()
        return render_template("baseline_rows.html", rows=rows)

    @app.post("/rows")
    def add_row() -> Response:
        db.session.add(_row(next(_numbers), datetime.now(UTC).replace(tzinfo=None)))
        db.session.commit()
        return redirect(url_for("show_rows"), 303)

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


def _row(number: int, created_at: datetime) -> BaselineRow:
    return BaselineRow(
        name=f"Organisation {number}",
        email=f"kontakt{number}@example.org",
        status=("aktiv", "geplant", "abgeschlossen")[number % 3],
        created_at=created_at,
        note="Eine Notiz, wie sie Beraterinnen zu einem Termin schreiben. " * 3,
    )


def prepare(database_url: str) -> None:
    """Create the table and seed ``SEED_ROWS`` rows, unless it already holds rows."""
    app = create_app(database_url)
    try:
        with app.app_context():
            db.create_all()
            if db.session.scalar(select(func.count()).select_from(BaselineRow)):
                return
            start = datetime(2025, 1, 1)  # noqa: DTZ001 - stored naive, like the inserts
            db.session.execute(
                insert(BaselineRow),
                [
                    {
                        column: getattr(_row(n, start + timedelta(hours=n)), column)
                        for column in ("name", "email", "status", "created_at", "note")
                    }
                    for n in range(1, SEED_ROWS + 1)
                ],
            )
            db.session.commit()
    finally:
        with app.app_context():
            db.engine.dispose()
