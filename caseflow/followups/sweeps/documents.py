"""The documents rule: every active admin hears of each stored file found damaged.

A version's file is marked damaged (``DocumentVersion.damaged_at``) by a download that
found it not matching its SHA-256, or by the daily check (``caseflow.documents.integrity``).
The file is not served any more; an admin can put it back from a backup (``caseflow
restore``). Each admin is told once per damage (the key holds ``damaged_at``: a file
repaired and damaged again is announced again). The text names the organisation, the
document's title and version, not what the file holds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.documents.models import Document, DocumentVersion
from caseflow.engagements.models import Engagement
from caseflow.followups.notify import Notice, notify_all, page_path
from caseflow.followups.sweeps.common import in_language
from caseflow.organisations.models import Organisation
from caseflow.staff.models import Role, StaffMember
from caseflow.translating import gettext as _


def documents_damaged(session: Session, now: datetime) -> int:
    """Tell each active admin of each damaged file; once per damage and person. Two
    statements, then the insert when there is something to tell."""
    damaged = session.execute(
        select(
            DocumentVersion.id,
            DocumentVersion.number,
            DocumentVersion.damaged_at,
            Document.title,
            Document.engagement_id,
            Organisation.name,
        )
        .join(Document, DocumentVersion.document_id == Document.id)
        .join(Engagement, Document.engagement_id == Engagement.id)
        .join(Organisation, Engagement.organisation_id == Organisation.id)
        .where(DocumentVersion.damaged_at.is_not(None))
        .order_by(DocumentVersion.id)
    ).all()
    if not damaged:
        return 0
    admins = session.execute(
        select(StaffMember.id, StaffMember.locale)
        .where(StaffMember.is_active.is_(True), StaffMember.role == Role.ADMIN)
        .order_by(StaffMember.id)
    ).all()
    notices = []
    for staff_id, locale in admins:
        with in_language(locale):
            for version_id, number, damaged_at, title, engagement_id, organisation in damaged:
                notices.append(
                    Notice(
                        recipient_id=staff_id,
                        kind="document_damaged",
                        text=_(
                            "Die gespeicherte Datei von „%(title)s“ (Fassung %(number)d, "
                            "%(organisation)s) fehlt oder wurde verändert und wird nicht mehr "
                            "ausgeliefert. Bitte stellen Sie sie aus einer Sicherung wieder "
                            "her.",
                            title=title,
                            number=number,
                            organisation=organisation,
                        ),
                        link=page_path("documents.documents", engagement_id=engagement_id),
                        dedup_key=(
                            f"document_version:{version_id}:damaged:"
                            f"{damaged_at:%Y%m%dT%H%M%S}:{staff_id}"
                        ),
                        topic=f"document_version:{version_id}",
                    )
                )
    return notify_all(session, notices, now=now)
