"""Uploading, versioning, deleting and restoring the documents of an engagement.

Who may: the same people who may change the engagement (its team, leads and admins,
``require_editor``); who may download: whoever may see it (the views check ``may_view``).

An upload of several files is all or nothing: every file is received into the storage root's
incoming folder (streamed, hashed, size-checked), checked by its content
(``caseflow.documents.content``), and only when every file passed are the rows added and the
files moved into place. A refusal names the file and says why; nothing of the upload stays.
Services change rows, write the audit trail and flush; the caller commits, and removes the
moved files again when the commit fails (``Uploaded.stored``).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from caseflow.audit.services import record
from caseflow.documents import storage
from caseflow.documents.content import ContentRefused, FileKind, sniff
from caseflow.documents.models import (
    TITLE_LENGTH,
    Document,
    DocumentKind,
    DocumentVersion,
)
from caseflow.documents.names import NameRefused, clean_file_name, is_invisible
from caseflow.engagements.models import Engagement, Milestone, Phase
from caseflow.engagements.services.common import EngagementError, require_editor, touch
from caseflow.engagements.services.milestones import complete_milestone
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _

OBJECT_TYPE = "engagement"


class DocumentError(EngagementError):
    """An upload or change of a document was refused (German, for the user)."""


@dataclass(frozen=True)
class Upload:
    """One file of an upload as the browser sent it."""

    stream: BinaryIO
    file_name: str | None


MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_unpacked_bytes: int

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Limits:
        """The limits an app's config sets (``DOCUMENT_MAX_MB``, ``DOCUMENT_MAX_UNPACKED_MB``)."""
        return cls(
            max_bytes=int(config["DOCUMENT_MAX_MB"]) * MEGABYTE,
            max_unpacked_bytes=int(config["DOCUMENT_MAX_UNPACKED_MB"]) * MEGABYTE,
        )


@dataclass
class Uploaded:
    """What an upload added: the new versions, and the files moved into the storage root
    (to be removed again if the transaction does not commit)."""

    versions: list[DocumentVersion] = field(default_factory=list)
    stored: list[Path] = field(default_factory=list)

    def undo_files(self) -> None:
        for path in self.stored:
            path.unlink(missing_ok=True)


def title_key(title: str) -> str:
    """How titles are compared: case and runs of white space do not count."""
    return " ".join(title.split()).casefold()


def _clean_title(value: str | None) -> str | None:
    cleaned = " ".join(unicodedata.normalize("NFC", value or "").split())
    if any(map(is_invisible, cleaned)):
        raise DocumentError(
            _(
                "Der Titel enthält unsichtbare Steuer- oder Formatierungszeichen (zum Beispiel "
                "eine Umkehrung der Schreibrichtung). Bitte geben Sie ihn ohne sie ein."
            ),
            field="title",
        )
    if len(cleaned) > TITLE_LENGTH:
        raise DocumentError(
            _("Der Titel darf höchstens %(max)d Zeichen lang sein.", max=TITLE_LENGTH),
            field="title",
        )
    return cleaned or None


def _size_text(size: int) -> str:
    return _("%(megabytes)s MB", megabytes=f"{size / (1024 * 1024):.0f}")


def _milestone_of(session: Session, engagement: Engagement, milestone_id: int | None) -> int | None:
    if milestone_id is None:
        return None
    belongs = session.scalar(
        select(func.count())
        .select_from(Milestone)
        .join(Phase, Milestone.phase_id == Phase.id)
        .where(Milestone.id == milestone_id, Phase.engagement_id == engagement.id)
    )
    if not belongs:
        raise DocumentError(
            _("Bitte wählen Sie einen Meilenstein dieser Prozessbegleitung."),
            field="milestone_id",
        )
    return milestone_id


def complete_with_evidence(
    session: Session,
    engagement: Engagement,
    milestone_id: int | None,
    *,
    actor: StaffMember,
    now: datetime,
    completed_on: date | None,
) -> Milestone:
    """Mark the milestone ``milestone_id`` of ``engagement`` done on ``completed_on``, as
    the upload of its evidence does when asked to (the caller uploads in the same
    transaction). Refused with ``DocumentError`` when no milestone of this engagement is
    chosen, and with ``complete_milestone``'s ``EngagementError`` (a closed engagement, a
    milestone no longer open, a day in the future or before the start), changing nothing."""
    if milestone_id is None:
        raise DocumentError(
            _("Bitte wählen Sie den Meilenstein, den die Datei belegt."), field="milestone_id"
        )
    _milestone_of(session, engagement, milestone_id)
    milestone = session.get(Milestone, milestone_id)
    assert milestone is not None  # _milestone_of found it
    # Locked and current, as for the upload itself (``upload_documents``).
    session.refresh(engagement, ["version"], with_for_update=True)
    complete_milestone(session, milestone, actor=actor, now=now, completed_on=completed_on)
    return milestone


def _current_documents(session: Session, engagement_id: int) -> dict[str, Document]:
    documents = session.scalars(
        select(Document)
        .where(Document.engagement_id == engagement_id, Document.deleted_at.is_(None))
        .options(selectinload(Document.versions))
        .with_for_update()
    )
    return {document.title_key: document for document in documents}


def _shown_name(raw: str | None) -> str:
    """A file's name as a message may quote it: its last path part, with control and
    invisible format characters (a right-to-left override …) shown as "?"."""
    last = re.split(r"[/\\]", raw or "")[-1].strip()
    cleaned = "".join("?" if is_invisible(character) else character for character in last)
    return cleaned[:120] or _("ohne Namen")


def _received(root: Path, upload: Upload, limits: Limits) -> tuple[storage.Received, FileKind, str]:
    """Receive and check one file: the incoming file, its kind and its cleaned name."""
    shown = _shown_name(upload.file_name)
    try:
        received = storage.receive(root, upload.stream, max_bytes=limits.max_bytes)
    except storage.TooLarge:
        raise DocumentError(
            _(
                "%(name)s: Die Datei ist größer als die erlaubten %(limit)s.",
                name=shown,
                limit=_size_text(limits.max_bytes),
            ),
            field="files",
        ) from None
    try:
        kind = sniff(
            received.path,
            file_name=upload.file_name or "",
            max_unpacked_bytes=limits.max_unpacked_bytes,
        )
        name = clean_file_name(upload.file_name, kind)
    except (ContentRefused, NameRefused) as refused:
        storage.discard(received)
        raise DocumentError(f"{shown}: {refused}", field="files") from None
    return received, kind, name


def upload_documents(
    session: Session,
    engagement: Engagement,
    uploads: Sequence[Upload],
    *,
    title: str | None,
    kind: DocumentKind,
    milestone_id: int | None,
    actor: StaffMember,
    now: datetime,
    root: Path,
    limits: Limits,
) -> Uploaded:
    """Add ``uploads`` to ``engagement``: each file becomes a new document, or the next
    version of the engagement's document of the same title. With one file ``title`` names it
    (else the file's name without its extension does); ``kind`` and ``milestone_id`` (a
    milestone of this engagement, or None) apply to new documents; a new version keeps its
    document's kind and milestone, unless a milestone is chosen, which then links it.

    Refused with ``DocumentError`` (nothing kept): no file; a file over the size limit,
    empty, of a type not allowed or with an unusable name (the message names the file); a
    title that is too long; a milestone of another engagement. One ``document.uploaded``
    audit event per file; the engagement's version counts up; flushed."""
    require_editor(engagement, actor)
    if not uploads:
        raise DocumentError(_("Bitte wählen Sie mindestens eine Datei aus."), field="files")
    given_title = _clean_title(title) if len(uploads) == 1 else None
    milestone = _milestone_of(session, engagement, milestone_id)
    received: list[storage.Received] = []
    checked: list[tuple[storage.Received, FileKind, str]] = []
    with storage.cleaned_up(received):
        for upload in uploads:
            item = _received(root, upload, limits)
            received.append(item[0])
            checked.append(item)
        # The engagement's row first, locked, with its version as it is now: an upload takes
        # long enough for another change (another upload) to commit meanwhile, and touch()
        # below must count up from that, not from the version read when the request began.
        session.refresh(engagement, ["version"], with_for_update=True)
        documents = _current_documents(session, engagement.id)
        result = Uploaded()
        for incoming, file_kind, file_name in checked:
            document_title = given_title or _title_from(file_name)
            document = documents.get(title_key(document_title))
            if document is None:
                document = Document(
                    engagement_id=engagement.id,
                    title=document_title,
                    title_key=title_key(document_title),
                    kind=kind,
                    milestone_id=milestone,
                    created_at=now,
                    created_by_id=actor.id,
                    updated_at=now,
                )
                session.add(document)
                documents[document.title_key] = document
            else:
                # Written, so that the row's version counts up: a delete form shown before
                # this version is stale.
                document.updated_at = now
                if milestone is not None:
                    # A new version keeps its document's kind; a milestone chosen now links it.
                    document.milestone_id = milestone
            version = DocumentVersion(
                number=len(document.versions) + 1,
                storage_name=incoming.name,
                file_name=file_name,
                file_kind=file_kind.value,
                size=incoming.size,
                sha256=incoming.sha256,
                uploaded_at=now,
                uploaded_by_id=actor.id,
            )
            document.versions.append(version)
            result.versions.append(version)
        touch(engagement)
        session.flush()
        try:
            _accept_and_record(
                session, engagement, result, checked, actor=actor, now=now, root=root
            )
        except BaseException:
            result.undo_files()  # the caller rolls back: no file may stay without its row
            raise
    return result


def _accept_and_record(
    session: Session,
    engagement: Engagement,
    result: Uploaded,
    checked: list[tuple[storage.Received, FileKind, str]],
    *,
    actor: StaffMember,
    now: datetime,
    root: Path,
) -> None:
    """Move each checked file into place and record its upload (the rows are flushed)."""
    for version, (incoming, _kind, _name) in zip(result.versions, checked, strict=True):
        result.stored.append(storage.accept(root, incoming))
        record(
            session,
            actor=actor,
            action="document.uploaded",
            object_type=OBJECT_TYPE,
            object_id=engagement.id,
            changes={
                "document": version.document_id,
                "title": version.document.title,
                "version": version.number,
                "file_name": version.file_name,
                "size": version.size,
                "sha256": version.sha256,
            },
            at=now,
        )
    session.flush()


def _title_from(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return " ".join(stem.split())[:TITLE_LENGTH] or file_name[:TITLE_LENGTH]


def trash_document(
    session: Session,
    document: Document,
    *,
    actor: StaffMember,
    now: datetime,
    trash_days: int,
) -> list[str]:
    """Delete ``document``: into the trash when ``trash_days`` is more than 0 (kept that
    many days, can be restored), else at once with all its versions. Returns the storage
    names whose files the caller removes after the commit (none for the trash). One
    ``document.deleted`` audit event (the title and versions stay in it)."""
    engagement = document.engagement
    require_editor(engagement, actor)
    if document.deleted_at is not None:
        raise DocumentError(_("Dieses Dokument ist bereits im Papierkorb."))
    names = [version.storage_name for version in document.versions]
    record(
        session,
        actor=actor,
        action="document.deleted",
        object_type=OBJECT_TYPE,
        object_id=engagement.id,
        changes={
            "document": document.id,
            "title": document.title,
            "versions": len(names),
            "trash_days": trash_days,
        },
        at=now,
    )
    touch(engagement)
    if trash_days > 0:
        document.updated_at = now
        document.deleted_at = now
        document.deleted_by_id = actor.id
        session.flush()
        return []
    session.delete(document)
    session.flush()
    return names


def restore_document(
    session: Session, document: Document, *, actor: StaffMember, now: datetime
) -> None:
    """Take ``document`` out of the trash; refused while another document of the engagement
    has its title."""
    engagement = document.engagement
    require_editor(engagement, actor)
    if document.deleted_at is None:
        raise DocumentError(_("Dieses Dokument ist nicht im Papierkorb."))
    if title_key(document.title) in _current_documents(session, engagement.id):
        raise DocumentError(_taken_title(document.title))
    deleted_at = document.deleted_at
    try:
        # In a savepoint of its own: an upload under this title may commit after the check
        # above, and the unique index then refuses the row (a message, not an error page).
        with session.begin_nested():
            document.deleted_at = None
            document.deleted_by_id = None
            document.updated_at = now
            touch(engagement)
            record(
                session,
                actor=actor,
                action="document.restored",
                object_type=OBJECT_TYPE,
                object_id=engagement.id,
                changes={
                    "document": document.id,
                    "title": document.title,
                    "deleted_at": deleted_at,
                },
                at=now,
            )
    except IntegrityError:
        raise DocumentError(_taken_title(document.title)) from None


def _taken_title(title: str) -> str:
    return _(
        "Es gibt inzwischen ein anderes Dokument mit dem Titel „%(title)s“. Benennen "
        "Sie es um oder löschen Sie es, bevor Sie dieses wiederherstellen.",
        title=title,
    )


def purge_trash(session: Session, now: datetime, *, trash_days: int) -> int:
    """Remove the rows of the documents that have been in the trash longer than
    ``trash_days`` (their files become orphans, removed by the housekeeping sweep); how many
    documents. Recorded in the audit trail by the system."""
    cutoff = now - timedelta(days=max(trash_days, 0))
    expired = session.scalars(
        select(Document)
        .where(Document.deleted_at.is_not(None), Document.deleted_at <= cutoff)
        .options(selectinload(Document.versions))
    ).all()
    for document in expired:
        record(
            session,
            actor=None,
            action="document.purged",
            object_type=OBJECT_TYPE,
            object_id=document.engagement_id,
            changes={
                "document": document.id,
                "title": document.title,
                "versions": len(document.versions),
                "deleted_at": document.deleted_at,
            },
            at=now,
        )
        session.delete(document)
    session.flush()
    return len(expired)


def remove_files(root: Path, names: Sequence[str]) -> None:
    """Remove the stored files ``names`` (after the commit that deleted their rows)."""
    for name in names:
        with contextlib.suppress(ValueError):
            storage.remove(root, name)
