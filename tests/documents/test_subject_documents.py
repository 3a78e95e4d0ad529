"""Documents in a data subject's export: an application's engagement's documents, and for a
contact person those of their organisation's engagements; another organisation's are not."""

from __future__ import annotations

from datetime import UTC, datetime

from caseflow.admin.subjects import Subject, SubjectKind, subject_data
from caseflow.documents.models import DocumentKind
from caseflow.intake.models import ApplicationStatus
from caseflow.staff.models import Role
from tests import factories

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def test_the_export_lists_the_documents_of_the_persons_case(app, session, make_staff):
    lead = make_staff(Role.LEAD)
    application = factories.make_application(session, status=ApplicationStatus.ANGENOMMEN)
    engagement = application.engagement
    contact = factories.make_contact(session, engagement.organisation)
    other = factories.make_engagement(session, lead=lead)
    version = factories.make_document(
        session,
        engagement,
        actor=lead,
        file_name="Kooperationsvereinbarung.pdf",
        kind=DocumentKind.VEREINBARUNG,
        now=NOW,
    )
    factories.make_document(session, other, actor=lead, file_name="Fremd.pdf", now=NOW)

    for subject in (
        Subject(SubjectKind.APPLICATION, application),
        Subject(SubjectKind.CONTACT, contact),
    ):
        documents = subject_data(session, subject, now=NOW)["documents"]
        assert [document["title"] for document in documents] == ["Kooperationsvereinbarung"]
        assert documents[0]["versions"] == [
            {
                "number": 1,
                "file_name": "Kooperationsvereinbarung.pdf",
                "size": version.size,
                "sha256": version.sha256,
                "uploaded_at": NOW.isoformat(),
            }
        ]
        assert "storage_name" not in str(documents)
