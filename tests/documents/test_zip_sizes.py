"""An Office file's members must really unpack to what its zip directory declares.

The central directory's sizes are claims. Each hostile archive here starts as a real file
written with zipfile; then its size fields are patched with struct, the way an attacker
would, so that they claim little while the data inflates to a lot.
"""

from __future__ import annotations

import io
import random
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseflow.documents import content
from caseflow.documents.content import ContentRefused, FileKind, RefusalReason, sniff
from tests.documents.test_content import (
    DOCX_TYPE,
    PPTX_TYPE,
    RELS,
    XLSX_TYPE,
    content_types,
    write_odf,
    write_ooxml,
)

MIB = 1024 * 1024
LIMIT = 100 * MIB
DOCUMENT = "word/document.xml"
PARAGRAPH = b"<w:p><w:r><w:t>Sehr geehrte Damen und Herren,</w:t></w:r></w:p>"

# Where the CRC, compressed and uncompressed size sit in a central directory entry and in a
# local file header, and where the compression method sits in each.
CENTRAL = {"method": 10, "crc": 16, "compress_size": 20, "file_size": 24}
LOCAL = {"method": 8, "crc": 14, "compress_size": 18, "file_size": 22}


# --- building and patching archives -------------------------------------------------------


def paragraphs(size: int) -> Iterator[bytes]:
    """``size`` bytes of a Word body, in pieces of about 1 MiB; deflate packs it ~1000:1."""
    piece = PARAGRAPH * (MIB // len(PARAGRAPH))
    while size > 0:
        yield piece[:size]
        size -= len(piece)


def prose(size: int, seed: int = 1) -> bytes:
    """``size`` bytes of text that deflate packs only about 2:1, so that damage shows."""
    words = [b"Antrag", b"Bescheid", b"Frist", b"Akte", b"Bezirk", b"Jugendamt", b"Termin"]
    chooser = random.Random(seed)
    text = b" ".join(
        chooser.choice(words) + str(chooser.randrange(999)).encode() for _ in range(size // 6)
    )
    return text[:size]


class Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek back in, so it writes data descriptors (flag bit 3)."""

    def __init__(self, sink: io.BytesIO) -> None:
        self.sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.sink.write(data)


def write_docx(
    path: Path,
    document: bytes | Iterator[bytes] = PARAGRAPH,
    *,
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    descriptors: bool = False,
    force_zip64: bool = False,
) -> Path:
    """A DOCX whose body is ``document``; with ``descriptors`` written as a stream, as
    LibreOffice and some Office versions do."""
    sink = io.BytesIO()
    target = Unseekable(sink) if descriptors else sink
    with zipfile.ZipFile(target, "w", compression=compression, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", content_types(DOCUMENT, DOCX_TYPE))
        archive.writestr("_rels/.rels", RELS.format(target=DOCUMENT))
        with archive.open(DOCUMENT, "w", force_zip64=force_zip64) as member:
            for piece in [document] if isinstance(document, bytes) else document:
                member.write(piece)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    path.write_bytes(sink.getvalue())
    return path


def entries(data: bytes | bytearray) -> dict[str, tuple[int, int]]:
    """Each member's name → where its central directory entry and its local header are."""
    end = data.rindex(b"PK\x05\x06")
    count, _size, at = struct.unpack_from("<HLL", data, end + 10)
    found = {}
    for _ in range(count):
        assert data[at : at + 4] == b"PK\x01\x02"
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, at + 28)
        (local,) = struct.unpack_from("<L", data, at + 42)
        found[data[at + 46 : at + 46 + name_length].decode()] = (at, local)
        at += 46 + name_length + extra_length + comment_length
    return found


def patch(path: Path, name: str, *, central: bool = True, local: bool = True, **fields) -> None:
    """Set the method (2 bytes), CRC or sizes (4 bytes) of one member in its headers."""
    data = bytearray(path.read_bytes())
    central_at, local_at = entries(data)[name]
    for at, offsets in ((central_at, CENTRAL), (local_at, LOCAL)):
        if (central if offsets is CENTRAL else local) is False:
            continue
        for field, value in fields.items():
            struct.pack_into("<H" if field == "method" else "<L", data, at + offsets[field], value)
    path.write_bytes(bytes(data))


def member_data(path: Path, name: str) -> tuple[int, int]:
    """Where the data of member ``name`` starts, by its local header, and its length."""
    data = path.read_bytes()
    _central_at, local_at = entries(data)[name]
    compress_size, _size, name_length, extra_length = struct.unpack_from(
        "<LLHH", data, local_at + 18
    )
    return local_at + 30 + name_length + extra_length, compress_size


def sniffed(path: Path, max_unpacked_bytes: int = LIMIT) -> FileKind:
    return sniff(path, file_name=path.name, max_unpacked_bytes=max_unpacked_bytes)


def refusal(path: Path, max_unpacked_bytes: int = LIMIT) -> ContentRefused:
    with pytest.raises(ContentRefused) as caught:
        sniffed(path, max_unpacked_bytes)
    return caught.value


def assert_damaged(error: ContentRefused) -> None:
    assert error.reason is RefusalReason.DAMAGED
    assert str(error).startswith("Diese Datei ist beschädigt und kann nicht geprüft werden.")


class CountingInflater:
    """A zlib decompressor that adds what it puts out to ``inflated``."""

    inflated = 0

    def __init__(self, inflater) -> None:
        self._inflater = inflater

    def decompress(self, data, max_length: int = 0) -> bytes:
        output = self._inflater.decompress(data, max_length)
        CountingInflater.inflated += len(output)
        return output

    def __getattr__(self, name: str):
        return getattr(self._inflater, name)


@pytest.fixture
def inflated(monkeypatch: pytest.MonkeyPatch) -> type[CountingInflater]:
    """How many bytes all deflate streams inflated to during the test, zipfile's included."""
    real = zlib.decompressobj
    CountingInflater.inflated = 0
    monkeypatch.setattr(zlib, "decompressobj", lambda *args: CountingInflater(real(*args)))
    return CountingInflater


# --- members that inflate to more than they declare -----------------------------------------


@pytest.mark.parametrize("descriptors", [False, True], ids=["sizes-in-headers", "descriptors"])
def test_member_understating_its_size_is_refused_without_inflating_it(
    tmp_path: Path, descriptors: bool, inflated: type[CountingInflater]
) -> None:
    # 50 MiB of Word body in ~60 KiB, declared (in both headers) as its first 1000 bytes.
    path = write_docx(tmp_path / "bericht.docx", paragraphs(50 * MIB), descriptors=descriptors)
    assert path.stat().st_size < MIB
    prefix = (PARAGRAPH * 20)[:1000]
    patch(path, DOCUMENT, crc=zlib.crc32(prefix), file_size=1000)
    # zipfile's reader stops at the declared size and finds the CRC right: it cannot tell.
    with zipfile.ZipFile(path) as archive:
        assert archive.read(DOCUMENT) == prefix
        assert archive.testzip() is None
    inflated.inflated = 0

    assert_damaged(refusal(path))
    # Inflation stopped at the declared size, not after 50 MiB.
    assert inflated.inflated <= 1001 + 64 * 1024


def test_understated_size_is_refused_whatever_the_limit(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "bericht.docx", paragraphs(50 * MIB))
    patch(path, DOCUMENT, crc=zlib.crc32((PARAGRAPH * 20)[:1000]), file_size=1000)
    assert_damaged(refusal(path, max_unpacked_bytes=MIB))


def test_local_header_understating_the_size_is_refused(tmp_path: Path) -> None:
    # The directory is honest (5 MiB, under the ratio check's floor); a reader that walks the
    # local headers would be told 1000 bytes.
    path = write_docx(tmp_path / "bericht.docx", paragraphs(5 * MIB))
    assert sniffed(path) is FileKind.DOCX
    patch(path, DOCUMENT, central=False, file_size=1000)
    assert_damaged(refusal(path))


def test_honest_member_and_understated_one_over_the_limit(tmp_path: Path) -> None:
    # 3 MiB declared honestly, 3 MiB declared as 1000 bytes: 6 MiB against a 4 MiB limit,
    # though the directory adds up to 3 MiB.
    path = write_docx(
        tmp_path / "bericht.docx",
        b"".join(paragraphs(3 * MIB)),
        extra={"word/media/image1.bin": b"\x00" * (3 * MIB)},
    )
    assert sniffed(path, max_unpacked_bytes=8 * MIB) is FileKind.DOCX
    patch(path, "word/media/image1.bin", crc=zlib.crc32(bytes(1000)), file_size=1000)
    assert_damaged(refusal(path, max_unpacked_bytes=4 * MIB))


def test_inflation_stops_at_the_limit_even_for_honest_sizes(
    tmp_path: Path, inflated: type[CountingInflater]
) -> None:
    # The directory's sizes are checked against the limit before; this is the guard behind
    # that check: with a lower limit than the sizes add up to, inflation stops past it.
    path = write_docx(tmp_path / "bericht.docx", paragraphs(8 * MIB))
    directory_start = content._check_directory(path, LIMIT)
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    inflated.inflated = 0
    with pytest.raises(ContentRefused) as caught:
        content._check_unpacked(path, members, directory_start, MIB)
    assert caught.value.reason is RefusalReason.UNPACKS_TOO_LARGE
    assert "mehr als 1 MB" in str(caught.value)
    assert inflated.inflated <= MIB + 1


# --- damaged or inconsistent data -----------------------------------------------------------


def test_truncated_deflate_stream(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "bericht.docx", prose(200_000))
    _start, length = member_data(path, DOCUMENT)
    patch(path, DOCUMENT, compress_size=length // 2)
    assert_damaged(refusal(path))


def test_corrupt_deflate_data(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "bericht.docx", prose(200_000))
    start, length = member_data(path, DOCUMENT)
    data = bytearray(path.read_bytes())
    middle = start + length // 2
    data[middle : middle + 16] = bytes(byte ^ 0xFF for byte in data[middle : middle + 16])
    path.write_bytes(bytes(data))
    assert_damaged(refusal(path))


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_wrong_crc(tmp_path: Path, compression: int) -> None:
    path = write_docx(tmp_path / "bericht.docx", prose(20_000), compression=compression)
    patch(path, DOCUMENT, crc=zlib.crc32(prose(20_000)) ^ 1)
    assert_damaged(refusal(path))


def test_stored_member_declaring_less_than_its_data(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "bericht.docx", prose(20_000), compression=zipfile.ZIP_STORED)
    patch(path, DOCUMENT, crc=zlib.crc32(prose(20_000)[:1000]), file_size=1000)
    assert_damaged(refusal(path))


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compression_other_than_deflate(tmp_path: Path, compression: int) -> None:
    # zipfile reads these, but Office and ODF use only stored and deflate, and each method
    # is one more decompressor to trust.
    assert_damaged(refusal(write_docx(tmp_path / "bericht.docx", compression=compression)))


def test_method_in_the_local_header_differs(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "bericht.docx", prose(20_000))
    patch(path, DOCUMENT, central=False, method=zipfile.ZIP_STORED)
    assert_damaged(refusal(path))


def test_members_whose_data_overlaps(tmp_path: Path) -> None:
    # The body's directory entry claims its data runs on into the next member, as in a bomb
    # of overlapping members; the deflate stream itself ends where it should.
    path = write_docx(tmp_path / "bericht.docx", prose(20_000), extra={"word/a.xml": b"<a/>"})
    _start, length = member_data(path, DOCUMENT)
    patch(path, DOCUMENT, compress_size=length + 40)
    assert_damaged(refusal(path))


def test_directory_entry_pointing_at_another_members_header(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "bericht.docx", prose(20_000))
    data = bytearray(path.read_bytes())
    found = entries(data)
    struct.pack_into("<L", data, found[DOCUMENT][0] + 42, found["_rels/.rels"][1])
    path.write_bytes(bytes(data))
    assert_damaged(refusal(path))


# --- legitimate files -----------------------------------------------------------------------


def test_office_files_with_media_empty_members_and_folders(tmp_path: Path) -> None:
    media = {
        "word/media/image1.png": random.Random(3).randbytes(50_000),
        "word/empty.xml": b"",
        "customXml/": b"",
    }
    assert sniffed(write_docx(tmp_path / "a.docx", prose(300_000), extra=media)) is FileKind.DOCX
    xlsx = write_ooxml(tmp_path / "a.xlsx", "xl/workbook.xml", XLSX_TYPE, extra=media)
    assert sniffed(xlsx) is FileKind.XLSX
    pptx = write_ooxml(tmp_path / "a.pptx", "ppt/presentation.xml", PPTX_TYPE, extra=media)
    assert sniffed(pptx) is FileKind.PPTX
    odt = write_odf(tmp_path / "a.odt", "application/vnd.oasis.opendocument.text", extra=media)
    assert sniffed(odt) is FileKind.ODT
    ods = write_odf(tmp_path / "a.ods", "application/vnd.oasis.opendocument.spreadsheet")
    assert sniffed(ods) is FileKind.ODS


def test_docx_with_data_descriptors(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "a.docx", prose(300_000), descriptors=True)
    data = path.read_bytes()
    _central_at, local_at = entries(data)[DOCUMENT]
    (flags,) = struct.unpack_from("<H", data, local_at + 6)
    assert flags & 0x08
    assert struct.unpack_from("<3L", data, local_at + 14) == (0, 0, 0)
    assert sniffed(path) is FileKind.DOCX


def test_docx_with_zip64_local_header(tmp_path: Path) -> None:
    # The local header has a ZIP64 extra field (and 0xFFFFFFFF sizes) the directory entry
    # lacks: the data starts where the local header's own lengths say.
    path = write_docx(tmp_path / "a.docx", prose(300_000), force_zip64=True)
    data = path.read_bytes()
    _central_at, local_at = entries(data)[DOCUMENT]
    assert struct.unpack_from("<2L", data, local_at + 18) == (0xFFFFFFFF, 0xFFFFFFFF)
    assert sniffed(path) is FileKind.DOCX


def test_a_15_mb_docx_is_sniffed_in_reasonable_time(tmp_path: Path) -> None:
    # 13 MiB of photos (incompressible) and 5 MiB of text, like a long report with pictures.
    photos = {
        f"word/media/image{number}.jpeg": random.Random(number).randbytes(MIB)
        for number in range(13)
    }
    path = write_docx(tmp_path / "gross.docx", prose(5 * MIB), extra=photos)
    assert path.stat().st_size > 15_000_000
    started = time.perf_counter()
    assert sniffed(path, max_unpacked_bytes=300 * MIB) is FileKind.DOCX
    elapsed = time.perf_counter() - started
    print(f"\nsniffed a {path.stat().st_size / 1e6:.1f} MB DOCX in {elapsed * 1000:.0f} ms")
