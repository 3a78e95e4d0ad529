"""`caseflow jobs run [--now ISO]`: every sweep once, one German line each, then the mail
delivery once with its figures."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from caseflow import cli, clock
from caseflow.engagements.models import EngagementStatus
from caseflow.followups.delivery import DeliveryResult
from caseflow.followups.models import FollowUp, MailStatus, Notification
from caseflow.followups.sweeps import Sweep
from caseflow.jobs import SWEEPS
from tests import factories

MAIL_LINE = re.compile(r"^E-Mails: (\d+) gesendet, (\d+) später erneut, (\d+) fehlgeschlagen$")


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def sweep_lines(output: str) -> list[str]:
    lines = output.splitlines()
    assert MAIL_LINE.match(lines[-1]), output
    return lines[:-1]


def mail_figures(output: str) -> tuple[int, int, int]:
    match = MAIL_LINE.match(output.splitlines()[-1])
    assert match, output
    return tuple(int(group) for group in match.groups())


@pytest.fixture
def programme(session):
    lead = factories.make_staff_member(session, name="Lea Leitung", email="lea@example.org")
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
    lines = sweep_lines(result.output)
    assert [line.split(":")[0] for line in lines] == [str(sweep.label) for sweep in SWEEPS]
    assert "Meilenstein-Erinnerungen: " in result.output
    assert "Nachhaltigkeitschecks: 2 neu" in lines
    assert "Endende Prozessbegleitungen: 1 neu" in lines
    assert all(line.endswith(" neu") for line in lines)
    notifications, follow_ups = count(session, Notification), count(session, FollowUp)
    assert notifications >= 2 and follow_ups == 3

    again = runner.invoke(args=["jobs", "run", "--now", "2025-12-15T09:00:00+01:00"])
    assert again.exit_code == 0, again.output
    assert [line.split(": ")[1] for line in sweep_lines(again.output)] == ["0 neu"] * len(SWEEPS)
    assert (count(session, Notification), count(session, FollowUp)) == (notifications, 3)
    assert mail_figures(again.output) == (0, 0, 0)


def test_jobs_run_sends_the_due_mail_once_and_prints_the_figures(
    app: Flask, session, programme
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "--now", "2025-12-15T09:00:00+01:00"])
    assert result.exit_code == 0, result.output
    sent = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.mail_status == MailStatus.SENT)
    )
    assert sent >= 1
    assert mail_figures(result.output) == (sent, 0, 0)
    again = runner.invoke(args=["jobs", "run", "--now", "2025-12-15T09:05:00+01:00"])
    assert mail_figures(again.output) == (0, 0, 0)


def test_jobs_run_reports_a_failing_mail_delivery(
    app: Flask, session, programme, monkeypatch
) -> None:
    def broken(session, now) -> DeliveryResult:
        raise OSError("Postfach voll")

    monkeypatch.setattr(cli, "deliver_mail", broken)
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--now", "2025-12-15"])
    assert result.exit_code == 1
    # stdout only: the logged traceback goes to stderr (which ``output`` mixes in), and where
    # it ends up depends on the logging handlers that earlier tests left on the root logger.
    assert result.stdout.splitlines()[-1] == "E-Mails: Fehler – OSError: Postfach voll"
    assert "Nachhaltigkeitschecks: 2 neu" in result.output


def test_jobs_run_takes_a_day_or_the_clock(app: Flask, session, programme) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "--now", "2025-12-15"])
    assert result.exit_code == 0, result.output
    assert "Endende Prozessbegleitungen: 1 neu" in result.output
    with clock.frozen(date(2025, 12, 16)):
        result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "Endende Prozessbegleitungen: 0 neu" in result.output
    assert mail_figures(result.output)[1:] == (0, 0)


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
