"""Uploads are judged by their content (issue 10): every sample is built here, in tmp_path."""

from __future__ import annotations

import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.documents.content import (
    MAX_MEMBERS,
    ContentRefused,
    FileKind,
    RefusalReason,
    sniff,
)

MIB = 1024 * 1024
LIMIT = 100 * MIB

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
DOCM_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"


# --- samples ----------------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    """A small PDF with one empty page (offsets in the xref table are not checked)."""
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
        b"xref\n0 4\n0000000000 65535 f \n0000000015 00000 n \n"
        b"0000000064 00000 n \n0000000121 00000 n \n"
        b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n196\n%%EOF\n"
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes() -> bytes:
    """A 1×1 white PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """A JFIF header, a quantisation table and the end marker: what a JPEG starts like."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes(range(1, 65))
    return b"\xff\xd8" + app0 + dqt + b"\xff\xd9"


def content_types(main_part: str, main_type: str, *extra: str) -> str:
    overrides = "".join(
        f'<Override PartName="/{part}" ContentType="{kind}"/>'
        for part, kind in ((main_part, main_type), *(item.split("|") for item in extra))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{overrides}</Types>"
    )


RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{target}"/></Relationships>'
)


def write_ooxml(
    path: Path,
    main_part: str,
    main_type: str,
    *,
    extra: dict[str, bytes] | None = None,
    extra_types: tuple[str, ...] = (),
) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types(main_part, main_type, *extra_types))
        archive.writestr("_rels/.rels", RELS.format(target=main_part))
        archive.writestr(main_part, '<?xml version="1.0"?><root>Inhalt</root>')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def write_docx(path: Path, **kwargs) -> Path:
    return write_ooxml(path, "word/document.xml", DOCX_TYPE, **kwargs)


def write_odf(path: Path, mimetype: str, *, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest/>')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def sample(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def kind_of(path: Path, file_name: str | None = None) -> FileKind:
    return sniff(path, file_name=file_name or path.name, max_unpacked_bytes=LIMIT)


def refusal(path: Path, file_name: str | None = None) -> ContentRefused:
    with pytest.raises(ContentRefused) as caught:
        kind_of(path, file_name)
    return caught.value


# --- accepted kinds -----------------------------------------------------------------------------


def test_pdf_png_and_jpeg_by_their_signatures(sample) -> None:
    assert kind_of(sample("a.pdf", pdf_bytes())) is FileKind.PDF
    assert kind_of(sample("a.png", png_bytes())) is FileKind.PNG
    assert kind_of(sample("a.jpg", jpeg_bytes())) is FileKind.JPEG


def test_office_files_by_their_parts(tmp_path: Path) -> None:
    assert kind_of(write_docx(tmp_path / "a.docx")) is FileKind.DOCX
    xlsx = write_ooxml(tmp_path / "a.xlsx", "xl/workbook.xml", XLSX_TYPE)
    assert kind_of(xlsx) is FileKind.XLSX
    pptx = write_ooxml(tmp_path / "a.pptx", "ppt/presentation.xml", PPTX_TYPE)
    assert kind_of(pptx) is FileKind.PPTX
    odt = write_odf(tmp_path / "a.odt", "application/vnd.oasis.opendocument.text")
    assert kind_of(odt) is FileKind.ODT
    ods = write_odf(tmp_path / "a.ods", "application/vnd.oasis.opendocument.spreadsheet")
    assert kind_of(ods) is FileKind.ODS


def test_the_name_does_not_decide_the_kind(tmp_path: Path, sample) -> None:
    assert kind_of(sample("bericht.docx", pdf_bytes())) is FileKind.PDF
    assert kind_of(write_docx(tmp_path / "bericht.pdf")) is FileKind.DOCX
    assert kind_of(sample("foto", png_bytes()), "foto.exe") is FileKind.PNG


def test_utf8_csv_with_bom_and_umlauts(sample) -> None:
    text = "\ufeffName;Bezirk;Größe\nJugendamt;Neukölln;120\n".encode()
    assert kind_of(sample("liste.csv", text)) is FileKind.CSV


def test_windows_1252_csv_from_excel_is_accepted(sample) -> None:
    text = "Straße;Größe;Maßnahme – Stand\r\nMüllerstraße;12;Fortbildung\r\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        text.decode("utf-8")
    assert kind_of(sample("export.csv", text)) is FileKind.CSV


def test_txt_or_csv_by_the_name_only(sample) -> None:
    path = sample("upload", b"a;b\n1;2\n")
    assert kind_of(path, "Liste.CSV") is FileKind.CSV
    assert kind_of(path, "..\\..\\liste.csv") is FileKind.CSV
    assert kind_of(path, "liste.csv.txt") is FileKind.TXT
    assert kind_of(path, "liste") is FileKind.TXT


def test_text_starting_with_mz_is_text(sample) -> None:
    assert kind_of(sample("notiz.txt", b"MZ-Protokoll vom 3. Juni\n")) is FileKind.TXT


def test_utf8_across_the_read_boundary(sample) -> None:
    # "ā" is C4 81; 0x81 is not Windows-1252, so only UTF-8 decoded across the 64 KiB
    # boundary accepts this file.
    text = b"a" * (64 * 1024 - 1) + "ā".encode()
    assert kind_of(sample("lang.txt", text)) is FileKind.TXT


# --- refused by format ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x90" * 200, id="elf"),
        pytest.param(
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(50) + b"PE\x00\x00" + bytes(200),
            id="pe",
        ),
        pytest.param(b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(100), id="mach-o"),
        pytest.param(b"#!/bin/sh\nrm -rf /\n", id="shebang"),
        pytest.param(b"\xef\xbb\xbf#!/usr/bin/env python3\nprint()\n", id="shebang-after-bom"),
        pytest.param(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", id="gif"),
        pytest.param(b"Name;Wert\n\x00\x00\x00", id="nul-bytes"),
        pytest.param(b"Name\x1b[31m;Wert\n", id="escape-sequence"),
        pytest.param(random.Random(10).randbytes(4096), id="random-bytes"),
    ],
)
def test_programs_and_unknown_formats_get_the_generic_message(sample, data: bytes) -> None:
    error = refusal(sample("rechnung.pdf", data))
    assert error.reason is RefusalReason.FORMAT
    message = str(error)
    assert message.startswith("Diese Datei hat ein Format, das caseflow nicht annimmt.")
    for allowed in ("PDF", "Word (DOCX)", "Excel (XLSX)", "PowerPoint (PPTX)", "ODT, ODS"):
        assert allowed in message
    assert "PNG, JPEG, Text und CSV" in message


def test_pdf_must_start_with_its_header(sample) -> None:
    error = refusal(sample("x.pdf", b"<html><body>" + pdf_bytes()))
    assert error.reason is RefusalReason.MARKUP
    error = refusal(sample("y.pdf", b"\x00\x01junk" + pdf_bytes()))
    assert error.reason is RefusalReason.FORMAT


def test_png_signature_without_its_header_chunk_is_refused(sample) -> None:
    error = refusal(sample("x.png", b"\x89PNG\r\n\x1a\n" + bytes(40)))
    assert error.reason is RefusalReason.FORMAT


def test_empty_file(sample) -> None:
    error = refusal(sample("leer.pdf", b""))
    assert error.reason is RefusalReason.EMPTY
    assert "leer" in str(error)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("seite.pdf", b"<!DOCTYPE html>\n<html><script>alert(1)</script></html>"),
        ("seite.txt", b"\xef\xbb\xbf  \r\n\t<HTML lang=de><body>Hallo</body></HTML>"),
        ("notiz.txt", b"<script>fetch('/admin')</script>"),
        ("liste.csv", b"<!-- Kommentar -->a;b\n"),
        ("bild.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("bild.png", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("seite.txt", b"<iframe src=https://example.org>"),
        ("brief.txt", b"{\\rtf1\\ansi Sehr geehrte Damen und Herren}"),
        ("weit.txt", b" " * 70_000 + b"<html>"),
    ],
)
def test_markup_posing_as_text_or_pdf_or_image_is_refused(sample, name: str, data: bytes) -> None:
    error = refusal(sample(name, data))
    assert error.reason is RefusalReason.MARKUP
    assert "HTML" in str(error)
    assert "Erlaubt sind PDF" in str(error)


def test_text_with_angle_brackets_later_is_text(sample) -> None:
    text = b"Bitte <Name> eintragen.\n<html> steht hier nur als Beispiel.\n"
    assert kind_of(sample("hinweis.txt", text)) is FileKind.TXT
    assert kind_of(sample("tabelle.csv", b"<Name>;<Bezirk>\n")) is FileKind.CSV


def test_text_in_neither_utf8_nor_windows_1252(sample) -> None:
    error = refusal(sample("x.txt", b"Gr\xf6\x81e\n"))
    assert error.reason is RefusalReason.TEXT_ENCODING
    assert "UTF-8" in str(error)


def test_utf16_text_asks_for_utf8(sample) -> None:
    error = refusal(sample("export.txt", "Name\tBezirk\n".encode("utf-16")))
    assert error.reason is RefusalReason.TEXT_ENCODING


def test_old_or_password_protected_office_file(sample) -> None:
    error = refusal(sample("alt.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)))
    assert error.reason is RefusalReason.LEGACY_OFFICE
    assert "Passwort" in str(error)


# --- archives ---------------------------------------------------------------------------------


def test_docm_with_vba_project_is_refused(tmp_path: Path) -> None:
    path = write_ooxml(
        tmp_path / "vorlage.docx",
        "word/document.xml",
        DOCM_TYPE,
        extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(60)},
        extra_types=("word/vbaProject.bin|application/vnd.ms-office.vbaProject",),
    )
    error = refusal(path)
    assert error.reason is RefusalReason.MACROS
    assert "Makros" in str(error)


def test_macro_content_type_alone_is_refused(tmp_path: Path) -> None:
    xlsm = write_ooxml(
        tmp_path / "tabelle.xlsx",
        "xl/workbook.xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert refusal(xlsm).reason is RefusalReason.MACROS


def test_vba_project_alone_is_refused(tmp_path: Path) -> None:
    pptm = write_ooxml(
        tmp_path / "folien.pptx",
        "ppt/presentation.xml",
        PPTX_TYPE,
        extra={"ppt/vbaProject.bin": bytes(64)},
    )
    assert refusal(pptm).reason is RefusalReason.MACROS


def test_odf_with_basic_macros_is_refused(tmp_path: Path) -> None:
    path = write_odf(
        tmp_path / "text.odt",
        "application/vnd.oasis.opendocument.text",
        extra={"Basic/Standard/Module1.xml": b"<script:module/>"},
    )
    assert refusal(path).reason is RefusalReason.MACROS


def test_zip_bomb_disguised_as_docx(tmp_path: Path) -> None:
    path = tmp_path / "bericht.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", content_types("word/document.xml", DOCX_TYPE))
        with archive.open("word/document.xml", "w") as member:
            zeros = bytes(MIB)
            for _ in range(300):
                member.write(zeros)
    assert path.stat().st_size < 2 * MIB
    error = refusal(path)
    assert error.reason is RefusalReason.UNPACKS_TOO_LARGE
    assert "beim Entpacken zu viele Daten" in str(error)
    assert "100 MB" in str(error)


def test_one_member_packed_too_tightly(tmp_path: Path) -> None:
    # 12 MiB of zeros in about 12 KiB: far under the 100 MiB limit, but a ratio of ~1000:1.
    path = write_docx(tmp_path / "bericht.docx", extra={"word/media/image1.bin": bytes(12 * MIB)})
    assert refusal(path).reason is RefusalReason.UNPACKS_TOO_LARGE


def test_a_lower_unpacked_limit_refuses_a_normal_file(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "bericht.docx", extra={"word/media/a.bin": b"x" * 5000})
    with pytest.raises(ContentRefused) as caught:
        sniff(path, file_name="bericht.docx", max_unpacked_bytes=4000)
    assert caught.value.reason is RefusalReason.UNPACKS_TOO_LARGE
    assert sniff(path, file_name="bericht.docx", max_unpacked_bytes=LIMIT) is FileKind.DOCX


def _many_members(path: Path) -> Path:
    write_docx(path, extra={f"word/x{number}.xml": b"" for number in range(MAX_MEMBERS)})
    return path


def _zipfile_must_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # zipfile builds an object per member; too many members are refused before it reads.
    def refuse(*args, **kwargs):
        raise AssertionError("zipfile read the central directory")

    monkeypatch.setattr(zipfile, "ZipFile", refuse)


def test_too_many_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _many_members(tmp_path / "viele.docx")
    _zipfile_must_not_read(monkeypatch)
    assert refusal(path).reason is RefusalReason.UNPACKS_TOO_LARGE


def test_too_many_members_behind_an_understated_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _many_members(tmp_path / "viele.docx")
    data = bytearray(path.read_bytes())
    # The end record's member counts (this disk, total) sit 8 and 10 bytes into it.
    assert data[-22:-18] == b"PK\x05\x06"
    data[-14:-10] = struct.pack("<HH", 5, 5)
    path.write_bytes(bytes(data))
    _zipfile_must_not_read(monkeypatch)
    assert refusal(path).reason is RefusalReason.UNPACKS_TOO_LARGE


def test_encrypted_member(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "geheim.docx")
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + 8] |= 0x01  # general purpose flags of the central directory entry
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    error = refusal(path)
    assert error.reason is RefusalReason.ENCRYPTED
    assert "Passwort" in str(error)


def test_damaged_archives(tmp_path: Path, sample) -> None:
    assert refusal(sample("kaputt.docx", b"PK\x03\x04" + bytes(300))).reason is (
        RefusalReason.DAMAGED
    )
    whole = write_docx(tmp_path / "ganz.docx").read_bytes()
    truncated = sample("halb.docx", whole[: len(whole) // 2])
    assert refusal(truncated).reason is RefusalReason.DAMAGED


def test_other_archives_are_refused(tmp_path: Path) -> None:
    odp = write_odf(tmp_path / "folien.odt", "application/vnd.oasis.opendocument.presentation")
    assert refusal(odp).reason is RefusalReason.FORMAT
    plain = tmp_path / "sammlung.docx"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")  # no [Content_Types].xml
    assert refusal(plain).reason is RefusalReason.FORMAT
    both = write_docx(tmp_path / "zwei.docx", extra={"xl/workbook.xml": b"<w/>"})
    assert refusal(both).reason is RefusalReason.FORMAT


def test_two_members_of_one_name(tmp_path: Path) -> None:
    path = tmp_path / "doppelt.docx"
    with pytest.warns(UserWarning, match="Duplicate name"):
        write_docx(path, extra={"word/document.xml": b"<anderer/>"})
    assert refusal(path).reason is RefusalReason.DAMAGED


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    changes=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=6),
    cut=st.none() | st.integers(min_value=1),
)
def test_a_damaged_office_file_never_escapes_as_another_error(
    tmp_path: Path, changes: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(write_docx(tmp_path / "vorlage.docx").read_bytes())
    for position, value in changes:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data) + 1]
    path = tmp_path / "zufall.docx"
    path.write_bytes(bytes(data))
    try:
        kind = sniff(path, file_name="zufall.docx", max_unpacked_bytes=LIMIT)
    except ContentRefused as error:
        assert str(error)
    else:
        assert isinstance(kind, FileKind)


# --- the kinds ----------------------------------------------------------------------------------


def test_kinds_know_their_type_extension_and_whether_they_show_inline() -> None:
    assert FileKind.PDF.content_type == "application/pdf"
    assert FileKind.DOCX.content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert FileKind.ODS.content_type == "application/vnd.oasis.opendocument.spreadsheet"
    assert FileKind.CSV.content_type == "text/csv"
    assert FileKind.JPEG.extension == ".jpg"
    assert FileKind.XLSX.extension == ".xlsx"
    assert {kind for kind in FileKind if kind.inline} == {
        FileKind.PDF,
        FileKind.PNG,
        FileKind.JPEG,
    }
    assert FileKind.ODT.label == "OpenDocument-Text (ODT)"
    assert all(kind.label and kind.content_type for kind in FileKind)
