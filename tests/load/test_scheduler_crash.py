"""Point 8 of the load proof, the scheduler crash: ``caseflow scheduler`` is killed (SIGKILL,
no cleanup) twice, once in the middle of a sweep and once in the middle of the mail
delivery, and started again each time. Afterwards every notification that is due exists
once, every email went out (to a real SMTP server) once, and a further ``caseflow jobs run``
finds nothing left to do.

The data: the demo, copied ``COPIES`` times (``bench.dataset``), at the demo date, so the
sweeps raise a few hundred notifications and about a third of them go out by email.

"Mid-sweep" is made certain rather than hoped for: the test holds an uncommitted
notification with the key one of the follow-up sweep's rows will have, so that sweep's
``INSERT … ON CONFLICT DO NOTHING`` (one statement, rows before that key already written)
waits for the test's transaction; the scheduler is killed while it waits (seen in
``pg_stat_activity`` by its ``application_name``). "Mid-delivery" is when the SMTP server,
slowed down to ``SMTP_DELAY`` a message, has received part of the emails."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, select, text

from bench.dataset import copy_demo
from caseflow import clock, create_app
from caseflow.engagements.models import Engagement
from caseflow.extensions import db
from caseflow.followups.models import FollowUp, FollowUpStatus
from caseflow.followups.sweeps.common import OPEN_STATUSES
from tests.conftest import config_for_tests, dispose_engines
from tests.live_server import BIN, ROOT, fresh_database, run_cli, server_environment
from tests.load.support import DEMO_DATE, figure, wait_until
from tests.mail_server import LocalSmtpServer, _Collector

pytestmark = pytest.mark.load

COPIES = 6  # the demo's notifications × 6 stay under one mail batch (200)
SMTP_DELAY = 0.02  # seconds the SMTP server takes per message
# MAIL_CLAIM_TIMEOUT_SECONDS: a dead sender's claims are taken over after it; a batch stops
# at half of it (15 s: ~150 emails on a busy machine, more than the ~80 here).
CLAIM_TIMEOUT = 30
APPLICATION_NAME = "caseflow-crash-test"
MESSAGE_ID = re.compile(r"<notification-(\d+)\.")


class _SlowCollector(_Collector):
    async def handle_DATA(self, smtp, session, envelope):  # noqa: N802
        await asyncio.sleep(SMTP_DELAY)
        return await super().handle_DATA(smtp, session, envelope)


class SlowSmtpServer(LocalSmtpServer):
    """The tests' SMTP server, taking ``SMTP_DELAY`` seconds per message."""

    def __init__(self) -> None:
        super().__init__()
        self._controller.loop.close()  # the unused controller's event loop
        self._controller = Controller(
            _SlowCollector(self), hostname=self.host, port=self.port, enable_SMTPUTF8=True
        )


def _start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "a") as output:
        return subprocess.Popen(
            [str(BIN / "caseflow"), "scheduler", "--lock-retry", "0.5", "--heartbeat-seconds", "5"],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def _a_due_follow_up_key(url: str, folder: Path) -> tuple[str, int]:
    """The dedup key the follow-up sweep gives the last of its notifications (the open
    follow-up of an open engagement due longest after the others), and a staff id."""
    app = create_app(config_for_tests(url, folder) | {"CASEFLOW_TODAY": DEMO_DATE})
    try:
        with app.app_context():
            now = clock.now()
            follow_up = db.session.scalars(
                select(FollowUp)
                .join(Engagement, FollowUp.engagement_id == Engagement.id)
                .where(
                    FollowUp.status == FollowUpStatus.OFFEN,
                    FollowUp.due_at <= now,
                    Engagement.status.in_(OPEN_STATUSES),
                )
                .order_by(FollowUp.id.desc())
            ).first()
            assert follow_up is not None, "the demo has due follow-ups"
            return (
                f"follow_up:{follow_up.id}:{follow_up.due_at.isoformat()}",
                follow_up.assignee_id or 1,
            )
    finally:
        dispose_engines(app)


def test_scheduler_killed_mid_sweep_and_mid_delivery_loses_and_repeats_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    smtp = SlowSmtpServer().start()
    try:
        with fresh_database(postgres_url, tmp_path) as url:
            env = server_environment(
                url,
                tmp_path / "instance",
                CASEFLOW_TODAY=DEMO_DATE,
                MAIL_URL=smtp.url,
                MAIL_CLAIM_TIMEOUT_SECONDS=str(CLAIM_TIMEOUT),
                PGAPPNAME=APPLICATION_NAME,
            )
            run_cli(env, "db", "upgrade")
            run_cli(env, "demo")
            app = create_app(config_for_tests(url, tmp_path / "copy"))
            try:
                with app.app_context():
                    copy_demo(COPIES)
            finally:
                dispose_engines(app)
            blocking_key, recipient = _a_due_follow_up_key(url, tmp_path / "key")
            engine = create_engine(url)
            try:
                _run(env, engine, smtp, blocking_key, recipient, tmp_path)
            finally:
                engine.dispose()
    finally:
        smtp.stop()


def _count(engine, sql: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar() or 0


def _run(env, engine, smtp, blocking_key: str, recipient: int, folder: Path) -> None:
    log = folder / "scheduler.log"
    # -- 1. killed in the middle of the follow-up sweep ----------------------------------------
    blocker = engine.connect()
    transaction = blocker.begin()
    blocker.execute(
        text(
            "INSERT INTO notification (recipient_id, kind, text, dedup_key, created_at, "
            "mail_status, mail_attempts) VALUES (:recipient, 'follow_up_due', 'Sperre', :key, "
            "now(), 'none', 0)"
        ),
        {"recipient": recipient, "key": blocking_key},
    )
    started = time.monotonic()
    scheduler = _start_scheduler(env, log)
    try:
        waited = wait_until(
            lambda: (
                _count(
                    engine,
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                    f"'{APPLICATION_NAME}' AND wait_event_type = 'Lock' AND query LIKE "
                    "'INSERT INTO notification%'",
                )
                > 0
            ),
            timeout=60,
        )
        milestones = _count(
            engine, "SELECT count(*) FROM notification WHERE kind LIKE 'milestone%'"
        )
        _kill(scheduler)
    finally:
        if scheduler.poll() is None:
            _kill(scheduler)
        transaction.rollback()
        blocker.close()
    follow_ups_after_kill = _count(
        engine, "SELECT count(*) FROM notification WHERE kind = 'follow_up_due'"
    )
    figure(
        "scheduler crash 1 (mid-sweep)",
        f"killed {waited:.2f} s after it was started, waiting inside the follow-up sweep's "
        f"INSERT; {milestones} milestone notifications committed before, "
        f"{follow_ups_after_kill} follow-up notifications left after the kill",
    )
    # The earlier sweep's work is kept, the interrupted one's is gone entirely.
    assert milestones > 0
    assert follow_ups_after_kill == 0
    assert smtp.messages == []

    # -- 2. started again, killed in the middle of the mail delivery ---------------------------
    scheduler = _start_scheduler(env, log)
    try:
        wait_until(lambda: len(smtp.messages) >= 5, timeout=90, interval=0.01)
        _kill(scheduler)
    finally:
        if scheduler.poll() is None:
            _kill(scheduler)
    received_at_kill = len(smtp.messages)
    states = _mail_states(engine)
    figure("scheduler crash 2 (mid-delivery)", f"{received_at_kill} emails received, rows {states}")
    assert states.get("sending", 0) > 0, "the kill came while emails were still claimed"

    # -- 3. started again after the claim timeout: it finishes -----------------------------
    time.sleep(CLAIM_TIMEOUT + 0.5)
    scheduler = _start_scheduler(env, log)
    try:
        wait_until(
            lambda: (
                _count(
                    engine,
                    "SELECT count(*) FROM notification WHERE mail_status IN ('pending', 'sending')",
                )
                == 0
            ),
            timeout=120,
            interval=0.2,
        )
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=30)
    finished = time.monotonic() - started

    # -- 4. nothing lost, nothing twice ------------------------------------------------------
    states = _mail_states(engine)
    with engine.connect() as connection:
        sent_ids = set(
            connection.execute(text("SELECT id FROM notification WHERE mail_status = 'sent'"))
            .scalars()
            .all()
        )
        total = connection.execute(text("SELECT count(*) FROM notification")).scalar()
        keys = connection.execute(
            text("SELECT count(DISTINCT dedup_key) FROM notification")
        ).scalar()
    delivered = [
        int(MESSAGE_ID.search(message["Message-ID"]).group(1)) for message in smtp.messages
    ]
    repeated = len(delivered) - len(set(delivered))
    again = run_cli(env, "jobs", "run").stdout
    figure(
        "scheduler crashes, outcome",
        f"{total} notifications ({states}), {len(delivered)} emails received for "
        f"{len(set(delivered))} notifications ({repeated} repeated), {finished:.1f} s in all; "
        f"then jobs run: {' | '.join(again.strip().splitlines())}",
    )
    assert keys == total
    assert set(states) <= {"sent", "none"}, states
    assert set(delivered) == sent_ids
    # Only a message in flight at the kill (sent, not yet recorded) may come twice, with the
    # same Message-ID; the SMTP server here accepts a message only after its delay.
    assert repeated <= 1
    # A further run finds every rule's work done and no email due.
    assert all(line.endswith(": 0 neu") for line in again.strip().splitlines()[:-1]), again
    assert again.strip().splitlines()[-1].startswith("E-Mails: 0 gesendet"), again
    assert os.path.getsize(folder / "scheduler.log") > 0


def _mail_states(engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT mail_status, count(*) FROM notification GROUP BY 1 ORDER BY 1")
        ).all()
    return {status: count for status, count in rows}
