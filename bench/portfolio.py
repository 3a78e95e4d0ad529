"""Benchmark: the portfolio pages (timeline, capacity, reports, the XLSX export) and their
neighbours, measured at 1× and at N× the demo data (caseflow issue 6, "Performance").

    .venv/bin/python bench/portfolio.py                   # SQLite in a temporary folder
    .venv/bin/python bench/portfolio.py --copies 100 --runs 30 --markdown bench.md
    .venv/bin/python bench/portfolio.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

The database must be empty (a PostgreSQL one is migrated here). The demo is loaded and every
URL measured; then the demo is copied up to N × and every URL measured again. Each URL gets 3
warm-up requests and R measured ones through the Flask test client, logged in (a real POST to
/login) as the demo's project lead, with the clock frozen on the demo day. Prints Markdown: the
machine, the data-set sizes, a table per size (status, p50/p95 wall time of the whole request
including rendering, response size, SQL statements per request), the query counts side by
side, the targets of issue 6 met or missed, and the peak memory of the process. The exit
status is 0 even when a target is missed: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import platform
import pstats
import re
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dataset import copy_demo, create_bench_app, load_dataset, row_counts  # noqa: E402
from caseflow import clock  # noqa: E402
from caseflow.demo.context import DEMO_TODAY, DemoError  # noqa: E402
from caseflow.demo.staff import DEMO_ACCOUNTS, DEMO_PASSWORD  # noqa: E402
from caseflow.engagements.models import Engagement  # noqa: E402
from caseflow.extensions import db  # noqa: E402
from caseflow.staff.models import Role  # noqa: E402

# The pages measured; "/engagements/<id>" is appended with the demo's first engagement.
URLS = (
    "/timeline",
    "/timeline?group=sector",
    "/capacity",
    "/reports",
    "/reports/export.xlsx",
    "/dashboard",
    "/engagements",
)
# Issue 6: p50 limits in milliseconds at N × the demo.
TARGETS_MS = {
    "/timeline": 300,
    "/timeline?group=sector": 300,
    "/capacity": 300,
    "/reports": 300,
    "/reports/export.xlsx": 2000,
}
# The tables whose size the report shows, with their plural.
SIZE_TABLES = {
    "engagement": "engagements",
    "phase": "phases",
    "milestone": "milestones",
    "activity": "activities",
    "barrier": "barriers",
    "application": "applications",
}
WARMUPS = 3
LEAD = next(account for account in DEMO_ACCOUNTS if account.role == Role.LEAD)
CSRF_PATTERN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
# Transaction bookkeeping is not a query of the page (as in tests/conftest.py).
BOOKKEEPING = ("SAVEPOINT", "RELEASE", "ROLLBACK TO")


@dataclass(frozen=True)
class Measurement:
    """One URL measured ``len(times_ms)`` times at one data-set size."""

    url: str
    statuses: tuple[int, ...]
    times_ms: tuple[float, ...]
    size_kb: float
    queries: tuple[int, ...]

    @property
    def status(self) -> str:
        """The status code, or every code seen when they differed between requests."""
        return "/".join(str(code) for code in sorted(set(self.statuses)))

    @property
    def is_ok(self) -> bool:
        return set(self.statuses) == {200}

    @property
    def p50_ms(self) -> float:
        return percentile(self.times_ms, 0.50)

    @property
    def p95_ms(self) -> float:
        return percentile(self.times_ms, 0.95)

    @property
    def query_count(self) -> str:
        """The SQL statements per request; "min–max" when they differed between requests."""
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}–{high}"


@dataclass(frozen=True)
class Stage:
    """Every URL measured at ``copies`` × the demo."""

    copies: int
    sizes: dict[str, int]
    build_seconds: float
    rows: tuple[Measurement, ...]

    def row(self, url: str) -> Measurement:
        return next(row for row in self.rows if row.url == url)


@dataclass(frozen=True)
class Report:
    """A whole benchmark run: where it ran, the stages (1× first) and the peak memory."""

    machine: tuple[str, ...]
    runs: int
    stages: tuple[Stage, ...]
    peak_mb: float
    profiles: dict[str, str] = field(default_factory=dict)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with ``share`` of all at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


class QueryCounter:
    """Counts the SQL statements sent while it listens on an engine."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(BOOKKEEPING):
            self.count += 1


@contextmanager
def counting_queries(app: Flask) -> Iterator[QueryCounter]:
    """``with counting_queries(app) as counter:`` counts every statement of the app's engine."""
    with app.app_context():
        engine = db.engine
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def log_in_as_lead(client: FlaskClient) -> None:
    """Log the client in as the demo's project lead through the login form."""
    page = client.get("/login").get_data(as_text=True)
    match = CSRF_PATTERN.search(page)
    if match is None:
        raise RuntimeError("no CSRF token on /login")
    response = client.post(
        "/login",
        data={"email": LEAD.email, "password": DEMO_PASSWORD, "csrf_token": match.group(1)},
    )
    if response.status_code != 302:
        raise RuntimeError(f"login as {LEAD.email} answered {response.status_code}, not 302")


def measure(client: FlaskClient, counter: QueryCounter, url: str, runs: int) -> Measurement:
    """``WARMUPS`` unmeasured requests of ``url``, then ``runs`` measured ones."""
    for _ in range(WARMUPS):
        client.get(url).close()
    statuses, times_ms, queries = [], [], []
    size = 0
    for _ in range(runs):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        times_ms.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count)
        statuses.append(response.status_code)
        size = len(body)
        response.close()
    return Measurement(url, tuple(statuses), tuple(times_ms), size / 1024, tuple(queries))


def measure_all(
    app: Flask, client: FlaskClient, urls: Sequence[str], runs: int
) -> list[Measurement]:
    """Every URL measured in turn (the requests run outside any app context, as in production)."""
    rows = []
    with counting_queries(app) as counter:
        for url in urls:
            print(f"  measuring {url} …", file=sys.stderr, flush=True)
            rows.append(measure(client, counter, url, runs))
    return rows


def profile_request(client: FlaskClient, url: str) -> str:
    """One request of ``url`` under cProfile: the top 15 entries by cumulative time, then
    the top 15 below the web framework."""
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url).close()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(15)
    # The top is the test client, Flask and Flask-Login wrapping the view; below them is
    # where the page spends its time.
    print("Without the wrappers of werkzeug, Flask and Flask-Login:", file=out)
    stats.print_stats(r"^(?!.*(werkzeug|flask|flask_login)/)", 15)
    # Paths relative to the checkout and to site-packages keep the lines readable.
    text = out.getvalue().replace(str(ROOT) + os.sep, "")
    return re.sub(r"\S*site-packages/", "", text)


def machine_lines() -> tuple[str, ...]:
    """CPU, Python and database server (needs an app context)."""
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    with db.engine.connect() as connection:
        version = ".".join(str(part) for part in connection.dialect.server_version_info or ())
    return (
        f"CPU: {cpu} ({platform.machine()}, {os.cpu_count()} logical CPUs), {platform.system()}",
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
        f"Database: {db.engine.dialect.name} {version}",
    )


def run(
    *,
    copies: int,
    runs: int,
    folder: Path,
    database_url: str | None = None,
    profile_urls: Sequence[str] = (),
) -> Report:
    """Build the data set in an empty database, measure every URL at 1× and ``copies`` ×."""
    if copies < 1 or runs < 1:
        raise ValueError("copies and runs must be at least 1")
    app = create_bench_app(folder, database_url)
    client = app.test_client()
    try:
        with app.app_context():
            started = time.perf_counter()
            print("loading the demo …", file=sys.stderr, flush=True)
            load_dataset(1)
            first = db.session.scalar(select(func.min(Engagement.id)))
            stage_sizes = row_counts(*SIZE_TABLES)
            machine = machine_lines()
            db.session.remove()
        build = time.perf_counter() - started
        urls = (*URLS, f"/engagements/{first}")
        stages = []
        with clock.frozen(DEMO_TODAY):
            log_in_as_lead(client)
            rows = measure_all(app, client, urls, runs)
            stages.append(Stage(1, stage_sizes, build, tuple(rows)))
            if copies > 1:
                with app.app_context():
                    started = time.perf_counter()
                    print(f"copying the demo up to {copies} × …", file=sys.stderr, flush=True)
                    copy_demo(copies)
                    build = time.perf_counter() - started
                    stage_sizes = row_counts(*SIZE_TABLES)
                    db.session.remove()
                rows = measure_all(app, client, urls, runs)
                stages.append(Stage(copies, stage_sizes, build, tuple(rows)))
            profiles = {url: profile_request(client, url) for url in profile_urls}
    finally:
        with app.app_context():
            db.engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Report(machine, runs, tuple(stages), peak_mb, profiles)


def render(report: Report) -> str:
    """The report as Markdown."""
    first, last = report.stages[0], report.stages[-1]
    lines = ["# caseflow: portfolio pages at 1× and N× the demo", ""]
    lines += [f"- {line}" for line in report.machine]
    lines += [
        f"- {WARMUPS} warm-ups + {report.runs} measured requests per URL, Flask test client, "
        f"logged in as {LEAD.email} (project lead), clock frozen on {DEMO_TODAY.isoformat()}",
        "",
    ]
    for stage in report.stages:
        sizes = ", ".join(f"{number} {SIZE_TABLES[name]}" for name, number in stage.sizes.items())
        lines += [
            f"## {stage.copies} × demo: {sizes}",
            "",
            f"(built in {stage.build_seconds:.1f} s)",
            "",
            "| URL | status | p50 ms | p95 ms | KB | queries |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {row.url} | {row.status} | {row.p50_ms:.1f} | {row.p95_ms:.1f} "
            f"| {row.size_kb:.1f} | {row.query_count} |"
            for row in stage.rows
        ]
        failed = [row for row in stage.rows if not row.is_ok]
        lines.append("")
        if failed:
            lines += [f"**NOT 200**: {row.url} answered {row.status}" for row in failed]
            lines.append("")
    lines += _query_comparison(first, last)
    lines += _targets(first, last)
    lines += [f"Peak memory of the process (ru_maxrss): {report.peak_mb:.0f} MB", ""]
    for url, profile in report.profiles.items():
        lines += [
            f"## Profile of one request of {url} at {last.copies} × demo (top 15, cumulative)",
            "",
            "```",
            profile.strip("\n"),
            "```",
            "",
        ]
    return "\n".join(lines)


def _query_comparison(first: Stage, last: Stage) -> list[str]:
    lines = [
        f"## SQL queries per request: {first.copies} × vs {last.copies} ×",
        "",
        f"| URL | queries {first.copies}× | queries {last.copies}× | same |",
        "|---|---:|---:|---|",
    ]
    for row in first.rows:
        other = last.row(row.url)
        same = "yes" if row.query_count == other.query_count else "**NO**"
        lines.append(f"| {row.url} | {row.query_count} | {other.query_count} | {same} |")
    return [*lines, ""]


def _targets(first: Stage, last: Stage) -> list[str]:
    lines = [f"## Targets of issue 6 at {last.copies} × demo", ""]
    for url, limit in TARGETS_MS.items():
        row = last.row(url)
        if not row.is_ok:
            verdict = f"NOT MEASURABLE (status {row.status})"
        elif row.p50_ms < limit:
            verdict = "ok (met)"
        else:
            verdict = "VERFEHLT (missed)"
        lines.append(f"- {url} p50 < {limit} ms: {row.p50_ms:.1f} ms, {verdict}")
    issue_pages = [row.url for row in first.rows if row.url in TARGETS_MS]
    other_pages = [row.url for row in first.rows if row.url not in TARGETS_MS]
    lines += [
        _same_queries(first, last, issue_pages, "the pages above"),
        _same_queries(first, last, other_pages, "the other pages"),
        "",
    ]
    return lines


def _same_queries(first: Stage, last: Stage, urls: Sequence[str], label: str) -> str:
    differing = [
        f"{url} {first.row(url).query_count} → {last.row(url).query_count}"
        for url in urls
        if first.row(url).query_count != last.row(url).query_count
    ]
    unmeasurable = [url for url in urls if not (first.row(url).is_ok and last.row(url).is_ok)]
    if first.copies == last.copies:
        verdict = "NOT MEASURABLE (only one data-set size; use --copies 2 or more)"
    elif differing:
        verdict = "VERFEHLT (missed): " + "; ".join(differing)
    else:
        verdict = "ok (met)"
    if unmeasurable:
        verdict += " (not 200, so not the real page: " + ", ".join(unmeasurable) + ")"
    return f"- queries identical at {first.copies}× and {last.copies}×, {label}: {verdict}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line: 0 whatever the figures, 2 when the database
    is not empty."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=100, help="data-set size (× demo)")
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("--runs", type=int, default=30, help="measured requests per URL")
    parser.add_argument("--markdown", type=Path, help="write the table to this file too")
    parser.add_argument(
        "--profile",
        metavar="URL",
        action="append",
        help="profile one request of URL at the end (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.copies < 1 or args.runs < 1:
        parser.error("--copies and --runs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as folder:
        try:
            report = run(
                copies=args.copies,
                runs=args.runs,
                folder=Path(folder),
                database_url=args.database_url,
                profile_urls=args.profile or (),
            )
        except DemoError as exc:
            print(f"The database is not empty: {exc}", file=sys.stderr)
            return 2
    text = render(report)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
