"""`caseflow jobs run [--now ISO]`: every sweep once, one German line each."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from caseflow import cli, clock
from caseflow.engagements.models import EngagementStatus
from caseflow.followups.models import FollowUp, Notification
from caseflow.followups.sweeps import SWEEPS, Sweep
from tests import factories


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def programme(session):
    lead = factories.make_staff_member(session, name="Lea Leitung")
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    factories.make_follow_up(session, engagement, assignee=lead, due_on=date(2025, 12, 1))
    factories.make_engagement(
        session, lead=lead, status=EngagementStatus.ABGESCHLOSSEN, actual_end=date(2025, 6, 30)
    )
    # Committed (to the test's savepoint) like real data, so a sweep's rollback keeps it.
    session.commit()
    return engagement


def test_jobs_run_prints_one_line_per_sweep_and_creates_rows_once(
    app: Flask, session, programme
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "--now", "2025-12-15T09:00:00+01:00"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines] == [str(sweep.label) for sweep in SWEEPS]
    assert "Meilenstein-Erinnerungen: " in result.output
    assert "Nachhaltigkeitschecks: 2 neu" in lines
    assert "Endende Prozessbegleitungen: 1 neu" in lines
    assert all(line.endswith(" neu") for line in lines)
    notifications, follow_ups = count(session, Notification), count(session, FollowUp)
    assert notifications >= 2 and follow_ups == 3

    again = runner.invoke(args=["jobs", "run", "--now", "2025-12-15T09:00:00+01:00"])
    assert again.exit_code == 0, again.output
    assert [line.split(": ")[1] for line in again.output.splitlines()] == ["0 neu"] * len(SWEEPS)
    assert (count(session, Notification), count(session, FollowUp)) == (notifications, 3)


def test_jobs_run_takes_a_day_or_the_clock(app: Flask, session, programme) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "--now", "2025-12-15"])
    assert result.exit_code == 0, result.output
    assert "Endende Prozessbegleitungen: 1 neu" in result.output
    with clock.frozen(date(2025, 12, 16)):
        result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "Endende Prozessbegleitungen: 0 neu" in result.output


@pytest.mark.parametrize("value", ["gestern", "2025-12-15T09:00:00", "2025-13-01", ""])
def test_a_bad_now_is_refused_in_german(app: Flask, session, value) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--now", value])
    assert result.exit_code != 0
    assert "ist kein gültiger Zeitpunkt" in result.output
    assert count(session, Notification) == 0


def test_a_failing_sweep_is_reported_and_the_others_still_run(
    app: Flask, session, programme, monkeypatch
) -> None:
    def broken(session, now):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(cli, "SWEEPS", (Sweep("broken", "Kaputt", broken), *SWEEPS))
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--now", "2025-12-15"])
    assert result.exit_code == 1
    assert "Kaputt: Fehler – RuntimeError: kaputt" in result.output
    assert "Nachhaltigkeitschecks: 2 neu" in result.output
    assert count(session, FollowUp) == 3
