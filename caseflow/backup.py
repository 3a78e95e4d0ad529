"""Backups of the whole database, and restoring one into an empty database.

SQLite is copied with its online backup API (``sqlite3.Connection.backup``): the copy is
consistent even while the app or the scheduler writes. PostgreSQL is dumped with ``pg_dump
--format=custom`` and restored with ``pg_restore``; both must be on the ``PATH`` and at least
as new as the server. A file is written under a temporary name in the target folder and renamed
when complete, so a half-written file never carries a backup's name; it is readable by its
owner only (mode 0600), because it holds personal data.

Names carry the moment in UTC (``caseflow-20261207-023000.sqlite3``, ``….dump``): UTC never
repeats an hour when the clocks go back, so names sort in the order they were written.

The documents' files (``DOCUMENT_STORAGE_ROOT``) go into a tar file beside the database copy
(``caseflow-…-dokumente.tar``), written after it: files outlive their rows by at least a day
(the housekeeping removes a file only once no row names it), so every row of the database copy
finds its file in the tar; a file in the tar without a row is an orphan the next housekeeping
removes. One exception: with ``DOCUMENT_TRASH_DAYS = 0`` a deletion removes the file right
after its commit, so a document deleted between the two copies has a row without its file
(the daily check reports it as damaged after a restore). Restoring unpacks only files of the
storage layout (``ab/<32 hex digits>``) into an empty storage root, nothing else: no paths out
of it, no links.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
FILE_MODE = 0o600
# pg_dump/pg_restore of a demo-sized database take seconds; a hung server must not hang cron.
TIMEOUT_SECONDS = 3600


class BackupError(Exception):
    """A backup or restore that cannot be done; the message (German) says why."""


def backup(engine_url: str, folder: Path, *, now: datetime) -> Path:
    """Write a consistent copy of the database at ``engine_url`` into ``folder`` (created with
    mode 0700 if missing) and return the file: ``caseflow-YYYYMMDD-HHMMSS.sqlite3`` for SQLite,
    ``….dump`` (pg_dump custom format) for PostgreSQL, the stamp being ``now`` in UTC. The file
    has mode 0600; an existing file is never overwritten."""
    url = make_url(engine_url)
    kind = _kind(url)
    suffix = ".sqlite3" if kind == "sqlite" else ".dump"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"caseflow-{now.astimezone(UTC):%Y%m%d-%H%M%S}{suffix}"
    if target.exists():
        raise BackupError(f"Die Datei {target} gibt es schon; sie wird nicht überschrieben.")
    partial = folder / f".{target.name}.partial"
    # Created empty with 0600 before anything is written: no moment with looser rights.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE))
    try:
        if kind == "sqlite":
            _sqlite_copy(_sqlite_path(url, must_exist=True), partial, read_only=False)
        else:
            _run(
                "pg_dump",
                ["--format=custom", "--no-owner", f"--file={partial}", _libpq_url(url)],
                url,
            )
        os.chmod(partial, FILE_MODE)
        os.replace(partial, target)
    except BaseException:
        with suppress(FileNotFoundError):
            partial.unlink()
        raise
    return target


# A stored document's place in the storage root (see caseflow.documents.storage).
STORED_FILE = re.compile(r"[0-9a-f]{2}/[0-9a-f]{32}")
DOCUMENTS_SUFFIX = "-dokumente.tar"


def stored_files(root: Path) -> list[Path]:
    """The stored documents' files under ``root`` (``<2 hex>/<32 hex>``, no links), sorted;
    uploads still arriving in ``incoming/`` are not among them."""
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.glob("*/*")
        if path.is_file()
        and not path.is_symlink()
        and STORED_FILE.fullmatch(path.relative_to(root).as_posix())
    )


def backup_documents(root: Path, folder: Path, *, now: datetime) -> tuple[Path, int] | None:
    """Write the stored documents under ``root`` into ``caseflow-<UTC moment>-dokumente.tar``
    in ``folder`` (mode 0600, written under a temporary name first); return the file and how
    many documents it holds, or None when there is nothing to keep. Uploads still arriving
    (``incoming/``) are left out."""
    files = stored_files(root)
    if not files:
        return None
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"caseflow-{now.astimezone(UTC):%Y%m%d-%H%M%S}{DOCUMENTS_SUFFIX}"
    if target.exists():
        raise BackupError(f"Die Datei {target} gibt es schon; sie wird nicht überschrieben.")
    partial = folder / f".{target.name}.partial"
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE))
    try:
        with tarfile.open(partial, "w") as archive:
            for path in files:
                archive.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
        os.chmod(partial, FILE_MODE)
        os.replace(partial, target)
    except BaseException:
        with suppress(FileNotFoundError):
            partial.unlink()
        raise
    return target, len(files)


def is_documents_backup(file: Path) -> bool:
    return file.name.endswith(DOCUMENTS_SUFFIX) and tarfile.is_tarfile(file)


def restore_documents(file: Path, root: Path) -> int:
    """Unpack the documents' backup ``file`` into ``root``, which must hold no stored file
    yet; return how many files. Refused (``BackupError``, nothing unpacked) when the tar holds
    anything but regular files in the storage layout."""
    if stored_files(root):
        raise BackupError(
            f"Im Ablageordner {root} liegen schon Dokumente; eine Sicherung wird nur in einen "
            "leeren Ablageordner eingespielt."
        )
    with tarfile.open(file, "r") as archive:
        members = archive.getmembers()
        strange = [
            member.name
            for member in members
            if not member.isfile() or STORED_FILE.fullmatch(member.name) is None
        ]
        if strange:
            raise BackupError(
                f"{file} ist keine Dokumentensicherung von caseflow (unerwarteter Eintrag "
                f"{strange[0]!r}); es wurde nichts eingespielt."
            )
        root.mkdir(parents=True, exist_ok=True)
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 on: a second line of defence
            archive.extractall(root, members=members, filter="data")
        else:  # the members were checked above: regular files in the storage layout only
            archive.extractall(root, members=members)  # noqa: S202
    return len(members)


def restore(engine_url: str, file: Path) -> None:
    """Restore the backup ``file`` into the database at ``engine_url``, which must be empty (no
    tables; an empty schema is fine). The file's kind (by its header) must match the database:
    a SQLite copy only into SQLite, a pg_dump file only into PostgreSQL. The Alembic version
    table comes along, so ``caseflow db upgrade`` afterwards has nothing to do."""
    url = make_url(engine_url)
    kind = _kind(url)
    found = file_kind(file)
    if found != kind:
        names = {"sqlite": "eine SQLite-Sicherung", "postgresql": "eine PostgreSQL-Sicherung"}
        what = names.get(found or "", "keine Sicherung von caseflow")
        raise BackupError(
            f"{file} ist {what}; die Datenbank ist {_label(kind)}. "
            "Eine Sicherung lässt sich nur in dieselbe Art von Datenbank einspielen."
        )
    if kind == "sqlite":
        target = _sqlite_path(url, must_exist=False)
        if target.exists() and _sqlite_tables(target):
            raise _not_empty(url)
        _sqlite_copy(file, target, read_only=True)
    else:
        if _postgres_tables(url):
            raise _not_empty(url)
        _run(
            "pg_restore",
            [
                "--no-owner",
                "--exit-on-error",
                # All or nothing: a failed restore leaves the database empty, ready for a retry.
                "--single-transaction",
                f"--dbname={_libpq_url(url)}",
                str(file),
            ],
            url,
        )


def file_kind(file: Path) -> str | None:
    """``"sqlite"`` or ``"postgresql"`` by the file's first bytes; None for anything else."""
    try:
        with file.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupError(f"{file} lässt sich nicht lesen: {exc.strerror}.") from exc
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_DUMP_HEADER):
        return "postgresql"
    return None


def human_size(size: int) -> str:
    """A file size for people, German style: ``812 Bytes``, ``3,4 kB``, ``12,0 MB``."""
    if size < 1000:
        return f"{size} Bytes"
    for unit, factor in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if size < factor * 1000 or unit == "GB":
            return f"{size / factor:.1f} {unit}".replace(".", ",")
    raise AssertionError("unreachable")


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise BackupError(
            f"Sicherungen gibt es nur für SQLite und PostgreSQL, nicht für {backend}."
        )
    return backend


def _label(kind: str) -> str:
    return "eine SQLite-Datenbank" if kind == "sqlite" else "eine PostgreSQL-Datenbank"


def _not_empty(url: URL) -> BackupError:
    return BackupError(
        f"Die Datenbank ist nicht leer ({url.render_as_string(hide_password=True)}): "
        "eine Sicherung wird nur in eine leere Datenbank eingespielt, damit nichts "
        "überschrieben oder vermischt wird."
    )


def _sqlite_path(url: URL, *, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("Eine SQLite-Datenbank im Arbeitsspeicher lässt sich nicht sichern.")
    path = Path(url.database)
    if must_exist and not path.is_file():
        raise BackupError(f"Die Datenbankdatei {path} gibt es nicht.")
    return path


def _sqlite_tables(path: Path) -> list[str]:
    try:
        with closing(sqlite3.connect(path)) as connection:
            rows = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} ist keine lesbare SQLite-Datenbank: {exc}.") from exc
    return [name for (name,) in rows]


def _sqlite_copy(source: Path, target: Path, *, read_only: bool) -> None:
    """Copy with the online backup API: one step under a read lock, so the copy is the last
    committed state even while others write. A restore opens the backup file ``read_only``
    (it is never touched); the live database is opened normally, as it may need its WAL files.
    The copy is left in rollback-journal mode, one self-contained file (the app turns WAL
    back on when it connects)."""
    try:
        with (
            closing(sqlite3.connect(_sqlite_uri(source, read_only), uri=True)) as src,
            closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite meldet einen Fehler: {exc}.") from exc


def _sqlite_uri(path: Path, read_only: bool) -> str:
    return path.resolve().as_uri() + ("?mode=ro" if read_only else "")


def _postgres_tables(url: URL) -> list[str]:
    """Tables, views and sequences outside PostgreSQL's own schemas (an empty ``public``
    schema, as ``createdb`` makes it, counts as empty)."""
    from sqlalchemy import create_engine, text  # only the PostgreSQL path needs an engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                    "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
                )
            ).all()
    except Exception as exc:
        raise BackupError(f"Die Datenbank ist nicht erreichbar: {exc}") from exc
    finally:
        engine.dispose()
    return [name for (name,) in rows]


def _libpq_url(url: URL) -> str:
    """``postgresql+psycopg://user:pw@host:port/db`` as libpq's ``postgresql://user@host:port/db``
    (the password goes through ``PGPASSWORD``, never the command line)."""
    libpq = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return libpq.render_as_string(hide_password=False)


def _run(program: str, arguments: list[str], url: URL) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} wurde nicht gefunden. Bitte die PostgreSQL-Client-Programme installieren "
            "(Debian/Ubuntu: Paket postgresql-client, in der Version des Servers oder neuer)."
        )
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    try:
        result = subprocess.run(  # noqa: S603  (fixed program, arguments built here)
            [executable, *arguments],
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BackupError(
            f"{program} ist nach {TIMEOUT_SECONDS} Sekunden nicht fertig geworden."
        ) from exc
    if result.returncode != 0:
        raise BackupError(
            f"{program} ist fehlgeschlagen (Status {result.returncode}):\n{result.stderr.strip()}"
        )
