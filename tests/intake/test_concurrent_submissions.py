"""50 people submit the public form at the same moment against gunicorn with several worker
processes: 50 applications with 50 distinct reference numbers, on SQLite and PostgreSQL."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from caseflow import create_app
from caseflow.extensions import db
from caseflow.intake.models import Application
from tests.conftest import config_for_tests, dispose_engines
from tests.live_server import fresh_database, gunicorn, open_round, run_cli, server_environment

SUBMISSIONS = 50
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
REFERENCE = re.compile(r"DF-\d{4}-\d{4}")


def _form(number: int, token: str, start: str) -> bytes:
    return urllib.parse.urlencode(
        {
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
            "desired_duration_months": "12",
            "consent": "y",
        }
    ).encode()


class Applicant:
    """One browser: its own cookies, a form fetched first, then one submission."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with self.opener.open(base + "/apply", timeout=30) as response:
            self.token = CSRF.search(response.read().decode()).group(1)

    def submit(self, number: int, start: str, barrier: threading.Barrier) -> tuple[int, str]:
        barrier.wait(timeout=60)
        with self.opener.open(
            self.base + "/apply", data=_form(number, self.token, start), timeout=60
        ) as response:
            return response.status, response.read().decode()


def test_fifty_simultaneous_submissions_get_fifty_distinct_references(
    database_url: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    today = now.date()
    instance = tmp_path / "instance"
    with fresh_database(database_url, tmp_path) as url:
        env = server_environment(
            url,
            instance,
            PROGRAMME_START=(today - timedelta(days=365)).isoformat(),
            PROGRAMME_END=(today + timedelta(days=730)).isoformat(),
        )
        run_cli(env, "db", "upgrade")
        open_round(url, tmp_path / "setup", now)
        start = (today + timedelta(days=30)).isoformat()

        with gunicorn(env, workers=4, threads=4) as base:
            applicants = [Applicant(base) for _ in range(SUBMISSIONS)]
            barrier = threading.Barrier(SUBMISSIONS)
            with ThreadPoolExecutor(max_workers=SUBMISSIONS) as pool:
                results = list(
                    pool.map(
                        lambda pair: pair[1].submit(pair[0], start, barrier),
                        enumerate(applicants),
                    )
                )

        assert [status for status, _ in results] == [200] * SUBMISSIONS
        shown = [REFERENCE.search(body) for _, body in results]
        assert all(shown), "every confirmation page shows a reference number"
        assert len({match.group(0) for match in shown}) == SUBMISSIONS

        app = create_app(config_for_tests(url, tmp_path / "check"))
        try:
            with app.app_context():
                stored = db.session.scalars(select(Application.reference)).all()
                names = db.session.scalar(
                    select(func.count(func.distinct(Application.organisation_name)))
                )
        finally:
            dispose_engines(app)
    year = now.astimezone(ZoneInfo("Europe/Berlin")).year
    assert len(stored) == SUBMISSIONS
    assert sorted(stored) == [f"DF-{year}-{number:04d}" for number in range(1, SUBMISSIONS + 1)]
    assert names == SUBMISSIONS
    assert {match.group(0) for match in shown} == set(stored)
