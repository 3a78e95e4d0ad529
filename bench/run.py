"""Benchmark: caseflow behind gunicorn against a minimal Flask baseline, at 1× and N× the
demo, on SQLite and PostgreSQL, in one run (caseflow issue 8, points 9 and 10).

    .venv/bin/python bench/run.py                              # full: 1× and 100×, both DBs
    .venv/bin/python bench/run.py --quick                      # CI: SQLite, 1× and 10×, short
    .venv/bin/python bench/run.py --databases sqlite --copies 1,100 --seconds 10 \
        --markdown bench-results.md --profile /timeline
    caseflow bench …                                           # the same, from a checkout

For every database and every size the runner builds a fresh database (SQLite in a temporary
folder; PostgreSQL: a new ``caseflow_bench_<hex>`` database on ``--database-url-pg``, dropped
afterwards) holding the demo N times (``bench/dataset.py``), then:

1. counts the SQL statements of one request of each page in-process (Flask test client,
   logged in as the demo's project lead, clock frozen on the demo day) after one warm-up,
   and the engagements each page shows (distinct links to ``/engagements/<id>``);
2. starts gunicorn (``--workers`` sync workers, ``wsgi:app``, ``CASEFLOW_TODAY`` = the demo
   day, rate limits off) and measures each page with ``bench/load.py`` at ``--concurrency``
   users (each logged in once, or for the public form: one GET of ``/apply`` for its CSRF
   token, then POSTs with valid fields), after one warm-up round;
3. starts the baseline (``bench/baseline.py``) the same way on the same database server, at
   the same time, and measures its ``GET /rows`` (50 rows through Jinja) and ``POST /rows``
   (insert one) before and after caseflow's pages: the ratios use the mean of the two, so
   that a machine whose speed drifts during the run (a shared virtual machine's does, by up
   to half) shifts both sides alike, and the two rows show how much it drifted.

It prints (and with ``--markdown`` writes) the machine, the data-set sizes, a table per
database × size (status codes, p50/p95, requests per second, the ratio of the requests per
second to the baseline's, SQL statements per request) and the targets of issue 8 point 10,
met or missed. The exit status is 0 when targets are missed (this is a measurement) but 1
when any request got an unexpected status or failed: figures over error pages would lie.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import baseline  # noqa: E402
from bench.dataset import create_bench_app, load_dataset, row_counts  # noqa: E402
from bench.load import LoadResult, run_load  # noqa: E402
from caseflow import clock  # noqa: E402
from caseflow.demo.context import DEMO_TODAY  # noqa: E402
from caseflow.demo.staff import DEMO_ACCOUNTS, DEMO_PASSWORD  # noqa: E402
from caseflow.engagements.models import Engagement  # noqa: E402
from caseflow.extensions import db  # noqa: E402
from caseflow.staff.models import Role  # noqa: E402

BIN = Path(sys.executable).parent
LEAD = next(account for account in DEMO_ACCOUNTS if account.role == Role.LEAD)
CSRF_PATTERN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
NOTICE_PATTERN = re.compile(r'name="privacy_notice_version" type="hidden" value="([^"]*)"')
ENGAGEMENT_LINK = re.compile(r'href="/engagements/(\d+)"')
# Transaction bookkeeping is not a query of the page (as in tests/conftest.py).
BOOKKEEPING = ("SAVEPOINT", "RELEASE", "ROLLBACK TO")
SIZE_TABLES = ("engagement", "phase", "milestone", "activity", "barrier", "application")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
# The demo's round "Herbstrunde 2025" is open on the demo day; a start and a duration that
# fit the programme window (which ends 2026-07-31).
DESIRED_START = "2025-12-01"
DESIRED_MONTHS = "6"
FORM = "public form POST"


@dataclass(frozen=True)
class Page:
    """One measured request: what to send, who sends it, what it should answer."""

    label: str
    method: str
    path: str
    expected: frozenset[int]
    compare_to: str  # the baseline row its requests per second are divided by
    logged_in: bool = True


def caseflow_pages(engagement_id: int) -> tuple[Page, ...]:
    ok = frozenset({200})
    return (
        Page("/engagements", "GET", "/engagements", ok, "GET /rows"),
        Page("/dashboard", "GET", "/dashboard", ok, "GET /rows"),
        Page("/engagements/<id>", "GET", f"/engagements/{engagement_id}", ok, "GET /rows"),
        Page("/timeline", "GET", "/timeline", ok, "GET /rows"),
        Page("/reports", "GET", "/reports", ok, "GET /rows"),
        Page(FORM, "POST", "/apply", frozenset({302, 303}), "POST /rows", logged_in=False),
    )


BASELINE_PAGES = (
    Page("GET /rows", "GET", "/rows", frozenset({200}), "GET /rows", logged_in=False),
    Page("POST /rows", "POST", "/rows", frozenset({303}), "POST /rows", logged_in=False),
)


@dataclass
class Row:
    """One page measured at one size: the load figures, its queries, the engagements shown."""

    page: Page
    load: LoadResult
    queries: int | None = None
    shown: int | None = None
    # For the baseline: measured "before" or "after" caseflow's pages.
    when: str | None = None

    @property
    def name(self) -> str:
        if self.when is None:
            return self.page.label
        return f"baseline {self.page.label}, {self.when}"

    @property
    def failures(self) -> int:
        return self.load.failures(lambda status: status in self.page.expected)

    @property
    def statuses(self) -> str:
        seen = [f"{code}×{count}" for code, count in sorted(self.load.statuses.items())]
        seen += [f"{name}×{count}" for name, count in sorted(self.load.errors.items())]
        return ", ".join(seen) or "none"


@dataclass
class Stage:
    """Every page and the baseline, measured on one database at ``copies`` × the demo."""

    database: str
    copies: int
    sizes: dict[str, int]
    build_seconds: float
    load_before: float
    rows: list[Row] = field(default_factory=list)
    profile: str | None = None

    def row(self, label: str) -> Row:
        """caseflow's row of the page ``label``."""
        return next(row for row in self.rows if row.page.label == label and row.when is None)

    def reference(self, label: str) -> float:
        """The baseline's requests per second for ``label``: the mean of its runs before
        and after caseflow's pages, so that a machine that slows down or speeds up during
        the run shifts both sides alike."""
        runs = [row.load.rps for row in self.rows if row.page.label == label and row.when]
        return sum(runs) / len(runs) if runs else float("nan")

    def ratio(self, row: Row) -> float:
        base = self.reference(row.page.compare_to)
        return row.load.rps / base if base else float("nan")


@dataclass(frozen=True)
class Options:
    copies: tuple[int, ...]
    databases: tuple[str, ...]
    pg_url: str
    requests: int | None
    seconds: float | None
    concurrency: int
    workers: int
    profile: str | None
    folder: Path


# --- databases and servers -------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, options: Options) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new PostgreSQL database dropped after."""
    tag = uuid.uuid4().hex[:8]
    if kind == "sqlite":
        path = options.folder / f"caseflow-bench-{tag}.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"caseflow_bench_{tag}"
    admin = create_engine(
        make_url(options.pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(options.pg_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def caseflow_environment(database_url: str, instance: Path) -> dict[str, str]:
    """The environment of caseflow's gunicorn: development, the demo day, no rate limits."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CASEFLOW_", "DATABASE_URL", "TEST_DATABASE_URL"))
    }
    env.update(
        CASEFLOW_ENV="development",
        CASEFLOW_INSTANCE_PATH=str(instance),
        CASEFLOW_TODAY=DEMO_TODAY.isoformat(),
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret",  # noqa: S106 - a throwaway server
        RATELIMIT_ENABLED="false",
        MAIL_URL=f"outbox://{instance / 'outbox'}",
    )
    return env


@contextmanager
def gunicorn(app: str, env: Mapping[str, str], workers: int) -> Iterator[str]:
    """Serve ``app`` with ``workers`` sync workers; yields the base URL once /healthz answers."""
    port = _free_port()
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(  # noqa: S603 - our own fixed command
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            app,
        ],
        env=dict(env),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"gunicorn {app} exited:\n{log.read()}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn {app} did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# --- in-process: data set, queries, profile ----------------------------------------------


class QueryCounter:
    """Counts the SQL statements sent while it listens on an engine."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(BOOKKEEPING):
            self.count += 1


def _csrf(body: str) -> str:
    match = CSRF_PATTERN.search(body)
    if match is None:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def _form(n: int, token: str, notice: str) -> dict[str, str]:
    """Valid fields of the public form; the n-th applicant has its own names."""
    return {
        "csrf_token": token,
        "privacy_notice_version": notice,
        "organisation_name": f"Bezirksamt Lastprobe {n}",
        "sector": "buergerdienst",
        "subtype": "buergeramt",
        "district": "neukoelln",
        "contact_name": f"Person {n}",
        "contact_email": f"person{n}@amt.example.org",
        "motivation": "Wir möchten Zugangsbarrieren für Menschen aus Drittstaaten abbauen.",
        "leadership_support": "ja",
        "desired_start": DESIRED_START,
        "desired_duration_months": DESIRED_MONTHS,
        "consent": "y",
    }


def _log_in(client: FlaskClient) -> None:
    token = _csrf(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": LEAD.email, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise RuntimeError(f"login as {LEAD.email} answered {response.status_code}, not 302")


def count_queries(app: Flask, pages: Sequence[Page]) -> dict[str, tuple[int, int | None]]:
    """Per page: the SQL statements of one request (after one warm-up) and, for GETs, the
    distinct engagements it links. Runs outside any app context, as a request does."""
    with app.app_context():
        engine = db.engine
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    figures: dict[str, tuple[int, int | None]] = {}
    try:
        with clock.frozen(DEMO_TODAY):
            staff = app.test_client()
            _log_in(staff)
            for page in pages:
                if page.method == "GET":
                    staff.get(page.path).close()
                    counter.count = 0
                    response = staff.get(page.path)
                    body = response.get_data(as_text=True)
                    shown = len(set(ENGAGEMENT_LINK.findall(body)))
                else:
                    shown = None
                    for n in (1, 2):  # the first POST is the warm-up
                        applicant = app.test_client()
                        form = applicant.get(page.path).get_data(as_text=True)
                        notice = NOTICE_PATTERN.search(form)
                        data = _form(-n, _csrf(form), notice.group(1) if notice else "")
                        counter.count = 0
                        response = applicant.post(page.path, data=data)
                if response.status_code not in page.expected:
                    raise RuntimeError(
                        f"{page.method} {page.path} answered {response.status_code} in-process"
                    )
                figures[page.label] = (counter.count, shown)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return figures


def profile_page(app: Flask, path: str, runs: int = 10) -> str:
    """``runs`` requests of ``path`` in-process under pyinstrument, as text."""
    from pyinstrument import Profiler

    with clock.frozen(DEMO_TODAY):
        client = app.test_client()
        _log_in(client)
        client.get(path).close()
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(runs):
            client.get(path).close()
        profiler.stop()
    text_ = profiler.output_text(unicode=True, color=False)
    return text_.replace(str(ROOT) + os.sep, "")


# --- load ------------------------------------------------------------------------------


async def _lead_cookies(base: str, count: int) -> list[httpx.Cookies]:
    """Log in ``count`` separate sessions as the lead (once per server, not per page: the
    password hash is deliberately slow and not what the pages are measured for)."""

    async def log_in() -> httpx.Cookies:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            page = await client.get("/login")
            response = await client.post(
                "/login",
                data={
                    "email": LEAD.email,
                    "password": DEMO_PASSWORD,
                    "csrf_token": _csrf(page.text),
                },
            )
            if response.status_code != 302:
                raise RuntimeError(f"login as {LEAD.email} answered {response.status_code}")
            return httpx.Cookies(client.cookies)

    return list(await asyncio.gather(*(log_in() for _ in range(count))))


def _load(
    base: str,
    page: Page,
    options: Options,
    *,
    warm_up: bool,
    sessions: Sequence[httpx.Cookies] = (),
) -> LoadResult:
    """One bounded load run of ``page`` (a warm-up run: 2 requests per user); a logged-in
    page's users take over ``sessions``, one each."""
    tokens: dict[int, tuple[str, str]] = {}
    unused = iter(sessions)

    async def lead_session(client: httpx.AsyncClient) -> None:
        client.cookies.update(next(unused))

    async def form_session(client: httpx.AsyncClient) -> None:
        body = (await client.get(page.path)).text
        notice = NOTICE_PATTERN.search(body)
        tokens[id(client)] = (_csrf(body), notice.group(1) if notice else "")

    async def request(client: httpx.AsyncClient, n: int) -> httpx.Response:
        if page.method == "GET":
            return await client.get(page.path)
        if page.path == "/apply":
            token, notice = tokens[id(client)]
            number = n + (0 if warm_up else 1_000_000)
            return await client.post(page.path, data=_form(number, token, notice))
        return await client.post(page.path, data={})

    setup = None
    if page.logged_in:
        setup = lead_session
    elif page.path == "/apply":
        setup = form_session
    if warm_up:
        bounds: dict[str, Any] = {"total": 2 * options.concurrency}
    elif options.requests is not None:
        bounds = {"total": options.requests}
    else:
        bounds = {"duration": options.seconds}
    return asyncio.run(
        run_load(base, request, concurrency=options.concurrency, setup=setup, **bounds)
    )


def measure(base: str, pages: Sequence[Page], options: Options) -> list[Row]:
    sessions: list[httpx.Cookies] = []
    if any(page.logged_in for page in pages):
        sessions = asyncio.run(_lead_cookies(base, options.concurrency))
    rows = []
    for page in pages:
        say(f"    {page.label} …")
        _load(base, page, options, warm_up=True, sessions=sessions)
        rows.append(Row(page, _load(base, page, options, warm_up=False, sessions=sessions)))
    return rows


# --- one stage ---------------------------------------------------------------------------


def run_stage(kind: str, copies: int, options: Options) -> Stage:
    """Build ``copies`` × the demo on a fresh ``kind`` database and measure everything."""
    with fresh_database(kind, options) as url:
        instance = options.folder / f"instance-{kind}-{copies}"
        instance.mkdir(parents=True, exist_ok=True)
        say(f"{kind}, {copies} × demo: building the data set …")
        app = create_bench_app(instance, url)
        try:
            started = time.perf_counter()
            with app.app_context():
                load_dataset(copies)
                first = db.session.scalar(select(func.min(Engagement.id)))
                sizes = row_counts(*SIZE_TABLES)
                db.session.remove()
            build = time.perf_counter() - started
            pages = caseflow_pages(first)
            say("  counting queries in-process …")
            figures = count_queries(app, pages)
            profile = None
            if options.profile:
                say(f"  profiling {options.profile} in-process …")
                profile = profile_page(app, options.profile)
        finally:
            with app.app_context():
                db.engine.dispose()
        baseline.prepare(url)
        stage = Stage(kind, copies, sizes, build, os.getloadavg()[0], profile=profile)
        env = {**caseflow_environment(url, instance), "BASELINE_DATABASE_URL": url}
        # Both servers run at once (an idle one costs nothing); the baseline is measured
        # before and after caseflow's pages, and the ratios use the mean of the two.
        with (
            gunicorn("wsgi:app", caseflow_environment(url, instance), options.workers) as ours,
            gunicorn("bench.baseline:create_app()", env, options.workers) as theirs,
        ):
            say("  baseline under gunicorn, before:")
            before = measure(theirs, BASELINE_PAGES, options)
            say("  caseflow under gunicorn:")
            stage.rows += measure(ours, pages, options)
            say("  baseline under gunicorn, after:")
            after = measure(theirs, BASELINE_PAGES, options)
        for row in stage.rows:
            row.queries, row.shown = figures[row.page.label]
        for when, rows in (("before", before), ("after", after)):
            for row in rows:
                row.when = when
                row.queries = _baseline_queries(url, row.page)
            stage.rows += rows
    return stage


def _baseline_queries(url: str, page: Page) -> int:
    """The baseline's statements per request, counted in-process like caseflow's."""
    app = baseline.create_app(url)
    with app.app_context():
        engine = baseline.db.engine
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        client = app.test_client()
        client.open(page.path, method=page.method).close()
        counter.count = 0
        client.open(page.path, method=page.method).close()
        return counter.count
    finally:
        event.remove(engine, "before_cursor_execute", counter)
        engine.dispose()


# --- report ------------------------------------------------------------------------------


def machine_lines(options: Options) -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    lines = [
        f"CPU: {cpu} ({platform.machine()}, {os.cpu_count()} logical CPUs), "
        f"{platform.system()} {platform.release()}",
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
    ]
    if "sqlite" in options.databases:
        lines.append(f"SQLite: {sqlite3.sqlite_version}")
    if "postgresql" in options.databases:
        engine = create_engine(make_url(options.pg_url).set(database="postgres"))
        try:
            with engine.connect() as connection:
                version = connection.execute(text("SHOW server_version")).scalar()
        finally:
            engine.dispose()
        lines.append(f"PostgreSQL: {version}")
    try:
        import gunicorn as gunicorn_package

        gunicorn_version = gunicorn_package.__version__
    except ImportError:  # pragma: no cover - the runner fails at the first start then
        gunicorn_version = "not installed"
    bounds = (
        f"{options.requests} requests" if options.requests is not None else f"{options.seconds} s"
    )
    lines += [
        f"gunicorn {gunicorn_version}: {options.workers} sync workers; load: "
        f"{options.concurrency} concurrent users (bench/load.py), {bounds} per page after a "
        f"warm-up of {2 * options.concurrency} requests; the load generator runs on the same "
        "machine",
        f"Logged in as {LEAD.email} (project lead); caseflow runs with CASEFLOW_TODAY="
        f"{DEMO_TODAY.isoformat()}; queries counted in-process (Flask test client) per request",
    ]
    return lines


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def render_stage(stage: Stage) -> list[str]:
    sizes = ", ".join(f"{number} {name}" for name, number in stage.sizes.items())
    lines = [
        f"## {stage.database}, {stage.copies} × demo",
        "",
        f"{sizes} (built in {stage.build_seconds:.1f} s; 1-minute load average before "
        f"measuring: {stage.load_before:.2f})",
        "",
        "| URL | engagements shown | statuses | p50 ms | p95 ms | req/s | × baseline req/s "
        "| queries/request |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in stage.rows:
        shown = "" if row.shown is None else str(row.shown)
        queries = "" if row.queries is None else str(row.queries)
        lines.append(
            f"| {row.name} | {shown} | {row.statuses} | {_ms(row.load.p50)} | {_ms(row.load.p95)} "
            f"| {row.load.rps:.1f} | {stage.ratio(row):.2f} | {queries} |"
        )
    lines.append("")
    return lines


# Point 10: the least ratio of requests per second to the baseline.
RATIO_TARGETS = {
    "/engagements": 0.5,
    "/dashboard": 0.35,
    "/engagements/<id>": 0.35,
    FORM: 0.5,
}
TIMELINE_FACTOR = 5.0


def _verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def render_targets(stages: Sequence[Stage]) -> list[str]:
    lines = ["## Targets (issue 8, point 10)", ""]
    for kind in dict.fromkeys(stage.database for stage in stages):
        mine = sorted((s for s in stages if s.database == kind), key=lambda s: s.copies)
        for stage in mine:
            for label, least in RATIO_TARGETS.items():
                row = stage.row(label)
                ratio = stage.ratio(row)
                note = f" ({row.shown} rows)" if label == "/engagements" else ""
                lines.append(
                    f"- {kind} {stage.copies}×: {label}{note} ≥ {least}× baseline req/s: "
                    f"{ratio:.2f}× — {_verdict(ratio >= least)}"
                )
        first, last = mine[0], mine[-1]
        if first.copies == last.copies:
            lines.append(f"- {kind}: query counts and /timeline scaling need two sizes")
            continue
        differing = [
            f"{row.page.label} {row.queries} → {last.row(row.page.label).queries}"
            for row in first.rows
            if row.when is None and row.queries != last.row(row.page.label).queries
        ]
        lines.append(
            f"- {kind}: queries per request identical at {first.copies}× and {last.copies}×: "
            + ("met" if not differing else "**MISSED**: " + "; ".join(differing))
        )
        small, large = first.row("/timeline"), last.row("/timeline")
        if small.shown and large.shown:
            per_small = small.load.p50 / small.shown
            per_large = large.load.p50 / large.shown
            factor = per_large / per_small
            lines.append(
                f"- {kind}: /timeline p50 per engagement shown at {last.copies}× ≤ "
                f"{TIMELINE_FACTOR:g}× that at {first.copies}×: {per_small * 1000:.2f} ms "
                f"({small.shown} shown) → {per_large * 1000:.2f} ms ({large.shown} shown), "
                f"{factor:.2f}× — {_verdict(factor <= TIMELINE_FACTOR)}"
            )
        else:
            lines.append(f"- {kind}: /timeline showed no engagements; scaling not measurable")
    lines.append("")
    return lines


def render(machine: Sequence[str], stages: Sequence[Stage], seconds: float) -> str:
    lines = ["# caseflow benchmark: gunicorn against a minimal Flask baseline", ""]
    lines += [f"- {line}" for line in machine]
    lines += [f"- Whole run: {seconds:.0f} s", ""]
    for stage in stages:
        lines += render_stage(stage)
    lines += render_targets(stages)
    failed = [
        f"{stage.database} {stage.copies}× {row.page.label}: {row.statuses}"
        for stage in stages
        for row in stage.rows
        if row.failures
    ]
    if failed:
        lines += ["## FAILED REQUESTS (the figures above include error answers)", ""]
        lines += [f"- {line}" for line in failed]
        lines.append("")
    for stage in stages:
        if stage.profile:
            lines += [
                f"## Profile (pyinstrument, in-process) at {stage.database} {stage.copies}×",
                "",
                "```",
                stage.profile.strip("\n"),
                "```",
                "",
            ]
    return "\n".join(lines)


# --- command line ------------------------------------------------------------------------


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _numbers(value: str) -> tuple[int, ...]:
    try:
        numbers = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value}") from error
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError("copies must be whole numbers of at least 1")
    return numbers


def _databases(value: str) -> tuple[str, ...]:
    kinds = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = set(kinds) - {"sqlite", "postgresql"}
    if not kinds or unknown:
        raise argparse.ArgumentTypeError("databases: sqlite and/or postgresql")
    return kinds


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--copies", type=_numbers, help="sizes, × the demo (default 1,100)")
    parser.add_argument("--databases", type=_databases, help="default sqlite,postgresql")
    parser.add_argument("--database-url-pg", default=DEFAULT_PG, help=f"default {DEFAULT_PG}")
    bounds = parser.add_mutually_exclusive_group()
    bounds.add_argument("--requests", type=int, help="requests per page (instead of --seconds)")
    bounds.add_argument("--seconds", type=float, help="seconds per page (default 5)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument("--profile", metavar="URL", help="profile this URL in-process per stage")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small bounds for CI: SQLite, 1× and 10×, 2 s per page (explicit options win)",
    )
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace, folder: Path) -> Options:
    quick = args.quick
    seconds = args.seconds
    if args.requests is None and seconds is None:
        seconds = 2.0 if quick else 5.0
    return Options(
        copies=args.copies or ((1, 10) if quick else (1, 100)),
        databases=args.databases or (("sqlite",) if quick else ("sqlite", "postgresql")),
        pg_url=args.database_url_pg,
        requests=args.requests,
        seconds=seconds,
        concurrency=args.concurrency,
        workers=args.workers,
        profile=args.profile,
        folder=folder,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as tmp:
        options = options_from(args, Path(tmp))
        machine = machine_lines(options)
        stages = [
            run_stage(kind, copies, options)
            for kind in options.databases
            for copies in sorted(options.copies)
        ]
    report = render(machine, stages, time.perf_counter() - started)
    print(report)
    if args.markdown:
        args.markdown.write_text(report + "\n", encoding="utf-8")
        say(f"written to {args.markdown}")
    failures = sum(row.failures for stage in stages for row in stage.rows)
    if failures:
        say(f"{failures} requests failed or got an unexpected status: see the report")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
