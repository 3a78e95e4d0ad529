"""The documents' housekeeping, a sweep of ``(session, now)`` run daily by the scheduler
(and by ``caseflow jobs run``).

First the files nobody needs any more are removed: files in the storage root that no
version row names, and uploads left half-received in ``incoming/`` (a crashed request), once
they are older than ``ORPHAN_HOURS``. Then the documents that have been in the trash longer
than ``DOCUMENT_TRASH_DAYS`` lose their rows (audited), and so do the documents of closed
engagements once the retention period of the programme has passed (``expire_documents``).
Their files are orphans from then on and go in the next run: a file is never removed before
the row that names it is gone for good, so a failed commit cannot leave a row without its
file.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from caseflow import clock
from caseflow.audit.services import record
from caseflow.documents import storage
from caseflow.documents.integrity import check_documents
from caseflow.documents.models import Document, DocumentVersion
from caseflow.documents.services import purge_trash
from caseflow.engagements.models import CLOSED_STATUSES, Engagement
from caseflow.settings.services import values

ORPHAN_HOURS = 24


def storage_root() -> Path:
    configured = current_app.config.get("DOCUMENT_STORAGE_ROOT")
    return Path(configured) if configured else Path(current_app.instance_path) / "documents"


def remove_orphans(session: Session, now: datetime, root: Path) -> int:
    """Remove the files under ``root`` that no version names (and leftovers in
    ``incoming/``) last modified more than ``ORPHAN_HOURS`` before ``now``; how many."""
    if not root.is_dir():
        return 0
    named = set(session.scalars(select(DocumentVersion.storage_name)))
    cutoff = (now - timedelta(hours=ORPHAN_HOURS)).timestamp()
    removed = 0
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            if not entry.is_file(follow_symlinks=False):
                continue
            orphan = folder.name == storage.INCOMING or (
                storage.NAME.fullmatch(entry.name) is not None and entry.name not in named
            )
            if orphan and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
    return removed


def expire_documents(session: Session, now: datetime) -> int:
    """The retention rule of documents: from ``CONTACT_RETENTION_YEARS`` after
    ``PROGRAMME_END`` on (when the contact persons' data goes, ``caseflow.followups.sweeps.
    anonymisation``), the documents of closed engagements (abgeschlossen, abgebrochen) lose
    their rows, each recorded by the system (``document.expired``); their files go with the
    next run. How many documents."""
    years, programme_end = values("CONTACT_RETENTION_YEARS", "PROGRAMME_END", session=session)
    if clock.local(now).date() < programme_end + relativedelta(years=years):
        return 0
    expired = session.scalars(
        select(Document)
        .join(Engagement, Document.engagement_id == Engagement.id)
        .where(Engagement.status.in_(CLOSED_STATUSES))
        .options(selectinload(Document.versions))
    ).all()
    for document in expired:
        record(
            session,
            actor=None,
            action="document.expired",
            object_type="engagement",
            object_id=document.engagement_id,
            changes={
                "document": document.id,
                "title": document.title,
                "versions": len(document.versions),
            },
            at=now,
        )
        session.delete(document)
    session.flush()
    return len(expired)


def documents_integrity(session: Session, now: datetime) -> int:
    """The daily check of every stored file against its SHA-256
    (``caseflow.documents.integrity``); how many versions it newly found damaged or intact
    again."""
    checked = check_documents(session, now, storage_root())
    return checked.damaged + checked.repaired


def documents_housekeeping(session: Session, now: datetime) -> int:
    """Orphaned files removed, then expired trash purged, then the retention rule; the
    number of each together."""
    removed = remove_orphans(session, now, storage_root())
    purged = purge_trash(session, now, trash_days=int(current_app.config["DOCUMENT_TRASH_DAYS"]))
    return removed + purged + expire_documents(session, now)
