"""The data subject export as a ZIP file (Art. 15 DSGVO): the JSON export (``auskunft.json``,
``caseflow.admin.subjects.subject_data``) together with the files of every version of every
document of the person's case (``caseflow.admin.subjects.case_documents``).

The archive is written into a file the caller hands over (a temporary file on disk), each
document file copied in chunks, so that a large file is never held in memory. A file that is
missing or no longer has the SHA-256 it was stored with is left out and named in
``dokumente/FEHLENDE_DATEIEN.txt`` (only when there is one), and marked damaged as a
download would (``caseflow.documents.integrity.report_damage``); the JSON keeps listing it.

Paths in the archive: ``dokumente/<engagement id>/<title>/Fassung <n> – <file name>``, each
part without path separators, control characters or characters Windows refuses in file
names; a document whose folder name is taken already (two titles that only differ in such
characters or in case, a document in the trash with the title of another) gets " (2)".
Names stay UTF-8 (``zipfile`` sets the UTF-8 flag for names beyond ASCII).
"""

from __future__ import annotations

import json
import logging
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.admin.subjects import (
    Subject,
    case_documents,
    record_request,
    require_admin,
    subject_data,
)
from caseflow.documents import storage
from caseflow.documents.integrity import report_damage
from caseflow.documents.models import Document, DocumentVersion
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _

log = logging.getLogger(__name__)

JSON_NAME = "auskunft.json"
FOLDER = "dokumente"
MISSING_NAME = f"{FOLDER}/FEHLENDE_DATEIEN.txt"
# The name of a version's file in its document's folder. Part of the archive's layout (like
# the names above), not UI text: not translated.
VERSION_NAME = "Fassung {number} – {file_name}"
FALLBACK_NAME = "Dokument"
# Kinds of file that compress well; the others (PDF, Office files, images) are compressed
# already and are stored as they are.
DEFLATED_KINDS = frozenset({"txt", "csv", "json"})
# Control (Cc), format (Cf), surrogates (Cs), line and paragraph separators (Zl, Zp).
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Path separators and what Windows refuses in a file name.
_REPLACED = frozenset('/\\<>:"|?*')
_FILE_MODE = 0o644 << 16


@dataclass(frozen=True)
class Archive:
    """What ``write_archive`` put into the archive: the number of document files, and the
    versions left out (missing or damaged) as ``(version id, engagement id)``."""

    files: int
    missing: tuple[tuple[int, int], ...]


def safe_name(raw: str) -> str:
    """``raw`` as one part of a path in a ZIP file: Unicode in NFC, white space (also tabs and
    line breaks) collapsed to single spaces, other control and invisible format characters
    dropped, path separators and characters Windows refuses replaced by "_", no leading or
    trailing dots or spaces (so never "." or ".."); ``FALLBACK_NAME`` when nothing is left."""
    text = unicodedata.normalize("NFC", raw)
    kept = "".join(
        " " if char.isspace() else "_" if char in _REPLACED else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    cleaned = " ".join(kept.split()).strip(" .")
    return cleaned or FALLBACK_NAME


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)`` … when it is in ``used`` (compared case
    ignored, as Windows and macOS do); the result is added to ``used``."""
    candidate, number = name, 1
    while candidate.casefold() in used:
        number += 1
        candidate = f"{name} ({number})"
    used.add(candidate.casefold())
    return candidate


def _info(name: str, moment: datetime, *, deflated: bool) -> zipfile.ZipInfo:
    local = clock.local(moment)
    info = zipfile.ZipInfo(name, date_time=local.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if deflated else zipfile.ZIP_STORED
    info.external_attr = _FILE_MODE
    return info


def _add_file(archive: zipfile.ZipFile, name: str, version: DocumentVersion, root: Path) -> bool:
    """Copy the stored file of ``version`` into ``archive`` as ``name``, in chunks; False
    (nothing written) when it is missing or does not match its SHA-256."""
    if not storage.intact(root, version.storage_name, version.sha256):
        return False
    try:
        # Opened before the entry, so that a file gone since the check leaves no half entry.
        source = open(storage.stored_path(root, version.storage_name), "rb")  # noqa: SIM115
    except OSError:
        log.exception("document version %s could not be opened", version.id)
        return False
    info = _info(name, version.uploaded_at, deflated=version.file_kind in DEFLATED_KINDS)
    info.file_size = version.size  # so that zipfile knows whether it needs ZIP64
    with source, archive.open(info, "w") as entry:
        shutil.copyfileobj(source, entry, storage.CHUNK)
    return True


def _missing_text(missing: list[tuple[Document, DocumentVersion]]) -> str:
    lines = [
        _(
            "Diese Dateien fehlen in der Auskunft: Sie sind nicht mehr vorhanden oder wurden "
            "nach dem Hochladen verändert (ihre Prüfsumme stimmt nicht mehr). Ihre Angaben "
            "(Dateiname, Größe, Prüfsumme) stehen in auskunft.json."
        ),
        "",
    ]
    for document, version in missing:
        lines.append(
            "- "
            + _(
                "Prozessbegleitung %(engagement)s, „%(title)s“, Fassung %(number)s: "
                "%(file_name)s (hochgeladen am %(day)s, SHA-256 %(sha256)s)",
                engagement=document.engagement_id,
                title=document.title,
                number=version.number,
                file_name=version.file_name,
                day=clock.local(version.uploaded_at).strftime("%d.%m.%Y"),
                sha256=version.sha256,
            )
        )
    return "\r\n".join(lines) + "\r\n"


def write_archive(
    session: Session,
    subject: Subject,
    *,
    actor: StaffMember,
    now: datetime,
    root: Path,
    target: BinaryIO,
) -> Archive:
    """Write the ZIP export of ``subject`` into ``target`` (a seekable binary file, left
    open): ``auskunft.json`` (what the JSON export gives), the files of the case's
    documents from the storage root ``root``, and ``FEHLENDE_DATEIEN.txt`` when some are
    left out. Before: ``actor`` is an admin. Only reads: the caller ends the transaction
    and then records the export (``record_archive``), so that on SQLite no write waits on
    a read transaction as long as the archive took. Raises ``SubjectNotPermitted``."""
    require_admin(actor)
    data = subject_data(session, subject, now=now)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    files = 0
    missing: list[tuple[Document, DocumentVersion]] = []
    folders: set[str] = set()
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(_info(JSON_NAME, now, deflated=True), body.encode("utf-8"))
        for document in case_documents(session, subject):
            engagement = f"{FOLDER}/{document.engagement_id}"
            title = _unique(f"{engagement}/{safe_name(document.title)}", folders)
            for version in document.versions:
                file_name = safe_name(
                    VERSION_NAME.format(number=version.number, file_name=version.file_name)
                )
                if _add_file(archive, f"{title}/{file_name}", version, root):
                    files += 1
                else:
                    missing.append((document, version))
        if missing:
            archive.writestr(
                _info(MISSING_NAME, now, deflated=True), _missing_text(missing).encode("utf-8")
            )
    return Archive(
        files=files,
        missing=tuple((version.id, document.engagement_id) for document, version in missing),
    )


def record_archive(
    session: Session, subject: Subject, archive: Archive, *, actor: StaffMember, now: datetime
) -> None:
    """Record the ZIP export of ``subject``: audit ``subject.exported`` with format "zip",
    the number of files and of those left out; each file left out is marked damaged as a
    download would (``report_damage``: the admins are told). Flushed."""
    for version_id, engagement_id in archive.missing:
        version = session.get(DocumentVersion, version_id)
        if version is not None:
            report_damage(session, version, engagement_id=engagement_id, actor=actor, now=now)
    record_request(
        session,
        subject,
        action="subject.exported",
        actor=actor,
        now=now,
        changes={"format": "zip", "files": archive.files, "missing": len(archive.missing)},
    )
