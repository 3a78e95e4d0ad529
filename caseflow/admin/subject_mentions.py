"""Mentions of a data subject in the team's free texts about their organisation's
engagements: an engagement's notes and reasons, activity notes, barrier descriptions and
measures, follow-up notes, milestone evidence and drop reasons; and what people of the
organisation wrote into its Selbstcheck (the optional name and role, comments); and the
titles and file names of its documents (what the files hold is not searched).

Those texts reference no person by key, but staff may have written a contact's name, email
address or phone number into them. The export lists each mention with an excerpt; the
erasure replaces each occurrence with the placeholder, so that nothing of the person is left
in them either. Only exact occurrences (case ignored) of the full name (at least
``MIN_TERM_LENGTH`` characters), the email address and the phone number count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.documents.models import Document, DocumentVersion
from caseflow.engagements.models import Activity, Barrier, Engagement, Milestone, Phase
from caseflow.followups.models import FollowUp
from caseflow.intake.services.retention import PLACEHOLDER
from caseflow.outcomes.models import SelfcheckAnswer, SelfcheckResponse, SelfcheckRound

MIN_TERM_LENGTH = 5
EXCERPT_CHARACTERS = 60

# The free-text columns searched, by model (``subject_registry`` declares the same tables).
MENTION_COLUMNS: dict[type, tuple[str, ...]] = {
    Engagement: ("notes", "extension_reason", "status_reason"),
    Activity: ("note",),
    Barrier: ("description", "measure_taken"),
    FollowUp: ("note",),
    Milestone: ("evidence_note", "drop_reason"),
    SelfcheckResponse: ("respondent_name", "respondent_role"),
    SelfcheckAnswer: ("comment",),
    Document: ("title",),
    DocumentVersion: ("file_name",),
}


@dataclass(frozen=True)
class Mention:
    """One free text of ``row`` (its ``column``) that names the person."""

    row: (
        Engagement | Activity | Barrier | FollowUp | Milestone | SelfcheckResponse | SelfcheckAnswer
    )
    column: str
    pattern: re.Pattern[str]

    @property
    def table(self) -> str:
        return self.row.__tablename__

    @property
    def excerpt(self) -> str:
        """The text around the first occurrence (the rest may be about other people)."""
        text = getattr(self.row, self.column) or ""
        match = self.pattern.search(text)
        if match is None:
            return ""
        start = max(0, match.start() - EXCERPT_CHARACTERS)
        end = min(len(text), match.end() + EXCERPT_CHARACTERS)
        return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")

    def as_data(self) -> dict[str, object]:
        return {
            "table": self.table,
            "id": self.row.id,
            "column": self.column,
            "excerpt": self.excerpt,
        }


def mention_pattern(*terms: str | None) -> re.Pattern[str] | None:
    """A case-insensitive pattern of the usable ``terms`` (None: none is usable)."""
    usable = sorted(
        {
            term.strip()
            for term in terms
            if term and len(term.strip()) >= MIN_TERM_LENGTH and term.strip() != PLACEHOLDER
        },
        key=len,
        reverse=True,
    )
    if not usable:
        return None
    return re.compile("|".join(re.escape(term) for term in usable), re.IGNORECASE)


def find_mentions(
    session: Session, organisation_id: int | None, pattern: re.Pattern[str] | None
) -> list[Mention]:
    """The free texts of ``organisation_id``'s engagements that match ``pattern``, by table
    and id. Nine statements (none without an organisation or a pattern)."""
    if organisation_id is None or pattern is None:
        return []
    engagement_ids = select(Engagement.id).where(Engagement.organisation_id == organisation_id)
    statements = {
        Engagement: select(Engagement).where(Engagement.organisation_id == organisation_id),
        Activity: select(Activity).where(Activity.engagement_id.in_(engagement_ids)),
        Barrier: select(Barrier).where(Barrier.engagement_id.in_(engagement_ids)),
        FollowUp: select(FollowUp).where(FollowUp.engagement_id.in_(engagement_ids)),
        Milestone: select(Milestone)
        .join(Phase, Milestone.phase_id == Phase.id)
        .where(Phase.engagement_id.in_(engagement_ids)),
        SelfcheckResponse: select(SelfcheckResponse)
        .join(SelfcheckRound, SelfcheckResponse.round_id == SelfcheckRound.id)
        .where(SelfcheckRound.engagement_id.in_(engagement_ids)),
        Document: select(Document).where(Document.engagement_id.in_(engagement_ids)),
        DocumentVersion: select(DocumentVersion)
        .join(Document, DocumentVersion.document_id == Document.id)
        .where(Document.engagement_id.in_(engagement_ids)),
        SelfcheckAnswer: select(SelfcheckAnswer)
        .join(SelfcheckResponse, SelfcheckAnswer.response_id == SelfcheckResponse.id)
        .join(SelfcheckRound, SelfcheckResponse.round_id == SelfcheckRound.id)
        .where(SelfcheckRound.engagement_id.in_(engagement_ids)),
    }
    mentions: list[Mention] = []
    for model, statement in statements.items():
        for row in session.scalars(statement.order_by(model.id)):
            for column in MENTION_COLUMNS[model]:
                text = getattr(row, column)
                if text and pattern.search(text):
                    mentions.append(Mention(row, column, pattern))
    return mentions


def replace_mentions(mentions: list[Mention]) -> list[dict[str, object]]:
    """Replace every occurrence in ``mentions`` with the placeholder (not flushed); what was
    changed, without the texts (for the audit trail)."""
    changed = []
    for mention in mentions:
        text = getattr(mention.row, mention.column) or ""
        setattr(mention.row, mention.column, mention.pattern.sub(PLACEHOLDER, text))
        changed.append({"table": mention.table, "id": mention.row.id, "column": mention.column})
    return changed
