"""Backups (``caseflow backup``) and restoring them (``caseflow restore``): the round trip on
SQLite and PostgreSQL keeps every row, the Alembic version comes along, a non-empty target and
a file of the wrong kind are refused, names carry the UTC moment and files are private."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import flask_migrate
import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from caseflow import backup as backups
from caseflow import create_app
from caseflow.backup import BackupError, backup, file_kind, human_size, restore
from caseflow.demo import load_demo
from caseflow.extensions import db, migrate
from caseflow.staff import passwords
from tests.conftest import REQUIRE_POSTGRES, config_for_tests, dispose_engines

MOMENT = datetime(2026, 3, 30, 2, 30, 5, tzinfo=ZoneInfo("Europe/Berlin"))  # 00:30:05 UTC
NOT_EMPTY = "Die Datenbank ist nicht leer"


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        return None
    return "postgresql+psycopg://" + url.split("://", 1)[1]


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo hashes three passwords; tests need correct hashes, not expensive ones."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def postgres_tools() -> None:
    """pg_dump and pg_restore on the PATH: a failure in CI's PostgreSQL run, else a skip."""
    missing = [name for name in ("pg_dump", "pg_restore") if shutil.which(name) is None]
    if missing:
        message = f"{', '.join(missing)} fehlt: PostgreSQL-Client-Programme installieren"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(f"PostgreSQL backup test: {message}")


@pytest.fixture
def new_database(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Make new, empty databases: ``new_database("sqlite")`` a file URL,
    ``new_database("postgresql")`` a scratch database on the test server (dropped after)."""
    created: list[str] = []
    admin_url = None

    def make(kind: str) -> str:
        nonlocal admin_url
        name = f"caseflow_backup_{uuid.uuid4().hex[:8]}"
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        url = _postgres_url()
        if url is None:
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
        admin_url = make_url(url).set(database="postgres")
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        created.append(name)
        return make_url(url).set(database=name).render_as_string(hide_password=False)

    yield make
    if created:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def app_on(tmp_path: Path) -> Iterator[Callable[[str], Flask]]:
    """Build apps on given database URLs, each with its own instance folder."""
    apps: list[Flask] = []

    def build(url: str) -> Flask:
        app = create_app(config_for_tests(url, tmp_path / f"instance{len(apps)}"))
        apps.append(app)
        return app

    yield build
    for app in apps:
        dispose_engines(app)


def _stored_files(root: Path) -> dict[str, bytes]:
    """The stored documents' files under ``root``: path inside it → bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def migrated_demo(app: Flask) -> None:
    """Migrate the app's database to head and load the demo data set (committed)."""
    with app.app_context():
        flask_migrate.upgrade()
        load_demo(db.session)
        db.session.commit()
        db.session.remove()


def contents(url: str) -> dict[str, object]:
    """Row counts of every table, the Alembic revision and a few values."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            counts = {
                table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                for table in tables
            }
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            staff = connection.execute(
                text("SELECT name, email, role FROM staff_member ORDER BY id")
            ).all()
            organisations = connection.execute(
                text("SELECT name FROM organisation ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    return {
        "counts": counts,
        "revision": revision,
        "staff": staff,
        "organisations": organisations,
    }


def head_revision(app: Flask) -> str:
    with app.app_context():
        config = migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def round_trip(kind: str, new_database, app_on, tmp_path: Path) -> None:
    source = new_database(kind)
    source_app = app_on(source)
    migrated_demo(source_app)
    before = contents(source)

    file = backup(source, tmp_path / "backups", now=MOMENT)
    assert file_kind(file) == kind
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    suffix = ".sqlite3" if kind == "sqlite" else ".dump"
    assert [path.name for path in file.parent.iterdir()] == [f"caseflow-20260330-003005{suffix}"]

    target = new_database(kind)
    restore(target, file)
    after = contents(target)
    assert after == before
    counts = after["counts"]
    assert counts["staff_member"] >= 3 and counts["organisation"] > 0
    assert counts["engagement"] > 0 and counts["audit_event"] > 0
    assert after["revision"] == [(head_revision(source_app),)]

    # `caseflow db upgrade` on the restored database has nothing to do.
    target_app = app_on(target)
    with target_app.app_context():
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        assert current == head_revision(target_app)
        flask_migrate.upgrade()
    assert contents(target) == before


def test_sqlite_round_trip_keeps_every_row_and_the_migration_state(
    new_database, app_on, tmp_path: Path
) -> None:
    round_trip("sqlite", new_database, app_on, tmp_path)


@pytest.mark.postgres_only
def test_postgres_round_trip_keeps_every_row_and_the_migration_state(
    postgres_tools, new_database, app_on, tmp_path: Path
) -> None:
    round_trip("postgresql", new_database, app_on, tmp_path)


def test_a_backup_is_named_by_the_utc_moment_and_readable_by_its_owner_only(
    new_database, app_on, tmp_path: Path
) -> None:
    source = new_database("sqlite")
    migrated_demo(app_on(source))
    folder = tmp_path / "new" / "backups"

    file = backup(source, folder, now=MOMENT)

    assert file == folder / "caseflow-20260330-003005.sqlite3"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert [path.name for path in folder.iterdir()] == [file.name]  # no partial file left
    assert file.read_bytes().startswith(b"SQLite format 3\x00")
    assert file.read_bytes()[18:20] == b"\x01\x01"  # rollback journal: one self-contained file
    with pytest.raises(BackupError, match="gibt es schon"):
        backup(source, folder, now=MOMENT)
    assert file.stat().st_size > 0


def test_a_failed_backup_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="Datenbankdatei .* gibt es nicht"):
        backup(f"sqlite:///{tmp_path / 'missing.sqlite3'}", tmp_path / "backups", now=MOMENT)
    assert list((tmp_path / "backups").iterdir()) == []


def test_restore_refuses_a_database_with_tables(new_database, app_on, tmp_path: Path) -> None:
    source = new_database("sqlite")
    migrated_demo(app_on(source))
    file = backup(source, tmp_path, now=MOMENT)
    target = new_database("sqlite")
    engine = create_engine(target)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    engine.dispose()

    with pytest.raises(BackupError, match=NOT_EMPTY):
        restore(target, file)
    with pytest.raises(BackupError, match=NOT_EMPTY):
        restore(source, file)
    assert inspect(create_engine(target)).get_table_names() == ["notes"]


def test_restore_refuses_a_file_of_the_wrong_kind(tmp_path: Path) -> None:
    dump = tmp_path / "caseflow-20260330-003005.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
    text_file = tmp_path / "notes.txt"
    text_file.write_text("keine Sicherung")
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"

    with pytest.raises(BackupError, match="ist eine PostgreSQL-Sicherung; die Datenbank ist eine"):
        restore(target, dump)
    with pytest.raises(BackupError, match="ist keine Sicherung von caseflow"):
        restore(target, text_file)
    assert not (tmp_path / "target.sqlite3").exists()


@pytest.mark.postgres_only
def test_restore_refuses_a_sqlite_copy_into_postgresql_and_a_full_database(
    new_database, app_on, tmp_path: Path
) -> None:
    sqlite_source = new_database("sqlite")
    migrated_demo(app_on(sqlite_source))
    file = backup(sqlite_source, tmp_path, now=MOMENT)
    target = new_database("postgresql")

    with pytest.raises(BackupError, match="ist eine SQLite-Sicherung; die Datenbank ist eine Po"):
        restore(target, file)

    migrated_demo(app_on(target))
    dump = tmp_path / "fake.dump"
    dump.write_bytes(b"PGDMP" + bytes(100))
    with pytest.raises(BackupError, match=NOT_EMPTY):
        restore(target, dump)


def test_a_missing_pg_dump_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BackupError, match="pg_dump wurde nicht gefunden"):
        backup("postgresql+psycopg://app:geheim@db.invalid/caseflow", tmp_path, now=MOMENT)
    assert list(tmp_path.iterdir()) == []


def test_the_password_goes_through_the_environment_not_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = []

    def fake_run(command, **kwargs):
        calls.append((command, kwargs["env"]))
        return subprocess.CompletedProcess(command, 1, "", "pg_dump: error: kaputt")

    monkeypatch.setattr(backups.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backups.subprocess, "run", fake_run)
    with pytest.raises(BackupError, match=r"pg_dump ist fehlgeschlagen \(Status 1\):\n.*kaputt"):
        backup("postgresql+psycopg://app:ge%40heim@db.example:5433/cf", tmp_path, now=MOMENT)

    [(command, env)] = calls
    assert command[-1] == "postgresql://app@db.example:5433/cf"
    assert not any("heim" in part for part in command)
    assert env["PGPASSWORD"] == "ge@heim"
    assert list(tmp_path.iterdir()) == []  # the partial file is gone


@pytest.mark.postgres_only
def test_a_failing_pg_dump_shows_its_message(postgres_tools, tmp_path: Path) -> None:
    url = _postgres_url()
    if url is None:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    missing = make_url(url).set(database=f"missing_{uuid.uuid4().hex[:8]}")
    with pytest.raises(BackupError, match="(?s)pg_dump ist fehlgeschlagen.*does not exist"):
        backup(missing.render_as_string(hide_password=False), tmp_path, now=MOMENT)
    assert list(tmp_path.iterdir()) == []


def test_human_size() -> None:
    assert human_size(812) == "812 Bytes"
    assert human_size(3_400) == "3,4 kB"
    assert human_size(12_049_000) == "12,0 MB"
    assert human_size(2_500_000_000) == "2,5 GB"


def test_the_commands_back_up_and_restore(new_database, app_on, tmp_path: Path) -> None:
    kind = "postgresql" if _postgres_url() else "sqlite"
    if kind == "postgresql" and shutil.which("pg_dump") is None and not REQUIRE_POSTGRES:
        kind = "sqlite"
    source = new_database(kind)
    source_app = app_on(source)
    migrated_demo(source_app)

    with source_app.app_context():
        result = source_app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    folder = Path(source_app.instance_path) / "backups"
    # The demo holds documents: their files go into a tar beside the database's copy.
    [tar] = [path for path in folder.iterdir() if path.name.endswith("-dokumente.tar")]
    [file] = [path for path in folder.iterdir() if path != tar]
    stored = _stored_files(Path(source_app.instance_path) / "documents")
    assert stored
    assert result.output == (
        f"Sicherung geschrieben: {file} ({human_size(file.stat().st_size)})\n"
        f"Dokumente gesichert: {tar} ({len(stored)} Dateien, {human_size(tar.stat().st_size)})\n"
    )

    target = new_database(kind)
    target_app = app_on(target)
    runner = target_app.test_cli_runner()
    with target_app.app_context():
        declined = runner.invoke(args=["restore", str(file)], input="n\n")
    assert declined.exit_code == 1
    assert "einspielen? [y/N]" in declined.output
    engine = create_engine(target)
    assert inspect(engine).get_table_names() == []  # declined: nothing restored
    engine.dispose()

    with target_app.app_context():
        done = runner.invoke(args=["restore", str(file), "--yes"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"Sicherung {file} in die Datenbank ")
    assert done.output.endswith(" eingespielt.\n")
    assert contents(target) == contents(source)
    with target_app.app_context():
        files = runner.invoke(args=["restore", str(tar), "--yes"])
    assert files.exit_code == 0, files.output
    assert _stored_files(Path(target_app.instance_path) / "documents") == stored

    with target_app.app_context():
        again = runner.invoke(args=["restore", str(file), "--yes"])
    assert again.exit_code == 1
    assert f"Error: {NOT_EMPTY}" in again.output

    elsewhere = tmp_path / "elsewhere"
    with source_app.app_context():
        result = source_app.test_cli_runner().invoke(args=["backup", "--to", str(elsewhere)])
    assert result.exit_code == 0, result.output
    assert str(elsewhere) in result.output


def test_the_restore_command_refuses_a_wrong_file(app: Flask, tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("hallo")
    result = app.test_cli_runner().invoke(args=["restore", str(file), "--yes"])
    assert result.exit_code == 1
    assert "ist keine Sicherung von caseflow" in result.output


def test_backup_names_sort_by_time_across_the_clock_change(tmp_path: Path) -> None:
    """02:30 Berlin summer time and 02:30 winter time are an hour apart in UTC."""
    source = tmp_path / "db.sqlite3"
    sqlite3.connect(source).close()
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    names = [backup(f"sqlite:///{source}", tmp_path / "b", now=now).name for now in (first, second)]
    assert names == ["caseflow-20261025-003000.sqlite3", "caseflow-20261025-013000.sqlite3"]


def test_a_sqlite_backup_is_consistent_while_another_connection_writes(
    new_database, app_on, tmp_path: Path
) -> None:
    """The online backup API copies the last committed state; an open write transaction
    neither blocks the backup nor leaks into it."""
    source = new_database("sqlite")
    migrated_demo(app_on(source))
    writer = sqlite3.connect(make_url(source).database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("CREATE TABLE half_written (id INTEGER PRIMARY KEY)")
        writer.execute("DELETE FROM audit_event")

        file = backup(source, tmp_path / "backups", now=MOMENT)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    target = new_database("sqlite")
    restore(target, file)
    assert contents(target) == contents(source)
    assert "half_written" not in contents(target)["counts"]


def test_restore_refuses_a_target_file_that_is_not_a_database(
    new_database, app_on, tmp_path: Path
) -> None:
    source = new_database("sqlite")
    migrated_demo(app_on(source))
    file = backup(source, tmp_path / "backups", now=MOMENT)
    target = tmp_path / "target.sqlite3"
    target.write_text("kein SQLite " * 100)

    with pytest.raises(BackupError, match="ist keine lesbare SQLite-Datenbank"):
        restore(f"sqlite:///{target}", file)
    assert target.read_text().startswith("kein SQLite")
