"""The data subject export as a ZIP file (Art. 15 DSGVO): ``auskunft.json`` as the JSON export
gives it, and every version of every document of the person's case as it was uploaded; a
missing or damaged file is left out and named in ``dokumente/FEHLENDE_DATEIEN.txt``; admins
only, unknown ids 404, audited; another organisation's documents are not in it."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.test import TestResponse

from caseflow import clock
from caseflow.admin.subject_archive import _unique, safe_name
from caseflow.audit.models import AuditEvent
from caseflow.documents import storage
from caseflow.documents.models import DocumentVersion
from caseflow.documents.sweeps import storage_root
from caseflow.intake.models import ApplicationStatus
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import page_text

TODAY = date(2025, 3, 10)
UTF8_NAME = "Kooperationsvereinbarung – Jugendamt Neukölln.pdf"
PLAN_1 = factories.PDF
PLAN_2 = b"%PDF-1.4\n% zweite Fassung\n%%EOF\n"
NOTES = "Protokoll der Steuerungsgruppe, Frau Yılmaz\n".encode()
REPORT = b"%PDF-1.4\n% Zwischenbericht\n%%EOF\n"


pytestmark = pytest.mark.usefixtures("document_storage")


@pytest.fixture(autouse=True)
def _frozen_today() -> Iterator[None]:
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def case(session):
    """An accepted application whose engagement has documents (one with two versions), a
    contact person of the same organisation, a second engagement of that organisation with a
    document (the contact's case, not the application's), and a document of another
    organisation."""
    lead = factories.make_staff_member(session, role=Role.LEAD)
    application = factories.make_application(
        session, status=ApplicationStatus.ANGENOMMEN, decided_by=lead
    )
    engagement = application.engagement
    contact = factories.make_contact(session, engagement.organisation, name="Dilek Yılmaz")
    versions = {
        "plan_1": factories.make_document(session, engagement, actor=lead, content=PLAN_1),
        "plan_2": factories.make_document(session, engagement, actor=lead, content=PLAN_2),
        "agreement": factories.make_document(
            session, engagement, actor=lead, file_name=UTF8_NAME, content=PLAN_1
        ),
        "notes": factories.make_document(
            session, engagement, actor=lead, file_name="Protokoll.txt", content=NOTES
        ),
    }
    sibling = factories.make_engagement(session, lead=lead, organisation=engagement.organisation)
    factories.make_document(
        session, sibling, actor=lead, file_name="Zwischenbericht.pdf", content=REPORT
    )
    other = factories.make_engagement(session, lead=lead)
    factories.make_document(
        session, other, actor=lead, file_name="Fremd.pdf", content=b"%PDF-1.4\n% fremd\n%%EOF\n"
    )
    session.flush()
    return application, contact, versions, sibling


@pytest.fixture
def admin(logged_in):
    return logged_in(Role.ADMIN)


def _zip(client, url: str) -> tuple[zipfile.ZipFile, TestResponse]:
    response = client.get(url)
    try:
        assert response.status_code == 200, response.status_code
        body = response.get_data()
    finally:
        response.close()
    return zipfile.ZipFile(io.BytesIO(body)), response


def _events(session) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "subject.exported")
            .order_by(AuditEvent.id)
        )
    )


def _expected_files(kind: str, engagement_id: int, sibling_id: int) -> dict[str, bytes]:
    folder = f"dokumente/{engagement_id}"
    files = {
        f"{folder}/Plan/Fassung 1 – Plan.pdf": PLAN_1,
        f"{folder}/Plan/Fassung 2 – Plan.pdf": PLAN_2,
        f"{folder}/Kooperationsvereinbarung – Jugendamt Neukölln/Fassung 1 – {UTF8_NAME}": PLAN_1,
        f"{folder}/Protokoll/Fassung 1 – Protokoll.txt": NOTES,
    }
    if kind == "contact":  # all engagements of the contact's organisation
        files[f"dokumente/{sibling_id}/Zwischenbericht/Fassung 1 – Zwischenbericht.pdf"] = REPORT
    return files


def _url(kind: str, application, contact, suffix: str) -> str:
    subject_id = application.id if kind == "application" else contact.id
    return f"/admin/data-protection/{kind}/{subject_id}{suffix}"


@pytest.mark.parametrize("kind", ["application", "contact"])
def test_the_zip_holds_the_json_export_and_every_version(client, session, admin, case, kind):
    application, contact, _versions, sibling = case
    subject_id = application.id if kind == "application" else contact.id

    archive, response = _zip(client, _url(kind, application, contact, "/export.zip"))
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=datenauskunft-{kind}-{subject_id}-2025-03-10.zip"
    )
    assert archive.testzip() is None

    # auskunft.json is what the JSON export gives; the JSON export, asked afterwards, also
    # lists the ZIP export among the audit events.
    in_zip = json.loads(archive.read("auskunft.json").decode("utf-8"))
    exported = client.get(_url(kind, application, contact, ".json")).get_json()
    *earlier, zip_export = exported.pop("audit_events")
    assert zip_export["action"] == "subject.exported"
    files = 5 if kind == "contact" else 4
    assert zip_export["changes"] == {"format": "zip", "files": files, "missing": 0}
    assert in_zip.pop("audit_events") == earlier
    assert in_zip.pop("exported_at") == exported.pop("exported_at")  # the clock stands still
    assert in_zip == exported
    titles = ["Kooperationsvereinbarung – Jugendamt Neukölln", "Plan", "Protokoll"]
    if kind == "contact":
        titles.append("Zwischenbericht")
    assert [document["title"] for document in in_zip["documents"]] == titles

    # Every version's bytes as uploaded, under readable (UTF-8) names; nothing of the other
    # organisation's engagement, and no list of missing files when none is missing.
    expected = _expected_files(kind, application.engagement_id, sibling.id)
    names = archive.namelist()
    assert sorted(names) == sorted(["auskunft.json", *expected])
    for name, content in expected.items():
        assert archive.read(name) == content, name
    utf8 = archive.getinfo(next(name for name in names if "Neukölln" in name))
    assert utf8.flag_bits & 0x800  # the UTF-8 flag
    folder = f"dokumente/{application.engagement_id}"
    assert archive.getinfo(f"{folder}/Plan/Fassung 1 – Plan.pdf").compress_type == (
        zipfile.ZIP_STORED
    )
    assert archive.getinfo(f"{folder}/Protokoll/Fassung 1 – Protokoll.txt").compress_type == (
        zipfile.ZIP_DEFLATED
    )
    assert archive.getinfo("auskunft.json").compress_type == zipfile.ZIP_DEFLATED
    assert not any("Fremd" in name for name in names)

    zip_event, json_event = _events(session)
    subject_type = "application" if kind == "application" else "contact_person"
    assert (zip_event.object_type, zip_event.object_id) == (subject_type, subject_id)
    assert zip_event.actor_id == admin.id
    assert zip_event.changes == {"format": "zip", "files": files, "missing": 0}
    assert json_event.changes == {"format": "json"}


def test_a_missing_or_damaged_file_is_left_out_and_named(client, session, admin, case):
    application, contact, versions, _sibling = case
    root = storage_root()
    storage.stored_path(root, versions["plan_1"].storage_name).write_bytes(b"%PDF-1.4\nanders")
    storage.stored_path(root, versions["agreement"].storage_name).unlink()

    archive, _response = _zip(client, _url("application", application, contact, "/export.zip"))
    folder = f"dokumente/{application.engagement_id}"
    assert sorted(archive.namelist()) == sorted(
        [
            "auskunft.json",
            f"{folder}/Plan/Fassung 2 – Plan.pdf",
            f"{folder}/Protokoll/Fassung 1 – Protokoll.txt",
            "dokumente/FEHLENDE_DATEIEN.txt",
        ]
    )
    assert archive.read(f"{folder}/Plan/Fassung 2 – Plan.pdf") == PLAN_2
    missing = archive.read("dokumente/FEHLENDE_DATEIEN.txt").decode("utf-8")
    assert "Diese Dateien fehlen in der Auskunft" in missing
    assert "„Plan“, Fassung 1: Plan.pdf" in missing
    assert versions["plan_1"].sha256 in missing
    assert f"Fassung 1: {UTF8_NAME}" in missing
    assert "Fassung 2" not in missing and "Protokoll.txt" not in missing
    assert len([line for line in missing.splitlines() if line.startswith("- ")]) == 2
    # The JSON part is unchanged: it still lists both versions.
    in_zip = json.loads(archive.read("auskunft.json"))
    plan = next(document for document in in_zip["documents"] if document["title"] == "Plan")
    assert [version["number"] for version in plan["versions"]] == [1, 2]
    [event] = _events(session)
    assert event.changes == {"format": "zip", "files": 2, "missing": 2}
    # Both are marked damaged, as a download would mark them (and the admins are told).
    session.expire_all()
    damaged = session.scalars(
        select(DocumentVersion.id).where(DocumentVersion.damaged_at.is_not(None))
    )
    assert set(damaged) == {versions["plan_1"].id, versions["agreement"].id}


def test_an_application_without_engagement_gets_the_json_alone(client, session, admin):
    application = factories.make_application(session, status=ApplicationStatus.EINGEGANGEN)
    archive, _response = _zip(
        client, f"/admin/data-protection/application/{application.id}/export.zip"
    )
    assert archive.namelist() == ["auskunft.json"]
    assert json.loads(archive.read("auskunft.json"))["documents"] == []
    [event] = _events(session)
    assert event.changes == {"format": "zip", "files": 0, "missing": 0}


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD])
def test_staff_below_admin_get_403(client, session, logged_in, case, role):
    application, contact, _versions, _sibling = case
    logged_in(role)
    for kind in ("application", "contact"):
        response = client.get(_url(kind, application, contact, "/export.zip"))
        response.close()
        assert response.status_code == 403, kind
        assert "Kein Zugriff" in response.get_data(as_text=True)
    assert _events(session) == []


def test_unknown_ids_answer_404(client, session, admin):
    for kind in ("contact", "application"):
        response = client.get(f"/admin/data-protection/{kind}/999999/export.zip")
        response.close()
        assert response.status_code == 404, kind
    assert _events(session) == []


def test_the_subject_page_links_the_zip_when_the_case_has_documents(client, session, admin, case):
    application, contact, _versions, sibling = case
    for kind in ("application", "contact"):
        response = client.get(_url(kind, application, contact, ""))
        assert "Auskunft mit Dokumenten (ZIP)" in page_text(response), kind
        assert _url(kind, application, contact, "/export.zip") in response.get_data(as_text=True)
    alone = factories.make_application(session, status=ApplicationStatus.EINGEGANGEN)
    response = client.get(f"/admin/data-protection/application/{alone.id}")
    assert response.status_code == 200
    assert "Auskunft mit Dokumenten (ZIP)" not in page_text(response)


def test_names_in_the_archive_are_safe_and_unique():
    assert safe_name('Bericht: 1/2 \\ Teil <a>|b?*"') == "Bericht_ 1_2 _ Teil _a__b___"
    assert safe_name("Plan\u202efdp.exe") == "Planfdp.exe"
    assert safe_name("Zeile\neins\tzwei\x00") == "Zeile eins zwei"
    assert safe_name("..") == "Dokument" and safe_name(" . ") == "Dokument"
    assert safe_name("../../etc/passwd") == "_.._etc_passwd"
    assert safe_name("Kooperation – Neukölln") == "Kooperation – Neukölln"
    assert safe_name("Neuko\u0308lln") == "Neukölln"  # NFC
    used: set[str] = set()
    assert [_unique(name, used) for name in ("Plan", "plan", "PLAN", "Bericht")] == [
        "Plan",
        "plan (2)",
        "PLAN (3)",
        "Bericht",
    ]


def test_building_the_archive_only_reads(app, client, session, admin, case, monkeypatch):
    """The export is recorded after the archive is built, in a transaction of its own: a
    GET on SQLite must not turn its read transaction into a write after a long build."""
    from sqlalchemy import event

    from caseflow.admin import subject_archive
    from caseflow.extensions import db

    application, contact, versions, _sibling = case
    storage.stored_path(storage_root(), versions["plan_1"].storage_name).unlink()
    during: list[str] = []
    building = False
    written = subject_archive.write_archive

    def watched(*args, **kwargs):
        nonlocal building
        building = True
        try:
            return written(*args, **kwargs)
        finally:
            building = False

    def statement(_connection, _cursor, sql, *_args) -> None:
        if building:
            during.append(sql.split(None, 1)[0].upper())

    monkeypatch.setattr("caseflow.admin.views.subjects.write_archive", watched)
    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        _zip(client, _url("application", application, contact, "/export.zip"))
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
    assert during and set(during) <= {"SELECT"}
    assert len(_events(session)) == 1
