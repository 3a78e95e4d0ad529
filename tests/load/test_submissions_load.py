"""Point 7 of the load proof: ``LOAD_SUBMISSIONS`` (200) applicants send the public form at
once to gunicorn (4 workers) on PostgreSQL: as many applications, as many distinct
reference numbers, no error."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from bench.load import run_load
from tests.load.support import Applicant, bound, desired_start, figure, serve

pytestmark = pytest.mark.load


def test_simultaneous_submissions_each_get_one_application(
    postgres_url: str, tmp_path: Path
) -> None:
    submissions = int(bound("LOAD_SUBMISSIONS", 200))
    today = datetime.now(UTC).date()
    start = desired_start(today)
    applicant = Applicant()

    async def submit(client: httpx.AsyncClient, number: int) -> httpx.Response:
        return await client.post("/apply", data=applicant.form(client, number, start))

    with serve(postgres_url, tmp_path) as server:
        # Every user has fetched the form (setup, not timed); then all send at once.
        result = asyncio.run(
            run_load(
                server.base,
                submit,
                concurrency=submissions,
                total=submissions,
                setup=applicant.fetch_form,
                timeout=120,
            )
        )
        figure(
            f"{submissions} simultaneous submissions",
            f"{result.elapsed:.2f} s, {result.rps:.1f} submissions/s, "
            f"p50 {result.p50 * 1000:.0f} ms, p95 {result.p95 * 1000:.0f} ms, "
            f"statuses {dict(result.statuses)}, errors {dict(result.errors)}",
        )
        stored = server.scalar("SELECT count(*) FROM application")
        references = server.scalar("SELECT count(DISTINCT reference) FROM application")
        names = server.scalar("SELECT count(DISTINCT organisation_name) FROM application")
        audited = server.scalar(
            "SELECT count(*) FROM audit_event WHERE action = 'application.submitted'"
        )
        with server.engine.connect() as connection:
            numbers = sorted(
                connection.execute(text("SELECT reference_number FROM application")).scalars()
            )
            years = set(
                connection.execute(text("SELECT reference_year FROM application")).scalars()
            )

    # Every submission was stored and answered with the redirect to the confirmation.
    assert result.errors == {}
    assert dict(result.statuses) == {302: submissions}
    assert result.failures(lambda status: status == 302) == 0
    assert stored == submissions
    assert references == submissions
    assert names == submissions
    assert audited == submissions
    # The numbers are the year's sequence without gaps.
    assert years == {datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")).year}
    assert numbers == list(range(1, submissions + 1))
