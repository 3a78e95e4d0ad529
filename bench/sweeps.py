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
import sys
import tempfile
import time
from datetime import datetime
from datetime import time as wall
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dataset import create_bench_app, load_dataset, row_counts  # noqa: E402
from caseflow import clock  # noqa: E402
from caseflow.demo.context import DEMO_TODAY  # noqa: E402
from caseflow.extensions import db  # noqa: E402
from caseflow.followups.delivery import deliver_mail  # noqa: E402
from caseflow.followups.models import Notification  # noqa: E402
from caseflow.followups.sweeps import SWEEPS  # noqa: E402


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
    app = create_bench_app(folder, args.database_url)
    with app.app_context():
        load_dataset(args.copies)
        now = datetime.combine(DEMO_TODAY, wall(9), tzinfo=clock.timezone())
        counts = row_counts("engagement", "milestone", "follow_up", "application")
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
