"""The benchmarks' data set: an app on a fresh database holding the demo and N copies of it.

``create_bench_app`` builds the app (SQLite in a given folder, or a given database URL),
``build_dataset`` migrates, loads the demo and copies it. The database must be empty (a
PostgreSQL one is migrated here). The demo is loaded once and copied row by row (new ids,
organisation names and references with a suffix); staff stay the same people, so every
consultant carries the copies' work.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask, current_app
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from caseflow import create_app  # noqa: E402
from caseflow.database import Model  # noqa: E402
from caseflow.demo.loading import load_demo  # noqa: E402
from caseflow.extensions import db  # noqa: E402

# The tables that make up one programme's worth of cases, in foreign-key order; staff,
# rounds, templates and the audit trail are shared by all copies.
COPIED = (
    "organisation",
    "contact_person",
    "engagement",
    "phase",
    "milestone",
    "assignment",
    "follow_up",
    "activity",
    "activity_staff",
    "barrier",
    "application",
    "application_review",
)
ID_STEP = 1_000_000  # copy k's ids are the originals' + k * ID_STEP


def create_bench_app(folder: Path, database_url: str | None = None) -> Flask:
    """A development app whose instance folder and mail outbox are in ``folder``.

    Without ``database_url`` the database is ``bench.sqlite3`` in ``folder``.
    """
    url = database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app(
        {
            "CASEFLOW_ENV": "development",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "MAIL_URL": f"outbox://{folder / 'outbox'}",
            "SERVER_NAME": "caseflow.bench",
        }
    )
    # The benchmarks freeze the clock themselves; a demo date from the shell must not leak in.
    os.environ.pop("CASEFLOW_TODAY", None)
    return app


def load_dataset(copies: int) -> None:
    """Migrate the (empty) database, load the demo and make it ``copies`` × the demo.

    Needs an app context; commits.
    """
    flask_migrate.upgrade(directory=current_app.config["MIGRATIONS_DIRECTORY"])
    load_demo(db.session)
    db.session.commit()
    copy_demo(copies)


def copy_demo(copies: int) -> None:
    """Add ``copies - 1`` copies of every row of the ``COPIED`` tables (as they are now)."""
    tables = {name: Model.metadata.tables[name] for name in COPIED}
    originals = {
        name: db.session.execute(select(table)).mappings().all() for name, table in tables.items()
    }
    for k in range(1, copies):
        for name, table in tables.items():
            rows = [_copied_row(table, dict(row), k) for row in originals[name]]
            for start in range(0, len(rows), 500):
                db.session.execute(insert(table), rows[start : start + 500])
        db.session.commit()


def _copied_row(table: Any, row: dict[str, Any], k: int) -> dict[str, Any]:
    for column in table.columns:
        value = row[column.name]
        if value is None:
            continue
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if (column.primary_key and column.name == "id") or targets & set(COPIED):
            row[column.name] = value + k * ID_STEP
    if table.name == "organisation":
        row["name"] = f"{row['name']} ({k})"
    if table.name == "application":
        row["reference_number"] += k * 10_000
        row["reference"] = f"{row['reference']}-{k}"
        # A hash of its own: a copy's number put in front of the original's hash could
        # equal another original's (one starting with "0093" for the 93rd copy).
        row["status_token_hash"] = hashlib.sha256(
            f"{k}:{row['status_token_hash']}".encode()
        ).hexdigest()
    if table.name == "follow_up" and row.get("rule_key"):
        row["rule_key"] = f"{row['rule_key']}:{k}"
    return row


def row_counts(*names: str) -> dict[str, int]:
    """The number of rows in each named table, counted with SQL (needs an app context)."""
    return {
        name: db.session.scalar(select(func.count()).select_from(Model.metadata.tables[name])) or 0
        for name in names
    }
