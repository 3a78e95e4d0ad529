"""What an uploaded file is, decided by its content (issue 10), never by its name.

``sniff`` reads the file from disk in bounded pieces and returns its ``FileKind`` or raises
``ContentRefused`` with a German message for the person who uploaded it. Decisions:

- PDF must start with ``%PDF-`` at byte 0. Readers tolerate up to 1024 bytes before it, but
  every PDF writer puts it first, and bytes in front of it are how HTML/PDF polyglots work.
- PNG needs its signature and the IHDR chunk right after it; JPEG starts with ``FF D8 FF``.
- Office files are ZIP archives. The central directory is checked before anything is
  unpacked (member count, declared sizes, compression ratios), so a plain zip bomb is refused
  without inflating it. Then every member is inflated as a stream, its output counted and
  thrown away: a member that really unpacks to more than its directory entry declares, or
  whose data is corrupt (bad CRC, cut off, a compression other than stored or deflate), or
  whose local header or data disagrees with the directory, is refused as damaged. The
  declared sizes add up to at most ``max_unpacked_bytes``, so that bounds the work;
  inflation stops at the first byte past a limit.
  DOCM/XLSM/PPTM (``vbaProject.bin``, Excel 4 macro sheets, macro content types) and ODF
  with ``Basic/`` or ``Scripts/`` are refused: caseflow does not pass on macros.
- Text (TXT, CSV) is UTF-8, with or without BOM, or Windows-1252 when it is not valid UTF-8:
  German Excel saves "CSV (Trennzeichen-getrennt)" as Windows-1252. Either way no NUL and no
  C0 control character other than tab, LF, FF and CR (and no DEL): such a file is binary,
  and binary files of unknown formats get the generic refusal. UTF-16 (Excel's
  "Unicode-Text") gets a message asking for UTF-8. Text that starts, after a BOM and
  whitespace, like HTML, SVG, XML, RTF or a script is refused, as is a shebang.
- TXT or CSV is the one thing the name decides (``.csv`` → CSV): the content is the same kind.
  Otherwise the content decides and the name follows it (``names.clean_file_name`` gives the
  download name the kind's extension), so a mismatching name is no reason to refuse.

Not checked here: scripts inside PDFs, embedded OLE objects in Office files, image bodies.
The download must send ``content_type`` with ``X-Content-Type-Options: nosniff`` and show
inline only kinds whose ``inline`` is true.
"""

from __future__ import annotations

import codecs
import enum
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

_MIB = 1024 * 1024
_HEAD_BYTES = 1024
_CHUNK_BYTES = 64 * 1024

# A zip archive with more members than this is refused (Office files have a few dozen to a
# few thousand), as is a member that unpacks to more than _RATIO_FLOOR bytes at a ratio
# above _MAX_RATIO (deflate reaches about 1000:1 only on runs of one byte).
MAX_MEMBERS = 10_000
_MAX_RATIO = 200
_RATIO_FLOOR = 10 * _MIB
# The central directory is at most this long: 1 KiB per member is far more than a real
# member's 46 bytes plus its name and extra fields.
_MAX_DIRECTORY_BYTES = MAX_MEMBERS * 1024
# [Content_Types].xml lists each part once; 10 000 parts fit in a few MiB.
_MAX_CONTENT_TYPES_BYTES = 4 * _MIB
_MAX_MIMETYPE_BYTES = 256


class FileKind(enum.StrEnum):
    """The kinds of file caseflow accepts."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    ODT = "odt"
    ODS = "ods"
    PNG = "png"
    JPEG = "jpeg"
    TXT = "txt"
    CSV = "csv"

    @property
    def content_type(self) -> str:
        """The canonical MIME type, sent with every download."""
        return _CONTENT_TYPES[self]

    @property
    def extension(self) -> str:
        """The usual extension, with its dot (``.pdf``, ``.jpg``)."""
        return ".jpg" if self is FileKind.JPEG else f".{self.value}"

    @property
    def inline(self) -> bool:
        """Whether a browser may show it in the page instead of downloading it."""
        return self in (FileKind.PDF, FileKind.PNG, FileKind.JPEG)

    @property
    def label(self) -> str:
        """The German name shown next to a document."""
        return str(_LABELS[self])


_CONTENT_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    FileKind.ODT: "application/vnd.oasis.opendocument.text",
    FileKind.ODS: "application/vnd.oasis.opendocument.spreadsheet",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
    FileKind.TXT: "text/plain",
    FileKind.CSV: "text/csv",
}

_LABELS = {
    FileKind.PDF: _l("PDF-Dokument"),
    FileKind.DOCX: _l("Word-Dokument (DOCX)"),
    FileKind.XLSX: _l("Excel-Tabelle (XLSX)"),
    FileKind.PPTX: _l("PowerPoint-Präsentation (PPTX)"),
    FileKind.ODT: _l("OpenDocument-Text (ODT)"),
    FileKind.ODS: _l("OpenDocument-Tabelle (ODS)"),
    FileKind.PNG: _l("PNG-Bild"),
    FileKind.JPEG: _l("JPEG-Bild"),
    FileKind.TXT: _l("Textdatei"),
    FileKind.CSV: _l("CSV-Tabelle"),
}


class RefusalReason(enum.StrEnum):
    """Why a file was refused, for logs and tests; the user reads the message."""

    FORMAT = "format"
    EMPTY = "empty"
    UNPACKS_TOO_LARGE = "unpacks_too_large"
    MACROS = "macros"
    DAMAGED = "damaged"
    ENCRYPTED = "encrypted"
    LEGACY_OFFICE = "legacy_office"
    TEXT_ENCODING = "text_encoding"
    MARKUP = "markup"


class ContentRefused(ValueError):
    """A file caseflow does not accept; ``str()`` is the German message for the uploader."""

    def __init__(self, reason: RefusalReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _allowed() -> str:
    return _(
        "PDF, Word (DOCX), Excel (XLSX), PowerPoint (PPTX), OpenDocument-Text und -Tabelle "
        "(ODT, ODS), PNG, JPEG, Text und CSV"
    )


def _refused_format() -> ContentRefused:
    return ContentRefused(
        RefusalReason.FORMAT,
        _(
            "Diese Datei hat ein Format, das caseflow nicht annimmt. Erlaubt sind %(allowed)s.",
            allowed=_allowed(),
        ),
    )


def _refused_damaged() -> ContentRefused:
    return ContentRefused(
        RefusalReason.DAMAGED,
        _(
            "Diese Datei ist beschädigt und kann nicht geprüft werden. Bitte speichern Sie "
            "sie neu und laden Sie sie erneut hoch."
        ),
    )


def _refused_unpacks_too_large(max_unpacked_bytes: int) -> ContentRefused:
    return ContentRefused(
        RefusalReason.UNPACKS_TOO_LARGE,
        _(
            "Diese Datei wird nicht angenommen, weil sie beim Entpacken zu viele Daten ergäbe "
            "(mehr als %(limit)s MB, ungewöhnlich viele Teile oder extrem stark gepackt). "
            "Office-Dateien sind gepackte Archive; bitte prüfen Sie die Datei.",
            limit=max(1, max_unpacked_bytes // _MIB),
        ),
    )


def _refused_macros() -> ContentRefused:
    return ContentRefused(
        RefusalReason.MACROS,
        _(
            "Dateien mit Makros nimmt caseflow nicht an. Bitte speichern Sie die Datei ohne "
            "Makros (zum Beispiel als DOCX, XLSX oder PPTX statt DOCM, XLSM oder PPTM) und "
            "laden Sie sie erneut hoch."
        ),
    )


def _refused_text_encoding() -> ContentRefused:
    return ContentRefused(
        RefusalReason.TEXT_ENCODING,
        _(
            "Diese Textdatei ist weder in UTF-8 noch in Windows-1252 (ANSI) gespeichert. "
            "Bitte speichern Sie sie als UTF-8 und laden Sie sie erneut hoch."
        ),
    )


def sniff(path: Path, *, file_name: str, max_unpacked_bytes: int) -> FileKind:
    """The kind of the file at ``path``, decided by its content.

    ``file_name`` (as uploaded) only tells TXT from CSV. ``max_unpacked_bytes`` caps what
    the members of an Office file may add up to once unpacked. Reads the file in pieces of
    at most 64 KiB (a zip's central directory and its content-type list at once, bounded);
    the members of an Office file are inflated in pieces of at most 64 KiB too.

    Raises ``ContentRefused`` for an empty file and for anything that is not one of the
    kinds, with a message naming the reason (see the module).
    """
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES)
    if not head:
        raise ContentRefused(
            RefusalReason.EMPTY,
            _("Die Datei ist leer (0 Byte). Bitte wählen Sie die richtige Datei aus."),
        )
    if head.startswith(b"%PDF-"):
        return FileKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return FileKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith(b"PK\x03\x04"):
        return _sniff_archive(path, max_unpacked_bytes)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # The OLE container of DOC, XLS and PPT, and of password-protected DOCX/XLSX/PPTX.
        raise ContentRefused(
            RefusalReason.LEGACY_OFFICE,
            _(
                "Diese Datei ist im älteren Office-Format (DOC, XLS, PPT) gespeichert oder "
                "mit einem Passwort geschützt. Bitte speichern Sie sie ohne Passwort als "
                "DOCX, XLSX oder PPTX und laden Sie sie erneut hoch."
            ),
        )
    if _is_executable(head):
        raise _refused_format()
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refused_text_encoding()
    return _sniff_text(path, file_name)


# ELF, Mach-O (32/64 bit, both byte orders) and universal binaries (also Java classes).
_EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


def _is_executable(head: bytes) -> bool:
    """Whether ``head`` starts a program: a binary or a script with a shebang line.

    ``MZ`` (DOS/Windows) counts only with a NUL in its 64-byte header, which every such
    program has, so a text that happens to start with "MZ" is still text.
    """
    if head.startswith(_EXECUTABLE_MAGIC):
        return True
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        return True
    return head.removeprefix(codecs.BOM_UTF8).startswith(b"#!")


# --- Office files (ZIP) ---------------------------------------------------------------------

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_MEMBER_SIGNATURE = b"PK\x01\x02"
_ENCRYPTED_FLAGS = 0x0001 | 0x0040
# Local file header: signature, version, flags, method, time, date, CRC, compressed and
# uncompressed size, name length, extra field length; the name and extra field follow.
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_DATA_DESCRIPTOR_FLAG = 0x0008  # CRC and sizes follow the data; the local header has zeros.
_PATCHED_FLAG = 0x0020
_UTF8_FLAG = 0x0800
_ZIP64_MARKER = 0xFFFFFFFF  # a local size that is in the ZIP64 extra field instead

_OOXML_MAIN_PARTS = {
    "word/document.xml": FileKind.DOCX,
    "xl/workbook.xml": FileKind.XLSX,
    "ppt/presentation.xml": FileKind.PPTX,
}
_ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": FileKind.ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": FileKind.ODS,
}
# Lower-case markers of macros in [Content_Types].xml: "...document.macroEnabled.main+xml",
# "application/vnd.ms-office.vbaProject", Excel 4 "...ms-excel.macrosheet+xml".
_MACRO_CONTENT_TYPES = (b"macroenabled", b"vbaproject", b"macrosheet")

# What zipfile raises on a broken archive (bad offsets, truncated records, bad CRC, unknown
# compression, undecodable names).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    zlib.error,
)


def _sniff_archive(path: Path, max_unpacked_bytes: int) -> FileKind:
    """DOCX, XLSX, PPTX, ODT or ODS; any other archive is refused."""
    directory_start = _check_directory(path, max_unpacked_bytes)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_members(members, max_unpacked_bytes)
            by_name = {info.filename.lower(): info for info in members}
            if len(by_name) != len(members):
                # Two members of one name: readers disagree on which one counts.
                raise _refused_damaged()
            if members[0].filename == "mimetype":
                kind = _odf_kind(archive, members[0], by_name)
            else:
                kind = _ooxml_kind(archive, by_name)
        _check_unpacked(path, members, directory_start, max_unpacked_bytes)
        return kind
    except ContentRefused:
        raise
    except _ARCHIVE_ERRORS as error:
        raise _refused_damaged() from error


def _check_directory(path: Path, max_unpacked_bytes: int) -> int:
    """Refuse an archive whose central directory lists too many members, counted in its
    raw bytes before zipfile reads it: zipfile makes an object of every member, and a 17 MB
    archive of 200 000 empty members took it 110 MB and seconds.

    Finds the directory where zipfile looks: just before the end record (or the ZIP64 end
    record and locator in front of it). Returns where it starts in the file, where the
    members' data must end.
    """
    with path.open("rb") as file:
        size = file.seek(0, 2)
        tail_start = max(0, size - _EOCD.size - 0xFFFF)
        file.seek(tail_start)
        tail = file.read()
        end_at = tail.rfind(_EOCD_SIGNATURE)
        if end_at < 0 or end_at + _EOCD.size > len(tail):
            raise _refused_damaged()
        _, _, _, _, count, directory_size, _, _ = _EOCD.unpack_from(tail, end_at)
        directory_end = end_at
        locator_at = end_at - _ZIP64_LOCATOR.size
        record_at = locator_at - _ZIP64_EOCD.size
        if (
            record_at >= 0
            and tail.startswith(_ZIP64_LOCATOR_SIGNATURE, locator_at)
            and tail.startswith(_ZIP64_EOCD_SIGNATURE, record_at)
        ):
            record = _ZIP64_EOCD.unpack_from(tail, record_at)
            count, directory_size, directory_end = record[7], record[8], record_at
        if count > MAX_MEMBERS or directory_size > _MAX_DIRECTORY_BYTES:
            raise _refused_unpacks_too_large(max_unpacked_bytes)
        directory_start = tail_start + directory_end - directory_size
        if directory_start < 0:
            raise _refused_damaged()
        file.seek(directory_start)
        directory = file.read(directory_size)
    # At least as many signatures as members (a name may hold one too): an upper bound.
    if directory.count(_MEMBER_SIGNATURE) > MAX_MEMBERS:
        raise _refused_unpacks_too_large(max_unpacked_bytes)
    return directory_start


def _check_members(members: list[zipfile.ZipInfo], max_unpacked_bytes: int) -> None:
    """Refuse a zip bomb by what the directory declares, and encrypted members."""
    if not members:
        raise _refused_format()
    if len(members) > MAX_MEMBERS:
        raise _refused_unpacks_too_large(max_unpacked_bytes)
    if sum(info.file_size for info in members) > max_unpacked_bytes:
        raise _refused_unpacks_too_large(max_unpacked_bytes)
    for info in members:
        if info.file_size > _RATIO_FLOOR and info.file_size > _MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise _refused_unpacks_too_large(max_unpacked_bytes)
    if any(info.flag_bits & _ENCRYPTED_FLAGS for info in members):
        raise ContentRefused(
            RefusalReason.ENCRYPTED,
            _(
                "Diese Datei ist verschlüsselt und kann nicht geprüft werden. Bitte speichern "
                "Sie sie ohne Passwort und laden Sie sie erneut hoch."
            ),
        )


def _check_unpacked(
    path: Path, members: list[zipfile.ZipInfo], directory_start: int, max_unpacked_bytes: int
) -> None:
    """Refuse an archive whose members' data does not match what the directory declares.

    The directory's sizes are only claims: a member declared as 1000 bytes may inflate to
    400 MB, and zipfile's own reader stops at the declared size without noticing (the CRC
    can be that of the first 1000 bytes). So each member's local header is read for where
    its data starts, the members' data must not overlap each other or the directory (as in
    a bomb of overlapping members), and then each member is inflated as a stream, stopping
    at the first byte past its declared size or past ``max_unpacked_bytes`` in all.
    """
    with path.open("rb") as file:
        spans = [(_data_start(file, info, directory_start), info) for info in members]
        spans.sort(key=lambda span: span[1].header_offset)
        end = 0
        for data_start, info in spans:
            if info.header_offset < end:
                raise _refused_damaged()
            end = data_start + info.compress_size
        if end > directory_start:
            raise _refused_damaged()
        unpacked = 0
        for data_start, info in spans:
            unpacked += _unpack(file, info, data_start, unpacked, max_unpacked_bytes)


def _data_start(file: BinaryIO, info: zipfile.ZipInfo, directory_start: int) -> int:
    """Where the data of ``info`` starts, by its local header, which must agree with the
    directory on name, compression, encryption and (unless they follow the data) CRC and
    sizes. Name and extra field lengths are the local header's own: they may differ from
    the directory's, and readers that walk the local headers use these.
    """
    if not 0 <= info.header_offset < directory_start:
        raise _refused_damaged()
    file.seek(info.header_offset)
    header = file.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise _refused_damaged()
    (
        signature,
        _version,
        flags,
        method,
        _time,
        _date,
        crc,
        compress_size,
        file_size,
        name_length,
        extra_length,
    ) = _LOCAL_HEADER.unpack(header)
    name = file.read(name_length)
    if (
        signature != _LOCAL_SIGNATURE
        or len(name) != name_length
        or name.decode("utf-8" if flags & _UTF8_FLAG else "cp437") != info.orig_filename
        or method != info.compress_type
        or method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        or (flags | info.flag_bits) & (_ENCRYPTED_FLAGS | _PATCHED_FLAG)
    ):
        raise _refused_damaged()
    # ZIP64 puts both sizes in an extra field and 0xFFFFFFFF here; the directory's are the
    # ones checked against the data below.
    if not flags & _DATA_DESCRIPTOR_FLAG and (
        crc != info.CRC
        or compress_size not in (info.compress_size, _ZIP64_MARKER)
        or file_size not in (info.file_size, _ZIP64_MARKER)
    ):
        raise _refused_damaged()
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


def _unpack(
    file: BinaryIO,
    info: zipfile.ZipInfo,
    data_start: int,
    unpacked: int,
    max_unpacked_bytes: int,
) -> int:
    """How many bytes the member really unpacks to, inflated from its ``compress_size``
    bytes at ``data_start`` in pieces of at most 64 KiB and thrown away.

    Refused as too large once it and the ``unpacked`` bytes of the members before it pass
    ``max_unpacked_bytes``; as damaged past its declared size, when its deflate stream is
    corrupt or does not end within its data, or when size or CRC differ from the
    directory's. A stored member is checked the same way.
    """
    room = max_unpacked_bytes - unpacked
    cap = min(info.file_size, room)

    def count(size: int) -> None:
        if size > room:
            raise _refused_unpacks_too_large(max_unpacked_bytes)
        if size > cap:
            raise _refused_damaged()

    left = info.compress_size
    size = crc = 0
    file.seek(data_start)
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise _refused_damaged()
        while left:
            data = file.read(min(_CHUNK_BYTES, left))
            if not data:
                raise _refused_damaged()
            left -= len(data)
            size += len(data)
            count(size)
            crc = zlib.crc32(data, crc)
    elif info.compress_size or info.file_size:  # some writers store no data for an empty one
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data and left:
                data = file.read(min(_CHUNK_BYTES, left))
                if not data:
                    raise _refused_damaged()
                left -= len(data)
            # At most one byte past the cap: enough to know it is passed.
            output = inflater.decompress(data, min(_CHUNK_BYTES, cap + 1 - size))
            if not (data or output or inflater.eof):
                raise _refused_damaged()  # the stream does not end within the member
            size += len(output)
            count(size)
            crc = zlib.crc32(output, crc)
    if size != info.file_size or crc != info.CRC:
        raise _refused_damaged()
    return size


def _odf_kind(
    archive: zipfile.ZipFile, mimetype: zipfile.ZipInfo, by_name: dict[str, zipfile.ZipInfo]
) -> FileKind:
    """ODT or ODS by the ``mimetype`` member, which ODF puts first."""
    if mimetype.file_size > _MAX_MIMETYPE_BYTES:
        raise _refused_format()
    with archive.open(mimetype) as member:
        declared = member.read(_MAX_MIMETYPE_BYTES + 1)
    kind = _ODF_MIMETYPES.get(declared.strip())
    if kind is None:
        raise _refused_format()
    # LibreOffice keeps Basic macros in Basic/, other script languages in Scripts/.
    if any(name.startswith(("basic/", "scripts/")) for name in by_name):
        raise _refused_macros()
    return kind


def _ooxml_kind(archive: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo]) -> FileKind:
    """DOCX, XLSX or PPTX by ``[Content_Types].xml`` and exactly one main part."""
    content_types = by_name.get("[content_types].xml")
    kinds = [kind for part, kind in _OOXML_MAIN_PARTS.items() if part in by_name]
    if content_types is None or len(kinds) != 1:
        raise _refused_format()
    if any(
        name.endswith("vbaproject.bin") or name.startswith("xl/macrosheets/") for name in by_name
    ):
        raise _refused_macros()
    if content_types.file_size > _MAX_CONTENT_TYPES_BYTES:
        raise _refused_damaged()
    with archive.open(content_types) as member:
        listed = member.read(_MAX_CONTENT_TYPES_BYTES + 1).lower()
    if len(listed) > _MAX_CONTENT_TYPES_BYTES:
        raise _refused_damaged()
    if any(marker in listed for marker in _MACRO_CONTENT_TYPES):
        raise _refused_macros()
    return kinds[0]


# --- Text -------------------------------------------------------------------------------------

_BINARY_BYTES = re.compile(b"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CP1252_UNDEFINED = re.compile(b"[\x81\x8d\x8f\x90\x9d]")
_WHITESPACE = b" \t\n\r\x0c"
# What a browser takes for HTML (WHATWG MIME Sniffing, "rules for identifying an unknown
# MIME type"), plus SVG and a few tags that run code; each followed by space, ">" or "/".
_MARKUP_TAGS = (
    b"html",
    b"head",
    b"body",
    b"script",
    b"iframe",
    b"svg",
    b"style",
    b"title",
    b"object",
    b"embed",
    b"img",
    b"meta",
    b"link",
    b"form",
    b"math",
    b"table",
    b"div",
    b"font",
    b"h1",
    b"a",
    b"b",
    b"p",
    b"br",
)
_MARKUP_START = re.compile(
    rb"<(?:!doctype|!--|\?|(?:" + b"|".join(_MARKUP_TAGS) + rb")(?:[\s>/]|\Z))|\{\\rtf",
    re.IGNORECASE,
)
_START_BYTES = 32


def _sniff_text(path: Path, file_name: str) -> FileKind:
    """TXT or CSV, if the file is text as the module describes."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = is_cp1252 = True
    start = b""
    with path.open("rb") as file:
        chunk = file.read(_CHUNK_BYTES).removeprefix(codecs.BOM_UTF8)
        while chunk:
            if _BINARY_BYTES.search(chunk):
                raise _refused_format()
            is_cp1252 = is_cp1252 and not _CP1252_UNDEFINED.search(chunk)
            is_utf8 = is_utf8 and _decodes(utf8, chunk)
            if len(start) < _START_BYTES:
                start = (start + chunk).lstrip(_WHITESPACE)[:_START_BYTES]
                if len(start) == _START_BYTES:
                    _check_start(start)
            chunk = file.read(_CHUNK_BYTES)
    _check_start(start)
    is_utf8 = is_utf8 and _decodes(utf8, b"", final=True)
    if not (is_utf8 or is_cp1252):
        raise _refused_text_encoding()
    return FileKind.CSV if _has_csv_extension(file_name) else FileKind.TXT


def _decodes(decoder: codecs.IncrementalDecoder, data: bytes, *, final: bool = False) -> bool:
    try:
        decoder.decode(data, final)
    except UnicodeDecodeError:
        return False
    return True


def _check_start(start: bytes) -> None:
    """Refuse text that a browser or an editor would take for markup or a document."""
    if _MARKUP_START.match(start):
        raise ContentRefused(
            RefusalReason.MARKUP,
            _(
                "Diese Datei sieht aus wie eine Webseite (HTML), eine SVG- oder XML-Datei "
                "oder ein formatiertes Dokument (RTF). Solche Dateien nimmt caseflow nicht an. "
                "Erlaubt sind %(allowed)s.",
                allowed=_allowed(),
            ),
        )


def _has_csv_extension(file_name: str) -> bool:
    last = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    return last.strip().rstrip(". ").lower().endswith(".csv")
