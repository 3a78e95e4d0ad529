"""The ``caseflow`` command line: ``caseflow`` is ``flask --app caseflow``.

Commands: ``backup [--to FOLDER]``, ``bench …`` (bench/run.py of a checkout), ``db …``
(Flask-Migrate), ``demo``, ``jobs run [--now ISO]``, ``restore FILE [--yes]``, ``scheduler``,
``staff import FILE``, ``users create``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup
from sqlalchemy.engine import make_url

from caseflow import clock
from caseflow.backup import (
    BackupError,
    backup_documents,
    human_size,
    is_documents_backup,
    restore_documents,
)
from caseflow.backup import backup as write_backup
from caseflow.backup import restore as restore_backup
from caseflow.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoError, load_demo
from caseflow.documents.sweeps import storage_root as document_root
from caseflow.extensions import db
from caseflow.followups.delivery import deliver_mail
from caseflow.jobs import SWEEPS
from caseflow.staff.importing import StaffImportError, import_staff_file
from caseflow.staff.models import Role
from caseflow.staff.services import StaffError, create_login

staff_cli = AppGroup("staff", help="Das Mitarbeitendenverzeichnis (Kontaktliste).")
users_cli = AppGroup("users", help="Logins für Mitarbeitende.")
jobs_cli = AppGroup("jobs", help="Die geplanten Aufgaben (Erinnerungen, Wiedervorlagen).")


@staff_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def staff_import(path: Path) -> None:
    """Import the contact list from a CSV or vCard file (idempotent)."""
    try:
        report = import_staff_file(db.session, path, now=clock.now())
    except StaffImportError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(report.summary())


@users_cli.command("create")
@click.option("--name", prompt="Name")
@click.option("--email", prompt="E-Mail")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.CONSULTANT.value,
    show_default=True,
)
@click.password_option("--password", prompt="Passwort")
def users_create(name: str, email: str, role: str, password: str) -> None:
    """Create a login (or give one to a person already on the contact list)."""
    try:
        member = create_login(
            db.session,
            name=name,
            email=email,
            role=Role(role),
            password=password,
            actor=None,
            min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            now=clock.now(),
        )
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Login für {member.name} <{member.email}> ({member.role.value}) angelegt.")


@click.command("demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Auf einer Datenbank mit Daten nichts tun (statt mit einem Fehler abzubrechen).",
)
def demo(if_empty: bool) -> None:
    """Load the demo data set into an empty database and print the demo logins."""
    try:
        summary = load_demo(db.session)
    except DemoError as exc:
        db.session.rollback()
        if not if_empty:
            raise click.ClickException(str(exc)) from exc
        summary = "Die Datenbank enthält bereits Daten; die Demo-Daten wurden nicht geladen."
    else:
        db.session.commit()
    click.echo(summary)
    click.echo("")
    click.echo(f"Demo-Logins (Passwort für alle: {DEMO_PASSWORD}):")
    for email, role_label in DEMO_LOGINS:
        click.echo(f"  {email:<24} {role_label}")


@click.command("backup")
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Ordner für die Sicherung (Standard: backups im Instanzordner).",
)
def backup(folder: Path | None) -> None:
    """Write a consistent copy of the database (SQLite backup API or pg_dump) into a file
    named by the moment in UTC, readable by its owner only, then the documents' files into a
    tar beside it (when there are any); print each file and its size."""
    folder = folder or Path(current_app.instance_path) / "backups"
    now = clock.now()
    try:
        path = write_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], folder, now=now)
        documents = backup_documents(document_root(), folder, now=now)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Sicherung geschrieben: {path} ({human_size(path.stat().st_size)})")
    if documents is not None:
        tar, count = documents
        click.echo(
            f"Dokumente gesichert: {tar} ({count} Dateien, {human_size(tar.stat().st_size)})"
        )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ohne Rückfrage einspielen.")
def restore(file: Path, yes: bool) -> None:
    """Restore a backup written by ``caseflow backup`` into the configured database, which
    must be empty; a documents' backup (``…-dokumente.tar``) into the empty storage root."""
    if is_documents_backup(file):
        root = document_root()
        if not yes:
            click.confirm(f"Die Dokumente aus {file} in {root} einspielen?", abort=True)
        try:
            count = restore_documents(file, root)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{count} Dokumentdateien aus {file} in {root} eingespielt.")
        return
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    shown = make_url(url).render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"Die Sicherung {file} in die Datenbank {shown} einspielen?", abort=True)
    try:
        restore_backup(url, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Sicherung {file} in die Datenbank {shown} eingespielt.")


class MomentType(click.ParamType):
    """An ISO 8601 moment with offset (``2026-03-29T08:00:00+02:00``) or a day (``2026-03-29``,
    meaning 12:00 local time, like ``clock.frozen``); converted to aware UTC."""

    name = "zeitpunkt"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                return datetime.combine(day, time(12, 0), tzinfo=clock.timezone()).astimezone(UTC)
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
            self.fail(
                f"„{text}“ ist kein gültiger Zeitpunkt: erwartet wird ein Datum (2026-03-29) "
                "oder ein Zeitpunkt mit Zeitzone (2026-03-29T08:00:00+02:00).",
                param,
                ctx,
            )
        return moment.astimezone(UTC)


@jobs_cli.command("run")
@click.option("--now", "moment", type=MomentType(), help="Zeitpunkt statt der aktuellen Zeit.")
def jobs_run(moment: datetime | None) -> None:
    """Run every sweep once (commit after each), then send the due email; print what each
    did."""
    now = moment or clock.now()
    failed = False
    for sweep in SWEEPS:
        try:
            created = sweep.run(db.session, now)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001  (one failing sweep must not stop the others)
            db.session.rollback()
            failed = True
            current_app.logger.exception("sweep %s failed", sweep.key)
            click.echo(f"{sweep.label}: Fehler – {type(exc).__name__}: {exc}")
            continue
        click.echo(f"{sweep.label}: {created} neu")
    try:
        # Commits itself: claims first, then each message's outcome.
        mail = deliver_mail(db.session, now)
    except Exception as exc:  # noqa: BLE001  (reported like a failing sweep)
        db.session.rollback()
        failed = True
        current_app.logger.exception("mail delivery failed")
        click.echo(f"E-Mails: Fehler – {type(exc).__name__}: {exc}")
    else:
        click.echo(
            f"E-Mails: {mail.sent} gesendet, {mail.retrying} später erneut, "
            f"{mail.failed} fehlgeschlagen"
        )
    if failed:
        raise SystemExit(1)


def _seconds_between(low: float, high: float):
    """A click callback: a number of seconds from ``low`` to ``high``, else a German error."""

    def check(ctx: click.Context, param: click.Parameter, value: float) -> float:
        if not low <= value <= high:
            raise click.BadParameter(
                f"{value:g} Sekunden geht nicht; erlaubt sind {low:g} bis {high:g} Sekunden."
            )
        return value

    return check


@click.command("scheduler")
@click.option(
    "--lock-retry",
    type=float,
    callback=_seconds_between(0.1, 3600),
    default=15.0,  # caseflow.scheduler.DEFAULT_LOCK_RETRY_SECONDS
    show_default=True,
    help="Sekunden zwischen zwei Versuchen, wenn schon ein anderer Scheduler läuft.",
)
@click.option(
    "--heartbeat-seconds",
    type=int,
    # Below the 15 minutes after which admins are warned.
    callback=_seconds_between(1, 300),
    default=60,  # caseflow.scheduler.DEFAULT_HEARTBEAT_SECONDS
    show_default=True,
    help="Sekunden zwischen zwei Lebenszeichen (für Tests kürzer).",
)
def scheduler(lock_retry: float, heartbeat_seconds: int) -> None:
    """Run the scheduled jobs (sweeps, email, heartbeat) until SIGTERM or Ctrl-C; only one
    scheduler runs at a time, a second one waits and takes over."""
    # Imported here, not at the top: the web app (wsgi.py) loads this module for its CLI and
    # must not even import APScheduler (tests/test_app.py checks that).
    from caseflow.scheduler import run_scheduler

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # APScheduler logs every run of every job at INFO; caseflow logs what each did.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    ok = run_scheduler(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        lock_retry=lock_retry,
        heartbeat_seconds=heartbeat_seconds,
        say=click.echo,
    )
    if not ok:
        raise SystemExit(1)


@click.command(
    "bench",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def bench(arguments: tuple[str, ...]) -> None:
    """Run the benchmark against a minimal Flask baseline (bench/run.py of a checkout;
    ``caseflow bench --help`` lists its options)."""
    runner = Path(__file__).resolve().parent.parent / "bench" / "run.py"
    if not runner.is_file():
        raise click.ClickException(
            "Der Benchmark (bench/run.py) gehört nicht zum installierten Paket; "
            "bitte aus einem Checkout des Repositorys starten. "
            "(The benchmark is not part of the installed package; run it from a checkout.)"
        )
    result = subprocess.run([sys.executable, str(runner), *arguments], check=False)  # noqa: S603
    raise SystemExit(result.returncode)


def register_cli(app: Flask) -> None:
    app.cli.add_command(staff_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    app.cli.add_command(scheduler)
    app.cli.add_command(bench)


def main() -> None:
    """The console script: the same as ``flask --app caseflow …``."""
    group = FlaskGroup(name="caseflow")
    # The benchmark builds its own apps and servers: it must not need this one's configuration.
    group.add_command(bench)
    group.main(args=["--app", "caseflow", *sys.argv[1:]], prog_name="caseflow")
