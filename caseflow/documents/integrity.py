"""Whether the stored files still hold what was uploaded: each version keeps the SHA-256 of
its file, and a file whose bytes no longer match (or that is missing) is damaged.

Damage is found two ways: a download checks the file before it is served (and serves
nothing when it does not match), and ``check_documents`` reads every stored file once a day
(the scheduler's sweep ``documents_integrity``). Either way the version gets ``damaged_at``
the first time, with one ``document.damaged`` audit event; the admins are told by the
notification sweep (``caseflow.followups.sweeps.documents``). A damaged file that is found
intact again (restored from a backup, ``caseflow restore``) loses the mark, recorded as
``document.repaired``.

The daily check reads every byte of the storage root; at about 1 GB/s for SHA-256 on one
core, a programme's few gigabytes take seconds (``bench/documents.sh`` prints the rate).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.audit.services import Actor, record
from caseflow.backup import stored_files
from caseflow.documents import storage
from caseflow.documents.models import Document, DocumentVersion

log = logging.getLogger(__name__)

OBJECT_TYPE = "engagement"


@dataclass(frozen=True)
class Checked:
    """What one run of the check found: files read, newly damaged, intact again."""

    files: int
    damaged: int
    repaired: int


def _record(
    session: Session,
    action: str,
    version: DocumentVersion,
    *,
    engagement_id: int,
    actor: Actor,
    now: datetime,
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=engagement_id,
        changes={
            "document": version.document_id,
            "version": version.number,
            "storage_name": version.storage_name,
        },
        at=now,
    )


def report_damage(
    session: Session,
    version: DocumentVersion,
    *,
    engagement_id: int,
    actor: Actor,
    now: datetime,
) -> bool:
    """Mark ``version`` damaged (its stored file is missing or does not match its hash):
    logged every time, recorded and marked only the first time. Whether it was new."""
    log.error(
        "document version %s (%s) does not match its SHA-256 or is missing",
        version.id,
        version.storage_name,
    )
    if version.damaged_at is not None:
        return False
    version.damaged_at = now
    _record(session, "document.damaged", version, engagement_id=engagement_id, actor=actor, now=now)
    session.flush()
    return True


def check_documents(session: Session, now: datetime, root: Path) -> Checked:
    """Read every stored file of every version (those in the trash too) and compare it
    with its SHA-256: newly damaged versions are marked (``report_damage``, by the system),
    damaged ones found intact again lose the mark (``document.repaired``). The files are
    hashed first, before the first statement: on SQLite the job's transaction holds the
    write lock from its first statement, and reading every byte of the root takes a while.
    Then one query and the writes; flushed, the caller commits."""
    hashes = {
        path.relative_to(root).as_posix(): storage.sha256_of(path) for path in stored_files(root)
    }
    rows = session.execute(
        select(DocumentVersion, Document.engagement_id)
        .join(Document, DocumentVersion.document_id == Document.id)
        .order_by(DocumentVersion.id)
    ).all()
    damaged = repaired = 0
    for version, engagement_id in rows:
        place = f"{version.storage_name[:2]}/{version.storage_name}"
        if place in hashes:
            digest = hashes[place]
        else:  # stored since the files were read, or missing
            digest = storage.sha256_of(storage.stored_path(root, version.storage_name))
        if digest != version.sha256:
            if report_damage(session, version, engagement_id=engagement_id, actor=None, now=now):
                damaged += 1
        elif version.damaged_at is not None:
            version.damaged_at = None
            _record(
                session,
                "document.repaired",
                version,
                engagement_id=engagement_id,
                actor=None,
                now=now,
            )
            repaired += 1
    session.flush()
    return Checked(files=len(rows), damaged=damaged, repaired=repaired)
