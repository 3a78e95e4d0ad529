"""Documents in a data subject's export: an application's engagement's documents, and for a
contact person those of their organisation's engagements; another organisation's are not."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from caseflow.admin.subjects import Subject, SubjectKind, subject_data
from caseflow.documents.models import DocumentKind
from caseflow.documents.services import Limits, Upload, upload_documents
from caseflow.documents.sweeps import storage_root
from caseflow.intake.models import ApplicationStatus
from caseflow.staff.models import Role
from tests import factories

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
LIMITS = Limits(max_bytes=1024 * 1024, max_unpacked_bytes=1024 * 1024)


def _upload(session, engagement, lead, name):
    return upload_documents(
        session,
        engagement,
        [Upload(stream=io.BytesIO(b"%PDF-1.4\n%%EOF\n"), file_name=name)],
        title=None,
        kind=DocumentKind.VEREINBARUNG,
        milestone_id=None,
        actor=lead,
        now=NOW,
        root=storage_root(),
        limits=LIMITS,
    ).versions[0]


def test_the_export_lists_the_documents_of_the_persons_case(app, session, make_staff):
    lead = make_staff(Role.LEAD)
    application = factories.make_application(session, status=ApplicationStatus.ANGENOMMEN)
    engagement = application.engagement
    contact = factories.make_contact(session, engagement.organisation)
    other = factories.make_engagement(session, lead=lead)
    with app.test_request_context():
        version = _upload(session, engagement, lead, "Kooperationsvereinbarung.pdf")
        _upload(session, other, lead, "Fremd.pdf")

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
