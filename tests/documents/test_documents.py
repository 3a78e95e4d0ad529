"""Documents through the browser's eyes: uploading one or several files (all or nothing),
versions under one title, downloads with their headers, the hash check, hostile files and
names, the trash, and who may do what."""

from __future__ import annotations

import gc
import io
import re
import warnings
import zipfile
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.documents.models import Document, DocumentVersion
from caseflow.documents.views.documents import storage_root
from caseflow.engagements.models import EngagementStatus
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import CSRF_PATTERN, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17


def _docx(body: bytes = b"<w:document/>") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", body)
    return buffer.getvalue()


@pytest.fixture
def team(session, logged_in):
    lead = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(
        session, lead=lead, start=date(2025, 1, 1), status=EngagementStatus.AKTIV
    )
    return lead, engagement


def _csrf(client, path):
    match = CSRF_PATTERN.search(client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1)


def _upload(client, engagement, files, **fields):
    token = _csrf(client, f"/engagements/{engagement.id}/dokumente")
    data = {"csrf_token": token, "kind": "sonstiges", "milestone_id": "", "title": "", **fields}
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    answer = client.post(
        f"/engagements/{engagement.id}/dokumente", data=data, content_type="multipart/form-data"
    )
    # The test client encodes a body over 500 KB into a temporary file that it never closes
    # (werkzeug.test.stream_encode_multipart): collected here, where its warning is expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return answer


def _fetch(client, url):
    """GET ``url`` and close the response (a file download keeps its file open until then)."""
    answer = client.get(url)
    answer.get_data()
    answer.close()
    return answer


def _files_in(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def _root(app: Flask) -> Path:
    with app.test_request_context():
        return storage_root()


def test_an_upload_is_stored_under_a_generated_name_with_its_hash(app, client, session, team):
    _lead, engagement = team
    answer = _upload(
        client, engagement, [("Kooperationsvereinbarung – Jugendamt Neukölln.pdf", PDF)]
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    (version,) = session.scalars(select(DocumentVersion)).all()
    assert version.file_name == "Kooperationsvereinbarung – Jugendamt Neukölln.pdf"
    assert version.document.title == "Kooperationsvereinbarung – Jugendamt Neukölln"
    assert version.size == len(PDF) and version.file_kind == "pdf"
    stored = _files_in(_root(app))
    assert [path.name for path in stored] == [version.storage_name]
    assert re.fullmatch(r"[0-9a-f]{32}", version.storage_name)
    import hashlib

    assert hashlib.sha256(stored[0].read_bytes()).hexdigest() == version.sha256
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "document.uploaded"))
    assert event.changes["sha256"] == version.sha256


def test_the_same_title_makes_a_new_version_and_older_ones_stay_downloadable(client, session, team):
    _lead, engagement = team
    _upload(client, engagement, [("Bericht.pdf", PDF)])
    _upload(client, engagement, [("bericht.pdf", PDF + b"% zweite Fassung\n")])
    (document,) = session.scalars(select(Document)).all()
    session.refresh(document)
    assert [version.number for version in document.versions] == [1, 2]
    for version in document.versions:
        answer = _fetch(
            client, f"/engagements/{engagement.id}/dokumente/{document.id}/fassung/{version.number}"
        )
        assert answer.status_code == 200
        assert answer.get_data() == (PDF if version.number == 1 else PDF + b"% zweite Fassung\n")


def test_download_headers_attachment_name_nosniff_and_inline_only_for_pdf_and_images(
    client, session, team
):
    _lead, engagement = team
    _upload(client, engagement, [("Protokoll – Sitzung.pdf", PDF), ("notizen.txt", b"Hallo\n")])
    documents = {d.title: d for d in session.scalars(select(Document))}
    pdf = documents["Protokoll – Sitzung"]
    base = f"/engagements/{engagement.id}/dokumente"
    answer = _fetch(client, f"{base}/{pdf.id}/fassung/1")
    assert answer.headers["Content-Type"] == "application/pdf"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Protokoll%20%E2%80%93%20Sitzung.pdf" in disposition
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert "no-store" in answer.headers["Cache-Control"]
    shown = _fetch(client, f"{base}/{pdf.id}/fassung/1?anzeigen=1")
    assert shown.headers["Content-Disposition"].startswith("inline;")
    text = documents["notizen"]
    as_text = _fetch(client, f"{base}/{text.id}/fassung/1?anzeigen=1")
    assert as_text.headers["Content-Disposition"].startswith("attachment;")
    assert as_text.headers["Content-Type"].startswith("text/plain")


def test_a_file_whose_bytes_changed_is_reported_not_served(app, client, session, team):
    _lead, engagement = team
    _upload(client, engagement, [("Plan.pdf", PDF)])
    version = session.scalar(select(DocumentVersion))
    (stored,) = _files_in(_root(app))
    stored.write_bytes(PDF.replace(b"Catalog", b"Katalog"))
    answer = _fetch(
        client, f"/engagements/{engagement.id}/dokumente/{version.document_id}/fassung/1"
    )
    assert answer.status_code == 409
    assert "stimmt nicht mehr mit der Prüfsumme überein" in answer.get_data(as_text=True)
    assert b"Katalog" not in answer.get_data()
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "document.damaged"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("programm.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "Erlaubt sind"),
        ("seite.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "Erlaubt sind"),
        ("bombe.docx", None, "beim Entpacken"),
        ("leer.pdf", b"", "leer"),
        ("makro.docx", b"macro", "Makros"),
    ],
)
def test_hostile_files_are_refused_with_a_message_and_nothing_is_kept(
    app, client, session, team, name, content, message
):
    _lead, engagement = team
    if name == "bombe.docx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            with archive.open("word/document.xml", "w") as member:
                for _ in range(320):
                    member.write(b"\x00" * (1024 * 1024))
        content = buffer.getvalue()
    elif name == "makro.docx":
        buffer = io.BytesIO(_docx())
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.writestr("word/vbaProject.bin", b"\x00" * 100)
        content = buffer.getvalue()
    answer = _upload(client, engagement, [("gut.pdf", PDF), (name, content)])
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    assert name in body and message in body
    assert session.scalars(select(Document)).all() == []  # the good file is not kept either
    assert _files_in(_root(app)) == []


def test_a_path_or_control_characters_in_the_name(app, client, session, team):
    _lead, engagement = team
    answer = _upload(client, engagement, [("../../x.pdf", PDF)])
    assert answer.status_code == 302
    version = session.scalar(select(DocumentVersion))
    assert version.file_name == "x.pdf"
    root = _root(app)
    assert all(path.is_relative_to(root) for path in _files_in(root.parent))  # nothing outside
    assert not (root.parent.parent / "x.pdf").exists()
    refused = _upload(client, engagement, [("bericht\u202efdp.exe", PDF)])
    assert refused.status_code == 422
    assert "bericht?fdp.exe" in refused.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused(app, client, session, team):
    _lead, engagement = team
    app.config["DOCUMENT_MAX_MB"] = 1
    try:
        answer = _upload(client, engagement, [("gross.pdf", PDF + b"0" * (1024 * 1024))])
    finally:
        app.config["DOCUMENT_MAX_MB"] = 20
    assert answer.status_code == 422
    assert "größer als die erlaubten 1 MB" in answer.get_data(as_text=True)
    assert _files_in(_root(app)) == []


def test_a_request_larger_than_all_files_may_be_is_413(app, client, session, team):
    _lead, engagement = team
    app.config["DOCUMENT_MAX_MB"] = 1
    app.config["DOCUMENT_MAX_FILES"] = 1
    try:
        answer = _upload(client, engagement, [("a.pdf", PDF + b"0" * (3 * 1024 * 1024))])
    finally:
        app.config["DOCUMENT_MAX_MB"] = 20
        app.config["DOCUMENT_MAX_FILES"] = 10
    assert answer.status_code == 413
    assert "höchstens 1 Dateien" in answer.get_data(as_text=True) or "Zu viele" in (
        answer.get_data(as_text=True)
    )


def test_a_milestone_of_another_engagement_is_refused(client, session, team):
    lead, engagement = team
    other = factories.make_engagement(session, lead=lead)
    foreign = other.phases[0].milestones[0]
    for wrong in (str(foreign.id), "abc", "²", "9" * 40, str(2**31)):
        answer = _upload(client, engagement, [("a.pdf", PDF)], milestone_id=wrong)
        assert answer.status_code == 422, wrong
        assert "Meilenstein dieser Prozessbegleitung" in answer.get_data(as_text=True)
    own = engagement.phases[0].milestones[1]
    answer = _upload(client, engagement, [("b.pdf", PDF)], milestone_id=str(own.id))
    assert answer.status_code == 302
    assert session.scalar(select(Document)).milestone_id == own.id


def test_trash_restore_and_immediate_deletion(app, client, session, team):
    _lead, engagement = team
    _upload(client, engagement, [("Plan.pdf", PDF)])
    document = session.scalar(select(Document))
    page = f"/engagements/{engagement.id}/dokumente"
    token = _csrf(client, page)
    deleted = client.post(
        f"{page}/{document.id}/loeschen", data={"csrf_token": token, "version": "1"}
    )
    assert deleted.status_code == 302
    session.refresh(document)
    assert document.in_trash and len(_files_in(_root(app))) == 1
    restored = client.post(
        f"{page}/{document.id}/wiederherstellen",
        data={"csrf_token": token, "version": str(document.version)},
    )
    assert restored.status_code == 302
    session.refresh(document)
    assert not document.in_trash
    app.config["DOCUMENT_TRASH_DAYS"] = 0
    try:
        client.post(
            f"{page}/{document.id}/loeschen",
            data={"csrf_token": token, "version": str(document.version)},
        )
    finally:
        app.config["DOCUMENT_TRASH_DAYS"] = 30
    assert session.scalars(select(Document)).all() == []
    assert _files_in(_root(app)) == []
    actions = [
        event.action
        for event in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("document.%")).order_by(AuditEvent.id)
        )
    ]
    assert actions == [
        "document.uploaded",
        "document.deleted",
        "document.restored",
        "document.deleted",
    ]


def test_who_may_download_and_upload(app, client, session, team, make_staff):
    _lead, engagement = team
    _upload(client, engagement, [("Plan.pdf", PDF)])
    document = session.scalar(select(Document))
    download = f"/engagements/{engagement.id}/dokumente/{document.id}/fassung/1"
    client.post("/logout", data={"csrf_token": _csrf(client, "/dashboard")})
    assert _fetch(client, download).status_code == 302  # anonymous: to the login

    outsider = make_staff(Role.CONSULTANT)
    login(client, outsider.email)
    assert _fetch(client, download).status_code == 404
    assert _upload(client, engagement, [("x.pdf", PDF)]).status_code == 404
    client.post("/logout", data={"csrf_token": _csrf(client, "/dashboard")})

    lead = make_staff(Role.LEAD)
    login(client, lead.email)
    assert _fetch(client, download).status_code == 200
    other = factories.make_engagement(session, lead=lead)
    # The document addressed under another engagement is not found.
    assert (
        _fetch(client, f"/engagements/{other.id}/dokumente/{document.id}/fassung/1").status_code
        == 404
    )
    assert (
        _fetch(
            client, f"/engagements/{engagement.id}/dokumente/{document.id}/fassung/9"
        ).status_code
        == 404
    )


def test_the_engagement_page_lists_documents_in_a_fixed_number_of_queries(
    client, session, team, count_queries
):
    _lead, engagement = team
    _upload(client, engagement, [("A.pdf", PDF)])
    page = f"/engagements/{engagement.id}"
    client.get(page)
    with count_queries() as few:
        html = client.get(page).get_data(as_text=True)
    assert "A.pdf" in html and 'id="documents-title"' in html
    _upload(client, engagement, [(f"B{n}.pdf", PDF) for n in range(5)])
    _upload(client, engagement, [("A.pdf", PDF + b"%2\n")])
    with count_queries() as many:
        client.get(page)
    assert many.count == few.count


def test_the_documents_page_takes_a_fixed_number_of_queries(client, session, team, count_queries):
    """Every version, the trash and the milestones: as many statements for one document
    as for six, one with two versions, one in the trash."""
    _lead, engagement = team
    _upload(client, engagement, [("A.pdf", PDF)])
    page = f"/engagements/{engagement.id}/dokumente"
    client.get(page)
    with count_queries() as few:
        client.get(page)
    _upload(client, engagement, [(f"B{n}.pdf", PDF) for n in range(5)])
    _upload(
        client,
        engagement,
        [("A.pdf", PDF + b"%2\n")],
        milestone_id=str(engagement.phases[0].milestones[1].id),
    )
    trashed = session.scalar(select(Document).where(Document.title == "B0"))
    token = _csrf(client, page)
    client.post(f"{page}/{trashed.id}/loeschen", data={"csrf_token": token, "version": "1"})
    with count_queries() as many:
        html = client.get(page).get_data(as_text=True)
    assert "Fassung 2" in html and 'id="trash-title"' in html
    assert many.count == few.count


def test_a_milestones_evidence_shows_under_it_on_the_engagement_page(client, session, team):
    _lead, engagement = team
    milestone = engagement.phases[0].milestones[1]
    _upload(
        client,
        engagement,
        [("Kooperationsvereinbarung unterschrieben.pdf", PDF)],
        milestone_id=str(milestone.id),
        kind="vereinbarung",
    )
    document = session.scalar(select(Document))
    html = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    item = html[html.index(f'id="milestone-{milestone.id}"') :]
    item = item[: item.index("</li>")]
    assert "Kooperationsvereinbarung unterschrieben</a>" in item
    assert f"/dokumente/{document.id}/fassung/1" in item
    other = engagement.phases[0].milestones[0]
    # An open milestone's link offers to complete it with the upload.
    upload_link = (
        f"/engagements/{engagement.id}/dokumente?meilenstein={other.id}&amp;erledigen=1"
        "#upload-title"
    )
    assert upload_link in html
    page = client.get(upload_link.split("#")[0].replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(
        rf'<option selected value="{other.id}">|<option value="{other.id}" selected', page
    )
    assert re.search(
        r'<input[^>]*checked[^>]*id="complete"|<input[^>]*id="complete"[^>]*checked', page
    )


def test_a_new_version_keeps_the_kind_and_milestone_of_its_document(client, session, team):
    _lead, engagement = team
    milestone = engagement.phases[0].milestones[1]
    _upload(
        client,
        engagement,
        [("Vereinbarung.pdf", PDF)],
        kind="vereinbarung",
        milestone_id=str(milestone.id),
    )
    # The next version, sent with the form's defaults (Sonstiges, no milestone).
    answer = _upload(client, engagement, [("Vereinbarung.pdf", PDF + b"%2\n")])
    assert answer.status_code == 302
    document = session.scalar(select(Document))
    session.refresh(document)
    assert len(document.versions) == 2
    assert document.kind.value == "vereinbarung" and document.milestone_id == milestone.id


# --- completing a milestone with its evidence ----------------------------------------------


def _milestone_row(session, milestone):
    session.expire_all()
    return session.get(type(milestone), milestone.id)


def test_uploading_the_signed_agreement_completes_its_milestone_in_one_step(client, session, team):
    lead, engagement = team
    milestone = engagement.phases[0].milestones[1]
    answer = _upload(
        client,
        engagement,
        [("Kooperationsvereinbarung – Jugendamt Neukölln.pdf", PDF)],
        milestone_id=str(milestone.id),
        kind="vereinbarung",
        complete="y",
        completed_on="2025-02-03",
    )
    assert answer.status_code == 302
    done = _milestone_row(session, milestone)
    assert done.status.value == "erledigt"
    assert done.completed_on == date(2025, 2, 3)
    assert done.completed_by_id == lead.id
    document = session.scalar(select(Document))
    assert document.milestone_id == milestone.id
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"document.uploaded", "engagement.milestone_completed"} <= actions
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "1 Datei gespeichert." in page
    assert f"Der Meilenstein „{milestone.title}“ ist erledigt." in page


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        (
            {"milestone_id": ""},
            "milestone_id",
            "Bitte wählen Sie den Meilenstein, den die Datei belegt.",
        ),
        (
            {"completed_on": "2999-01-01"},
            "completed_on",
            "Das Datum darf nicht in der Zukunft liegen",
        ),
        ({"completed_on": "2024-12-31"}, "completed_on", "nicht vor dem Beginn"),
        (
            {"completed_on": ""},
            "completed_on",
            "Bitte geben Sie an, wann der Meilenstein erledigt wurde.",
        ),
        ({"completed_on": "31.02.2025"}, "completed_on", "Bitte geben Sie ein gültiges Datum"),
    ],
)
def test_a_completion_that_cannot_be_saves_neither_the_file_nor_the_milestone(
    client, session, team, fields, field_id, message
):
    _lead, engagement = team
    milestone = engagement.phases[0].milestones[1]
    form = {"milestone_id": str(milestone.id), "complete": "y", "completed_on": "2025-02-03"}
    answer = _upload(client, engagement, [("Vereinbarung.pdf", PDF)], **{**form, **fields})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    assert f'id="{field_id}-error"' in html
    assert session.scalar(select(Document)) is None
    assert _milestone_row(session, milestone).status.value == "offen"
    assert [path for path in _files_in(storage_root()) if "incoming" not in path.parts] == []


def test_a_refused_file_leaves_the_milestone_open(client, session, team):
    _lead, engagement = team
    milestone = engagement.phases[0].milestones[1]
    answer = _upload(
        client,
        engagement,
        [("Vereinbarung.pdf", b"<html><script>alert(1)</script></html>")],
        milestone_id=str(milestone.id),
        complete="y",
        completed_on="2025-02-03",
    )
    assert answer.status_code == 422
    assert _milestone_row(session, milestone).status.value == "offen"
    assert session.scalar(select(Document)) is None


def test_a_milestone_already_done_is_not_completed_again(client, session, team):
    _lead, engagement = team
    milestone = engagement.phases[0].milestones[1]
    form = {"milestone_id": str(milestone.id), "complete": "y", "completed_on": "2025-02-03"}
    assert _upload(client, engagement, [("Erste.pdf", PDF)], **form).status_code == 302
    answer = _upload(client, engagement, [("Zweite.pdf", PDF)], **form)
    assert answer.status_code == 422
    assert "Zweite" not in set(session.scalars(select(Document.title)))
    # Without the box the evidence is added to the done milestone.
    answer = _upload(client, engagement, [("Zweite.pdf", PDF)], milestone_id=str(milestone.id))
    assert answer.status_code == 302


def test_without_the_box_a_half_typed_day_is_no_error(client, session, team):
    _lead, engagement = team
    milestone = engagement.phases[0].milestones[1]
    answer = _upload(
        client,
        engagement,
        [("Plan.pdf", PDF)],
        milestone_id=str(milestone.id),
        completed_on="31.02.",
    )
    assert answer.status_code == 302
    assert _milestone_row(session, milestone).status.value == "offen"


def test_the_completion_page_points_to_completing_with_a_file(client, session, team):
    _lead, engagement = team
    milestone = engagement.phases[0].milestones[1]
    html = client.get(f"/engagements/{engagement.id}/milestones/{milestone.id}/complete").get_data(
        as_text=True
    )
    link = (
        f"/engagements/{engagement.id}/dokumente?meilenstein={milestone.id}&amp;erledigen=1"
        "#upload-title"
    )
    assert f'<a href="{link}">Nachweis hochladen</a>' in html


# --- after the review: stale forms, long titles, races, half-stored uploads -----------------


def _version_field(html: str, document_id: int) -> str:
    form = html[html.index(f"/dokumente/{document_id}/loeschen") :]
    return re.search(r'name="version" value="(\d+)"', form).group(1)


def test_a_delete_form_shown_before_a_new_version_is_stale(app, client, session, team):
    _lead, engagement = team
    _upload(client, engagement, [("Plan.pdf", PDF)])
    document = session.scalar(select(Document))
    page = f"/engagements/{engagement.id}/dokumente"
    shown = client.get(page).get_data(as_text=True)
    old_version = _version_field(shown, document.id)
    token = _csrf(client, page)
    _upload(client, engagement, [("Plan.pdf", PDF + b"% zweite Fassung\n")])
    answer = client.post(
        f"{page}/{document.id}/loeschen", data={"csrf_token": token, "version": old_version}
    )
    assert answer.status_code == 302
    assert "wurde gerade geändert" in client.get(answer.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    document = session.get(Document, document.id)
    assert not document.in_trash and len(document.versions) == 2


def test_a_title_that_grows_when_case_folded_is_stored_and_matched(client, session, team):
    """ "ß" folds to "ss": a title of 196 characters has a key of 224."""
    _lead, engagement = team
    title = ("Straße " * 28).strip()
    assert len(title) <= 200 < len(" ".join(title.split()).casefold())
    assert _upload(client, engagement, [("a.pdf", PDF)], title=title).status_code == 302
    again = _upload(client, engagement, [("b.pdf", PDF)], title=title.replace("S", "s"))
    assert again.status_code == 302
    (document,) = session.scalars(select(Document)).all()
    assert document.title == title and len(document.versions) == 2


def test_a_restore_racing_an_upload_of_its_title_gets_a_message(
    app, client, session, team, monkeypatch
):
    """An upload under the same title commits between the restore's check and its write:
    the unique index refuses the restore, which answers with the message, not a 500."""
    from caseflow.documents import services

    _lead, engagement = team
    _upload(client, engagement, [("Plan.pdf", PDF)])
    document = session.scalar(select(Document))
    page = f"/engagements/{engagement.id}/dokumente"
    token = _csrf(client, page)
    client.post(f"{page}/{document.id}/loeschen", data={"csrf_token": token, "version": "1"})
    _upload(client, engagement, [("Plan.pdf", PDF + b"% neu\n")])
    session.refresh(document)
    monkeypatch.setattr(services, "_current_documents", lambda _session, _engagement_id: {})
    answer = client.post(
        f"{page}/{document.id}/wiederherstellen",
        data={"csrf_token": token, "version": str(document.version)},
    )
    assert answer.status_code == 302
    text = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Es gibt inzwischen ein anderes Dokument mit dem Titel „Plan“" in text
    session.refresh(document)
    assert document.in_trash


def test_a_failure_while_moving_files_into_place_leaves_no_file(
    app, client, session, team, monkeypatch
):
    from caseflow.documents import storage

    _lead, engagement = team
    accepted = storage.accept
    calls = []

    def accept_once(root, received):
        calls.append(received)
        if len(calls) == 2:
            raise OSError("disk full")
        return accepted(root, received)

    monkeypatch.setattr(storage, "accept", accept_once)
    with pytest.raises(OSError, match="disk full"):
        _upload(client, engagement, [("a.pdf", PDF), ("b.pdf", PDF)])
    assert len(calls) == 2
    assert _files_in(_root(app)) == []
    assert session.scalar(select(Document)) is None


class _WatchedBody(io.BytesIO):
    """A request body that knows how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)

    @property
    def all_read(self) -> bool:
        return self.tell() >= self.size


def test_the_upload_arrives_before_the_database_is_asked(app, client, session, team):
    """On SQLite a request that may write takes the write lock with its first statement: an
    upload arriving slowly must not hold it. The body is read in full before the first
    statement of the request (the login's check of the session included)."""
    from sqlalchemy import event
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import stream_encode_multipart

    from caseflow.extensions import db

    _lead, engagement = team
    token = _csrf(client, f"/engagements/{engagement.id}/dokumente")
    stream, length, boundary = stream_encode_multipart(
        {
            "csrf_token": token,
            "kind": "sonstiges",
            "milestone_id": "",
            "title": "",
            "files": FileStorage(
                io.BytesIO(PDF + b"%" + b"x" * 200_000 + b"\n"),
                filename="Gross.pdf",
                content_type="application/pdf",
            ),
        },
        use_tempfile=False,
    )
    body = _WatchedBody(stream.read())
    seen: list[bool] = []

    def first_statement(*_args) -> None:
        if not seen:
            seen.append(body.all_read)

    event.listen(db.engine, "before_cursor_execute", first_statement)
    try:
        answer = client.post(
            f"/engagements/{engagement.id}/dokumente",
            input_stream=body,
            content_length=length,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", first_statement)
    assert answer.status_code == 302
    assert seen == [True]


def test_a_title_with_invisible_control_characters_is_refused(client, session, team):
    _lead, engagement = team
    answer = _upload(client, engagement, [("a.pdf", PDF)], title="Bericht\u202efdp.exe")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="title-error"' in html and "unsichtbare Steuer- oder Formatierungszeichen" in html
    assert session.scalar(select(Document)) is None


def test_a_refused_file_is_announced_at_the_file_control(client, session, team):
    _lead, engagement = team
    answer = _upload(client, engagement, [("x.pdf", b"<html><p>kein PDF</p></html>")])
    html = answer.get_data(as_text=True)
    control = re.search(r"<input[^>]*\bid=\"files\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in control and "files-error" in control
    assert re.search(r'<p class="field-error" id="files-error">.*x\.pdf: ', html, re.S)
    assert '<a href="#files">Dateien: x.pdf: ' in html


def test_stored_files_are_for_their_owner_only(app, client, session, team):
    _lead, engagement = team
    _upload(client, engagement, [("Plan.pdf", PDF)])
    (stored,) = _files_in(_root(app))
    assert stored.stat().st_mode & 0o777 == 0o600
    assert stored.parent.stat().st_mode & 0o777 == 0o700


def test_a_limit_of_one_file_is_named_in_the_singular(app, client, session, team):
    _lead, engagement = team
    app.config["DOCUMENT_MAX_FILES"] = 1
    try:
        answer = _upload(client, engagement, [("a.pdf", PDF), ("b.pdf", PDF)])
    finally:
        app.config["DOCUMENT_MAX_FILES"] = 10
    assert answer.status_code in (413, 422)
    text = answer.get_data(as_text=True)
    assert "höchstens 1 Datei " in text and "höchstens 1 Dateien" not in text


def test_over_https_an_upload_from_another_site_is_refused(client, session, make_staff):
    """The upload is exempt from the global CSRF check (it reads its body itself) and makes
    the check in the view: on HTTPS that includes the Referer, as for every other form."""
    from tests.conftest import TEST_PASSWORD

    origin = "https://localhost"

    def token_of(path: str) -> str:
        html = client.get(path, base_url=origin).get_data(as_text=True)
        return CSRF_PATTERN.search(html).group(1)

    lead = make_staff(Role.CONSULTANT)
    engagement = factories.make_engagement(
        session, lead=lead, start=date(2025, 1, 1), status=EngagementStatus.AKTIV
    )
    signed_in = client.post(
        "/login",
        base_url=origin,
        data={"email": lead.email, "password": TEST_PASSWORD, "csrf_token": token_of("/login")},
        headers={"Referer": f"{origin}/login"},
    )
    assert signed_in.status_code == 302 and "/login" not in signed_in.headers["Location"]
    page = f"/engagements/{engagement.id}/dokumente"
    token = token_of(page)

    def send(referrer: str):
        return client.post(
            page,
            base_url=origin,
            data={
                "csrf_token": token,
                "kind": "sonstiges",
                "milestone_id": "",
                "title": "",
                "files": [(io.BytesIO(PDF), "Plan.pdf")],
            },
            content_type="multipart/form-data",
            headers={"Referer": referrer},
        )

    foreign = send("https://angreifer.example/formular")
    assert foreign.status_code == 422
    assert "Bitte wählen Sie die Dateien noch einmal aus." in foreign.get_data(as_text=True)
    assert session.scalar(select(Document)) is None
    assert send(f"{origin}{page}").status_code == 302
    assert session.scalar(select(Document)) is not None
