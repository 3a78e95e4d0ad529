"""The names documents keep for people (issue 10)."""

from __future__ import annotations

import unicodedata

import pytest

from caseflow.documents.content import FileKind
from caseflow.documents.names import MAX_NAME_LENGTH, NameRefused, clean_file_name

GERMAN = "Kooperationsvereinbarung – Jugendamt Neukölln.pdf"


def test_a_german_name_is_kept_exactly() -> None:
    assert clean_file_name(GERMAN, FileKind.PDF) == GERMAN


def test_decomposed_umlauts_become_composed() -> None:
    decomposed = unicodedata.normalize("NFD", GERMAN)
    assert decomposed != GERMAN
    assert clean_file_name(decomposed, FileKind.PDF) == GERMAN


@pytest.mark.parametrize(
    "raw",
    [
        "../../x.pdf",
        "..\\..\\x.pdf",
        "C:\\Users\\a\\x.pdf",
        "/etc/x.pdf",
        "\\\\server\\share\\x.pdf",
    ],
)
def test_only_the_last_path_component_is_kept(raw: str) -> None:
    assert clean_file_name(raw, FileKind.PDF) == "x.pdf"


@pytest.mark.parametrize(
    "raw",
    [
        "bericht\n.pdf",
        "bericht\r\nSet-Cookie: x.pdf",
        "bericht\t2025.pdf",
        "bericht\x00.pdf",
        "bericht\x1b[31m.pdf",
        "bericht\x7f.pdf",
        "bericht\x85.pdf",
        "rechnung\u202efdp.exe",
        "rechnung\u2066x\u2069.pdf",
        "bericht\u200b.pdf",
        "bericht\u2028.pdf",
        "bericht\ud800.pdf",
    ],
)
def test_control_and_format_characters_are_refused(raw: str) -> None:
    with pytest.raises(NameRefused) as caught:
        clean_file_name(raw, FileKind.PDF)
    assert "Steuer- oder Formatierungszeichen" in str(caught.value)
    assert "benennen Sie die Datei um" in str(caught.value)


def test_control_characters_in_a_discarded_folder_do_not_matter() -> None:
    assert clean_file_name("C:\\Ordner\tneu\\x.pdf", FileKind.PDF) == "x.pdf"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "Dokument.pdf"),
        ("", "Dokument.pdf"),
        ("   ", "Dokument.pdf"),
        ("...", "Dokument.pdf"),
        (".pdf", "Dokument.pdf"),
        ("../", "Dokument.pdf"),
        ("C:\\Users\\a\\", "Dokument.pdf"),
        ("  bericht.pdf  ", "bericht.pdf"),
        ("bericht.pdf. . ", "bericht.pdf"),
        ("..bericht.pdf", "bericht.pdf"),
        ("bericht .pdf", "bericht.pdf"),
    ],
)
def test_whitespace_and_dots_around_the_name_are_dropped(raw: str | None, expected: str) -> None:
    assert clean_file_name(raw, FileKind.PDF) == expected


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("bericht.exe", FileKind.PDF, "bericht.pdf"),
        ("bericht.docx", FileKind.PDF, "bericht.pdf"),
        ("seite.html", FileKind.TXT, "seite.txt"),
        ("tabelle.xls", FileKind.XLSX, "tabelle.xlsx"),
        ("bild.svg", FileKind.PNG, "bild.png"),
        ("Bericht.PDF", FileKind.PDF, "Bericht.PDF"),
        ("foto.jpeg", FileKind.JPEG, "foto.jpeg"),
        ("FOTO.JPG", FileKind.JPEG, "FOTO.JPG"),
        ("foto.png", FileKind.JPEG, "foto.jpg"),
        ("protokoll.md", FileKind.TXT, "protokoll.md"),
        ("liste.txt", FileKind.CSV, "liste.csv"),
        ("Protokoll 12.03.2025", FileKind.PDF, "Protokoll 12.03.2025.pdf"),
        ("Stellungnahme Dr. Müller", FileKind.DOCX, "Stellungnahme Dr. Müller.docx"),
        ("bericht", FileKind.ODT, "bericht.odt"),
        ("rechnung.exe.pdf", FileKind.PDF, "rechnung.exe.pdf"),
        ("rechnung.pdf.exe", FileKind.PDF, "rechnung.pdf"),
        ("bericht.docx.exe", FileKind.PDF, "bericht.pdf"),
        ("daten.tar.gz", FileKind.ODS, "daten.ods"),
    ],
)
def test_the_extension_follows_the_kind(raw: str, kind: FileKind, expected: str) -> None:
    assert clean_file_name(raw, kind) == expected


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = clean_file_name("Ä" * 300 + ".xlsx", FileKind.XLSX)
    assert len(name) == MAX_NAME_LENGTH
    assert name == "Ä" * (MAX_NAME_LENGTH - 5) + ".xlsx"


def test_a_cut_does_not_leave_dots_or_spaces_before_the_extension() -> None:
    stem = "a" * (MAX_NAME_LENGTH - 6) + " . x"
    name = clean_file_name(stem + ".pdf", FileKind.PDF)
    assert name == "a" * (MAX_NAME_LENGTH - 6) + ".pdf"


def test_a_long_name_without_extension_gets_one_within_the_limit() -> None:
    name = clean_file_name("x" * 400, FileKind.DOCX)
    assert len(name) == MAX_NAME_LENGTH
    assert name.endswith("x.docx")


def test_emoji_and_other_scripts_are_kept() -> None:
    assert clean_file_name("Begrüßung 👋 مرحبا.pdf", FileKind.PDF) == "Begrüßung 👋 مرحبا.pdf"
