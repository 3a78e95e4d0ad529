"""Reading a contact-list file: decoding, telling CSV from vCard, and checking the entries."""

from __future__ import annotations

from pathlib import Path

from caseflow.staff.importing.csv_format import looks_like_csv_header, parse_csv
from caseflow.staff.importing.records import StaffEntry, StaffImportError, first_line
from caseflow.staff.importing.validation import check_entries
from caseflow.staff.importing.vcard import parse_vcards
from caseflow.translating import gettext as _

CSV_SUFFIXES = frozenset({".csv"})
VCARD_SUFFIXES = frozenset({".vcf", ".vcard"})


def read_staff_file(path: Path) -> list[StaffEntry]:
    """Read and check every entry of a CSV or vCard file, without touching the database.

    Raises ``StaffImportError`` listing the problems (with their lines) when the file is
    unreadable, of an unknown format, or has an invalid or duplicate entry.
    """
    text = _decode(_read_bytes(path))
    if not text.strip():
        raise StaffImportError(_("Die Datei „%(name)s“ ist leer.", name=path.name))
    parse = parse_vcards if _detect_format(path, text) == "vcard" else parse_csv
    raws = parse(text)
    if not raws:
        raise StaffImportError(_("Die Datei „%(name)s“ enthält keine Personen.", name=path.name))
    return check_entries(raws)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        message = _("Die Datei „%(name)s“ kann nicht gelesen werden.", name=path.name)
        raise StaffImportError(message) from exc


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = _(
            "Die Datei ist nicht UTF-8-kodiert (erstes ungültiges Zeichen in Zeile %(line)s). "
            "Bitte als UTF-8 speichern, in Excel als „CSV UTF-8“.",
            line=line,
        )
        raise StaffImportError(message) from exc


def _detect_format(path: Path, text: str) -> str:
    first = first_line(text)
    suffix = path.suffix.lower()
    if first.upper() == "BEGIN:VCARD" or suffix in VCARD_SUFFIXES:
        return "vcard"
    if suffix in CSV_SUFFIXES or looks_like_csv_header(first):
        return "csv"
    raise StaffImportError(
        _(
            "Das Format der Datei „%(name)s“ ist unbekannt. Erlaubt sind CSV-Dateien (.csv, "
            "UTF-8, mit Kopfzeile) und vCard-Dateien (.vcf, Version 3.0 oder 4.0).",
            name=path.name,
        )
    )
