"""The demo's documents: the evidence of milestones that are done, as the team would have
uploaded it on the day — the signed cooperation agreement, the analysis report (a draft,
then the final version), the action plan and the minutes of the goals workshop.

The files are made here: one-page PDFs (readable in the browser's preview) and a text file,
with the organisation's name and nothing about a person. They go through the upload service,
so they are checked, hashed and stored like any upload.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app

from caseflow.demo.context import Demo, at
from caseflow.documents.models import DocumentKind
from caseflow.documents.services import Limits, Upload, upload_documents
from caseflow.documents.sweeps import storage_root
from caseflow.engagements.models import Engagement, EngagementStatus, Milestone, MilestoneStatus


@dataclass(frozen=True)
class Evidence:
    """The document a done milestone leaves: its title, kind, file name and lines."""

    milestone: str
    title: str
    kind: DocumentKind
    file_name: str
    lines: tuple[str, ...]
    draft_days_before: int | None = None  # an earlier version, so many days before


EVIDENCE = (
    Evidence(
        "Kooperationsvereinbarung unterzeichnet",
        "Kooperationsvereinbarung (unterschrieben)",
        DocumentKind.VEREINBARUNG,
        "Kooperationsvereinbarung – {organisation}.pdf",
        (
            "Kooperationsvereinbarung",
            "zwischen {organisation} und BQN Berlin (DiFair, Maßnahme 3)",
            "Gegenstand: diskriminierungskritische Prozessbegleitung",
            "Laufzeit, Ziele und Zuständigkeiten wie im Erstgespräch vereinbart.",
            "Unterschrieben von beiden Seiten.",
        ),
    ),
    Evidence(
        "Analysebericht Zugangsbarrieren",
        "Analysebericht Zugangsbarrieren",
        DocumentKind.BERICHT,
        "Analysebericht Zugangsbarrieren – {organisation}.pdf",
        (
            "Analysebericht Zugangsbarrieren",
            "{organisation}",
            "Grundlage: Selbstcheck, Gespräche mit Mitarbeitenden und mit",
            "Migrant*innenselbstorganisationen, Sichtung der Formulare und Schreiben.",
            "Ergebnis: Barrieren je Kategorie mit Vorschlägen für Maßnahmen.",
        ),
        draft_days_before=12,
    ),
    Evidence(
        "Maßnahmenplan verabschiedet",
        "Maßnahmenplan",
        DocumentKind.PLAN,
        "Maßnahmenplan – {organisation}.pdf",
        (
            "Maßnahmenplan",
            "{organisation}",
            "Maßnahmen je Barriere mit Verantwortlichen, Zeitraum und Prüfpunkt.",
            "Verabschiedet von der Steuerungsgruppe.",
        ),
    ),
    Evidence(
        "Zielworkshop",
        "Protokoll Zielworkshop",
        DocumentKind.PROTOKOLL,
        "Protokoll Zielworkshop.txt",
        (
            "Protokoll Zielworkshop – {organisation}",
            "",
            "1. Rückblick auf die Analyse",
            "2. Ziele für die nächsten Monate",
            "3. Nächste Schritte und Termine",
        ),
    ),
)


def create_documents(demo: Demo) -> None:
    """Upload the evidence of every done milestone of ``EVIDENCE`` (not of cancelled
    engagements), by the engagement's lead on the day the milestone was done."""
    root = storage_root()
    limits = Limits.of(current_app.config)
    for engagement in demo.engagements.values():
        if engagement.status is EngagementStatus.ABGEBROCHEN:
            continue
        for evidence in EVIDENCE:
            milestone = _done(engagement, evidence.milestone)
            if milestone is None or milestone.completed_on is None:
                continue
            days = [milestone.completed_on]
            if evidence.draft_days_before is not None:
                earlier = milestone.completed_on - timedelta(days=evidence.draft_days_before)
                days.insert(0, max(earlier, engagement.start_date))
            for number, day in enumerate(days, start=1):
                _upload(demo, engagement, milestone, evidence, day, number, root, limits)
    demo.session.flush()


def _done(engagement: Engagement, title: str) -> Milestone | None:
    for phase in engagement.phases:
        for milestone in phase.milestones:
            if milestone.title == title and milestone.status is MilestoneStatus.ERLEDIGT:
                return milestone
    return None


def _upload(
    demo: Demo,
    engagement: Engagement,
    milestone: Milestone,
    evidence: Evidence,
    day: date,
    number: int,
    root: Path,
    limits: Limits,
) -> None:
    organisation = engagement.organisation.name
    lines = [line.format(organisation=organisation) for line in evidence.lines]
    if evidence.draft_days_before is not None:
        lines.append("Entwurf zur Abstimmung" if number == 1 else "Endfassung")
    file_name = evidence.file_name.format(organisation=organisation)
    content = (
        "\r\n".join(lines).encode("utf-8") + b"\r\n"
        if file_name.endswith(".txt")
        else one_page_pdf(lines)
    )
    lead = next(a.staff_member for a in engagement.assignments if a.role.value == "lead")
    upload_documents(
        demo.session,
        engagement,
        [Upload(stream=io.BytesIO(content), file_name=file_name)],
        title=evidence.title,
        kind=evidence.kind,
        milestone_id=milestone.id,
        actor=lead,
        now=at(day, 16),
        root=root,
        limits=limits,
    )


def _pdf_text(line: str) -> bytes:
    encoded = line.encode("cp1252", "replace")
    return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def one_page_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF (A4) showing ``lines`` in Helvetica, the first one larger."""
    stream = [b"BT", b"/F1 16 Tf", b"72 770 Td", b"(" + _pdf_text(lines[0]) + b") Tj"]
    stream += [b"/F1 11 Tf"]
    for line in lines[1:]:
        stream += [b"0 -22 Td", b"(" + _pdf_text(line) + b") Tj"]
    stream.append(b"ET")
    content = b"\n".join(stream)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
