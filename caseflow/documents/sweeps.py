"""The documents' housekeeping, a sweep of ``(session, now)`` run daily by the scheduler
(and by ``caseflow jobs run``).

First the files nobody needs any more are removed: files in the storage root that no
version row names, and uploads left half-received in ``incoming/`` (a crashed request), once
they are older than ``ORPHAN_HOURS``. Then the documents that have been in the trash longer
than ``DOCUMENT_TRASH_DAYS`` lose their rows (audited). Their files are orphans from then on
and go in the next run: a file is never removed before the row that names it is gone for
good, so a failed commit cannot leave a row without its file.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.documents import storage
from caseflow.documents.models import DocumentVersion
from caseflow.documents.services import purge_trash

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


def documents_housekeeping(session: Session, now: datetime) -> int:
    """Orphaned files removed, then expired trash purged; the number of each together."""
    removed = remove_orphans(session, now, storage_root())
    purged = purge_trash(session, now, trash_days=int(current_app.config["DOCUMENT_TRASH_DAYS"]))
    return removed + purged
