"""Benchmark: one full sweep (every rule of DESIGN.md §4, then mail delivery) over the demo
data and over N copies of it.

    .venv/bin/python bench/sweeps.py                      # SQLite in a temporary folder
    .venv/bin/python bench/sweeps.py --copies 100
    .venv/bin/python bench/sweeps.py --copies 100 --database-url postgresql+psycopg://postgres@127.0.0.1/bench

The database must be empty (a PostgreSQL one is migrated here). The demo is loaded once and
copied row by row (new ids, organisation names and references with a suffix); staff stay
the same people, so every consultant carries the copies' work. Each sweep runs at the demo
date 09:00 Europe/Berlin and commits, as ``caseflow jobs run`` does; then the whole round
runs a second time (nothing new: the idempotent case, which is every run but the first),
and mail delivery writes the due emails to an outbox folder. Prints seconds per step.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from datetime import time as wall
from pathlib import Path
from typing import Any

import flask_migrate
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from caseflow import clock, create_app  # noqa: E402
from caseflow.database import Model  # noqa: E402
from caseflow.demo.context import DEMO_TODAY  # noqa: E402
from caseflow.demo.loading import load_demo  # noqa: E402
from caseflow.extensions import db  # noqa: E402
from caseflow.followups.delivery import deliver_mail  # noqa: E402
from caseflow.followups.models import Notification  # noqa: E402
from caseflow.followups.sweeps import SWEEPS  # noqa: E402

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


def copy_demo(copies: int) -> None:
    """Add ``copies - 1`` copies of every row of the ``COPIED`` tables."""
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
        row["status_token_hash"] = f"{k:04d}{row['status_token_hash'][4:]}"
    if table.name == "follow_up" and row.get("rule_key"):
        row["rule_key"] = f"{row['rule_key']}:{k}"
    return row


def timed(label: str, action: Any) -> Any:
    started = time.perf_counter()
    result = action()
    print(f"  {label:<38} {time.perf_counter() - started:8.3f} s   {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="caseflow-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
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
    os.environ.pop("CASEFLOW_TODAY", None)
    with app.app_context():
        flask_migrate.upgrade(directory=app.config["MIGRATIONS_DIRECTORY"])
        load_demo(db.session)
        db.session.commit()
        copy_demo(args.copies)
        now = datetime.combine(DEMO_TODAY, wall(9), tzinfo=clock.timezone())
        counts = {
            name: db.session.scalar(select(func.count()).select_from(Model.metadata.tables[name]))
            for name in ("engagement", "milestone", "follow_up", "application")
        }
        print(f"{db.engine.dialect.name}, {args.copies} × demo: {counts}, now = {now.isoformat()}")
        with clock.frozen(now):
            for round_number in (1, 2):
                print(f"round {round_number}:")
                started = time.perf_counter()
                for sweep in SWEEPS:
                    timed(str(sweep.label), lambda sweep=sweep: _run(sweep, now))
                print(f"  {'all sweeps':<38} {time.perf_counter() - started:8.3f} s")
            total = db.session.scalar(select(func.count()).select_from(Notification))
            print(f"notifications in the table: {total}")
            timed("mail delivery (one call, to the outbox)", lambda: deliver_mail(db.session, now))


def _run(sweep: Any, now: datetime) -> int:
    created = sweep.run(db.session, now)
    db.session.commit()
    return created


if __name__ == "__main__":
    main()
