"""Reading the documents of an engagement (a fixed number of statements)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from caseflow.documents.models import Document, DocumentVersion


def documents_of(session: Session, engagement_id: int) -> list[Document]:
    """The engagement's documents, in the trash or not, by title, with every version and who
    uploaded it, and the milestone they are evidence of (three statements)."""
    return list(
        session.scalars(
            select(Document)
            .where(Document.engagement_id == engagement_id)
            .options(
                joinedload(Document.milestone),
                selectinload(Document.versions).joinedload(DocumentVersion.uploaded_by),
            )
            .order_by(Document.title_key, Document.id)
        ).unique()
    )


def document_of(session: Session, engagement_id: int, document_id: int) -> Document | None:
    """The document ``document_id`` if it belongs to ``engagement_id`` (else None: a
    document of another engagement is not found under this one)."""
    document = session.get(Document, document_id)
    if document is None or document.engagement_id != engagement_id:
        return None
    return document
