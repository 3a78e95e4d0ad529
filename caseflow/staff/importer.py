"""Import of the contact list (CSV or vCard 3.0/4.0) into the staff directory.

The whole file is read and checked before anything is written, so a bad file changes nothing.
A person is matched by email, else by name; an import never blanks a field the file leaves
empty and never touches role, password or the active flag.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from caseflow.audit.services import record
from caseflow.staff.models import MEASURES, StaffMeasure, StaffMember
from caseflow.staff.services import normalise_email

CSV_SUFFIXES = frozenset({".csv"})
VCARD_SUFFIXES = frozenset({".vcf", ".vcard"})
VCARD_VERSIONS = frozenset({"3.0", "4.0"})
MAX_PROBLEMS = 20

# Header cells are compared case-folded without blanks, hyphens and underscores ("E-Mail" ->
# "email"; casefold turns "ß" into "ss", so "Maßnahmen" -> "massnahmen").
CSV_COLUMNS = {
    "name": "name",
    "email": "email",
    "mail": "email",
    "phone": "phone",
    "telefon": "phone",
    "tel": "phone",
    "organisation": "organisation",
    "organization": "organisation",
    "measures": "measures",
    "massnahmen": "measures",
    "massnahme": "measures",
    "jobtitle": "job_title",
    "funktion": "job_title",
}
TEXT_FIELDS = ("name", "email", "phone", "organisation", "job_title")
MAX_LENGTHS = {"name": 200, "email": 254, "phone": 50, "organisation": 200, "job_title": 200}

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MEASURE_WORD = re.compile(r"(?:projekt)?ma(?:ß|ss)nahmen?|measures?", re.IGNORECASE)
_MEASURE_SEPARATORS = re.compile(r"[\s,;/]+")
# "Maßnahme 3", "Maßnahme3", "Maßnahme 3: Organisationsberatung" -> "3"
_MEASURE_CATEGORY = re.compile(
    r"(?:projekt)?(?:maßnahme|massnahme|measure)(?:\s+|(?=\d))([^\s:]+)(?:[\s:].*)?",
    re.IGNORECASE,
)
_VCARD_FIELDS = {"FN": "name", "EMAIL": "email", "ORG": "organisation", "TITLE": "job_title"}
_VCARD_ESCAPES = {"n": "\n", "N": "\n"}
_TEL_SEPARATORS = re.compile(r"[-.()]")


class StaffImportError(ValueError):
    """A file that cannot be imported; the message is German and names the line."""


@dataclass
class ImportReport:
    """The names of the people an import created, updated and left unchanged."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """German counts on the first line, then the names of each non-empty group."""
        lines = [
            _(
                "%(created)s angelegt, %(updated)s aktualisiert, %(skipped)s unverändert",
                created=len(self.created),
                updated=len(self.updated),
                skipped=len(self.skipped),
            )
        ]
        if self.created:
            lines.append(_("Angelegt: %(names)s", names=", ".join(self.created)))
        if self.updated:
            lines.append(_("Aktualisiert: %(names)s", names=", ".join(self.updated)))
        if self.skipped:
            lines.append(_("Unverändert: %(names)s", names=", ".join(self.skipped)))
        return "\n".join(lines)


@dataclass
class RawEntry:
    """One person as read from the file, before any check: text values and their lines."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    measures: list[tuple[str, int]] = field(default_factory=list)

    def put(self, name: str, value: str, line: int) -> None:
        self.values[name] = value
        self.lines[name] = line

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


@dataclass(frozen=True)
class StaffEntry:
    """One checked person from the file; ``None`` and ``()`` mean "the file says nothing"."""

    line: int
    name: str
    email: str | None = None
    phone: str | None = None
    organisation: str | None = None
    job_title: str | None = None
    measures: tuple[int, ...] = ()
    email_line: int = 0

    @property
    def name_key(self) -> str:
        return name_key(self.name)


def name_key(name: str) -> str:
    """The form in which names are compared: case- and whitespace-insensitive."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


# --- the import --------------------------------------------------------------------------


def import_staff_file(session: Session, path: Path, *, now: datetime) -> ImportReport:
    """Import the contact list in ``path`` (CSV or vCard) into the staff directory.

    Creates people not yet known, updates the fields and measures of known ones (found by
    email, else by name) and writes a ``staff.imported`` or ``staff.import_updated`` audit
    event for each; fields the file leaves empty are kept. Only flushes; the caller commits.

    Raises ``StaffImportError`` (German, naming the line) when the file cannot be read or
    any entry is invalid; nothing is changed then.
    """
    entries = read_staff_file(path)
    matches = _match(entries, _load_members(session))
    return _apply(session, matches, now=now)


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
    return _check_entries(raws)


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
    first = _first_line(text)
    suffix = path.suffix.lower()
    if first.upper() == "BEGIN:VCARD" or suffix in VCARD_SUFFIXES:
        return "vcard"
    if suffix in CSV_SUFFIXES or _looks_like_csv_header(first):
        return "csv"
    raise StaffImportError(
        _(
            "Das Format der Datei „%(name)s“ ist unbekannt. Erlaubt sind CSV-Dateien (.csv, "
            "UTF-8, mit Kopfzeile) und vCard-Dateien (.vcf, Version 3.0 oder 4.0).",
            name=path.name,
        )
    )


def _first_line(text: str) -> str:
    return next((line.strip() for line in _LINE_BREAK.split(text) if line.strip()), "")


# --- CSV -----------------------------------------------------------------------------------


def parse_csv(text: str) -> list[RawEntry]:
    """The entries of a CSV text with a header row (comma, semicolon or tab separated).

    Raises ``StaffImportError`` for an unknown, duplicate or missing column and for a row
    with more values than columns.
    """
    rows = _csv_rows(text, _delimiter(_first_line(text)))
    header_line, header = next(rows, (1, []))
    columns = _csv_columns(header_line, header)
    return [_csv_entry(line, cells, columns) for line, cells in rows]


def _delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the line each starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        message = _("Zeile %(line)s: Diese Zeile ist kein gültiges CSV.", line=line)
        raise StaffImportError(message) from exc


def _column_key(cell: str) -> str:
    return re.sub(r"[\s_\-]", "", cell.strip().casefold())


def _looks_like_csv_header(line: str) -> bool:
    cells = next(csv.reader([line], delimiter=_delimiter(line)), [])
    keys = [_column_key(cell) for cell in cells if cell.strip()]
    return all(key in CSV_COLUMNS for key in keys) and "name" in keys


def _csv_columns(line: int, header: list[str]) -> list[str | None]:
    """The field of each column (``None`` for a column without a heading)."""
    columns: list[str | None] = []
    for cell in header:
        if not cell.strip():
            columns.append(None)
            continue
        column = CSV_COLUMNS.get(_column_key(cell))
        if column is None:
            raise StaffImportError(_unknown_column(line, cell.strip()))
        if column in columns:
            message = _(
                "Zeile %(line)s: Die Spalte „%(column)s“ kommt doppelt vor.",
                line=line,
                column=cell.strip(),
            )
            raise StaffImportError(message)
        columns.append(column)
    if "name" not in columns:
        message = _("Zeile %(line)s: Die Kopfzeile hat keine Spalte „Name“.", line=line)
        raise StaffImportError(message)
    return columns


def _unknown_column(line: int, column: str) -> str:
    return _(
        "Zeile %(line)s: Die Spalte „%(column)s“ ist unbekannt. Erlaubt sind name, email, "
        "phone, organisation, measures, job_title oder Name, E-Mail, Telefon, Organisation, "
        "Maßnahmen, Funktion.",
        line=line,
        column=column,
    )


def _csv_entry(line: int, cells: list[str], columns: list[str | None]) -> RawEntry:
    if any(cell.strip() for cell in cells[len(columns) :]):
        message = _(
            "Zeile %(line)s: %(count)s Werte, aber die Kopfzeile hat nur %(columns)s Spalten.",
            line=line,
            count=len(cells),
            columns=len(columns),
        )
        raise StaffImportError(message)
    entry = RawEntry(line=line)
    for column, cell in zip(columns, cells, strict=False):
        if column is None:
            continue
        if "\n" in cell or "\r" in cell:
            message = _(
                "Zeile %(line)s: Ein Wert enthält einen Zeilenumbruch – fehlt ein "
                "schließendes Anführungszeichen?",
                line=line,
            )
            raise StaffImportError(message)
        if column == "measures":
            entry.measures.extend((token, line) for token in _measure_tokens(cell))
        else:
            entry.put(column, cell, line)
    return entry


def _measure_tokens(cell: str) -> list[str]:
    """``"2;3"``, ``"2, 3"``, ``"2 3"`` or ``"Maßnahme 3"`` -> the separate values."""
    return [token for token in _MEASURE_SEPARATORS.split(_MEASURE_WORD.sub(" ", cell)) if token]


# --- vCard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Property:
    line: int
    name: str
    params: dict[str, list[str]]
    value: str  # still escaped


def parse_vcards(text: str) -> list[RawEntry]:
    """The entries of a vCard 3.0 or 4.0 text (one or more cards, folded lines allowed).

    Raises ``StaffImportError`` for a malformed line, an unsupported version, content
    outside a card, or a card without END:VCARD (naming the line where it began).
    """
    entries: list[RawEntry] = []
    card: list[_Property] | None = None
    start = 0
    for line, content in _logical_lines(text):
        prop = _parse_property(line, content)
        marker = prop.value.strip().upper() if prop.name in ("BEGIN", "END") else ""
        if prop.name == "BEGIN" and marker == "VCARD":
            if card is not None:
                raise StaffImportError(_unterminated(start))
            card, start = [], line
        elif card is None:
            message = _(
                "Zeile %(line)s: „%(text)s“ steht außerhalb einer vCard (erwartet: BEGIN:VCARD).",
                line=line,
                text=_shorten(content),
            )
            raise StaffImportError(message)
        elif prop.name == "END" and marker == "VCARD":
            entries.append(_card_entry(start, card))
            card = None
        else:
            card.append(prop)
    if card is not None:
        raise StaffImportError(_unterminated(start))
    return entries


def _unterminated(start: int) -> str:
    return _("Zeile %(line)s: Die vCard, die hier beginnt, endet nicht mit END:VCARD.", line=start)


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Unfolded content lines, each with the number of its first physical line."""
    result: list[tuple[int, str]] = []
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if line[:1] in (" ", "\t") and result:
            first, content = result[-1]
            result[-1] = (first, content + line[1:])
        elif line.strip():
            result.append((number, line))
    return result


def _split_unescaped(text: str, separator: str) -> list[str]:
    """Split at ``separator`` except where it is escaped with a backslash (values stay raw)."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _split_unquoted(text: str, separator: str) -> list[str]:
    """Split at ``separator`` outside double quotes (for parameters)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _VCARD_ESCAPES.get(match[1], match[1]), text)


def _parse_property(line: int, content: str) -> _Property:
    """``[group.]NAME;PARAM=a,b:value`` -> a property (the value stays escaped)."""
    head, value = _split_head(line, content)
    name, *raw_params = _split_unquoted(head, ";")
    name = name.rsplit(".", 1)[-1].strip().upper()
    if not name:
        raise StaffImportError(_invalid_line(line, content))
    params: dict[str, list[str]] = defaultdict(list)
    for raw in raw_params:
        key, has_value, values = raw.partition("=")
        if not has_value:  # vCard 2.1 style bare type: TEL;WORK:...
            key, values = "TYPE", key
        params[key.strip().upper()].extend(
            item.strip().strip('"') for item in _split_unquoted(values, ",")
        )
    return _Property(line=line, name=name, params=dict(params), value=value)


def _split_head(line: int, content: str) -> tuple[str, str]:
    quoted = False
    for index, char in enumerate(content):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return content[:index], content[index + 1 :]
    raise StaffImportError(_invalid_line(line, content))


def _invalid_line(line: int, content: str) -> str:
    return _(
        "Zeile %(line)s: „%(text)s“ ist keine gültige vCard-Zeile.",
        line=line,
        text=_shorten(content),
    )


def _card_entry(start: int, card: list[_Property]) -> RawEntry:
    """The person described by the properties of one card."""
    entry = RawEntry(line=start)
    for prop in card:
        _read_property(entry, prop)
    if not entry.values.get("name", "").strip():
        fallback = next((prop for prop in card if prop.name == "N"), None)
        if fallback is not None:
            entry.put("name", _name_from_n(fallback.value), fallback.line)
    return entry


def _read_property(entry: RawEntry, prop: _Property) -> None:
    """Take what we need from one property; the first non-empty FN, TEL, EMAIL, ORG, TITLE."""
    if prop.name == "VERSION" and prop.value.strip() not in VCARD_VERSIONS:
        message = _(
            "Zeile %(line)s: vCard-Version „%(version)s“ wird nicht unterstützt "
            "(erlaubt: 3.0 und 4.0).",
            line=prop.line,
            version=prop.value.strip(),
        )
        raise StaffImportError(message)
    if prop.name == "CATEGORIES":
        entry.measures.extend((token, prop.line) for token in _measure_categories(prop.value))
        return
    if prop.name == "TEL" and not entry.values.get("phone", "").strip():
        entry.put("phone", _vcard_phone(prop), prop.line)
    elif prop.name in _VCARD_FIELDS and not entry.values.get(_VCARD_FIELDS[prop.name], "").strip():
        entry.put(_VCARD_FIELDS[prop.name], _vcard_text(prop), prop.line)


def _vcard_text(prop: _Property) -> str:
    value = prop.value
    if prop.name == "ORG":  # "Organisation;Unit;Sub-unit": the organisation is enough
        value = _split_unescaped(value, ";")[0]
    text = _unescape(value)
    if prop.name == "EMAIL" and text.casefold().startswith("mailto:"):
        text = text[len("mailto:") :]
    return text


def _name_from_n(value: str) -> str:
    """``Family;Given;Additional;Prefix;Suffix`` -> ``Given Additional Family``."""
    parts = [_unescape(part).replace(",", " ") for part in _split_unescaped(value, ";")]
    parts += [""] * (3 - len(parts))
    family, given, additional = parts[:3]
    return " ".join(part for part in (given, additional, family) if part.strip())


def _vcard_phone(prop: _Property) -> str:
    """The phone number, readable: ``tel:+49-176-849-612-93`` -> ``+49 176 849 612 93``."""
    value = _unescape(prop.value).strip()
    if not value.casefold().startswith("tel:"):
        return value
    number, *uri_params = value[len("tel:") :].split(";")
    readable = " ".join(_TEL_SEPARATORS.sub(" ", number).split())
    extension = next((p[len("ext=") :] for p in uri_params if p.lower().startswith("ext=")), "")
    return f"{readable}-{extension}" if extension else readable


def _measure_categories(value: str) -> list[str]:
    """The measure values of ``CATEGORIES:Maßnahme 2,Maßnahme 3,Team`` (others ignored)."""
    tokens = []
    for category in _split_unescaped(value, ","):
        match = _MEASURE_CATEGORY.fullmatch(_unescape(category).strip())
        if match:
            tokens.append(match[1])
    return tokens


# --- checks --------------------------------------------------------------------------------


def _check_entries(raws: list[RawEntry]) -> list[StaffEntry]:
    """Checked entries, or ``StaffImportError`` listing every problem with its line."""
    problems: list[str] = []
    entries = [entry for raw in raws if (entry := _check_entry(raw, problems)) is not None]
    if not problems:
        problems.extend(_duplicate_problems(entries))
    if problems:
        raise StaffImportError(_problem_text(problems))
    return entries


def _problem_text(problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        shown.append(_("… und %(count)s weitere Probleme.", count=more))
    return "\n".join(shown)


def _check_entry(raw: RawEntry, problems: list[str]) -> StaffEntry | None:
    """The checked entry, or None after adding its problems to ``problems``."""
    found = len(problems)
    values = {name: _clean(raw.values.get(name, "")) for name in TEXT_FIELDS}
    if not values["name"]:
        problems.append(_("Zeile %(line)s: Name fehlt.", line=raw.line))
    problems.extend(_length_problems(raw, values))
    email = _checked_email(raw, values["email"], problems)
    measures = _checked_measures(raw.measures, problems)
    if len(problems) > found:
        return None
    return StaffEntry(
        line=raw.line,
        name=values["name"],
        email=email,
        phone=values["phone"] or None,
        organisation=values["organisation"] or None,
        job_title=values["job_title"] or None,
        measures=measures,
        email_line=raw.line_of("email"),
    )


def _clean(value: str) -> str:
    """Trimmed, inner whitespace (also line breaks) collapsed, Unicode composed (NFC)."""
    return unicodedata.normalize("NFC", " ".join(value.split()))


def _field_label(name: str) -> str:
    labels = {
        "name": _("Name"),
        "email": _("E-Mail-Adresse"),
        "phone": _("Telefon"),
        "organisation": _("Organisation"),
        "job_title": _("Funktion"),
    }
    return labels[name]


def _length_problems(raw: RawEntry, values: dict[str, str]) -> Iterator[str]:
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            yield _(
                "Zeile %(line)s: %(field)s ist zu lang (höchstens %(limit)s Zeichen).",
                line=raw.line_of(name),
                field=_field_label(name),
                limit=limit,
            )


def _checked_email(raw: RawEntry, value: str, problems: list[str]) -> str | None:
    address = normalise_email(value)
    if address is None:
        return None
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        problems.append(
            _(
                "Zeile %(line)s: „%(value)s“ ist keine gültige E-Mail-Adresse.",
                line=raw.line_of("email"),
                value=value,
            )
        )
        return None
    return address


def _checked_measures(tokens: list[tuple[str, int]], problems: list[str]) -> tuple[int, ...]:
    allowed = {str(number): number for number in MEASURES}
    measures: set[int] = set()
    for token, line in tokens:
        if token in allowed:
            measures.add(allowed[token])
        else:
            problems.append(
                _(
                    "Zeile %(line)s: Maßnahme „%(value)s“ gibt es nicht (erlaubt: %(allowed)s).",
                    line=line,
                    value=token,
                    allowed=", ".join(allowed),
                )
            )
    return tuple(sorted(measures))


def _duplicate_problems(entries: list[StaffEntry]) -> Iterator[str]:
    """Two entries with the same email, or the same name where one has no email."""
    by_email: dict[str, StaffEntry] = {}
    for entry in entries:
        if entry.email is None:
            continue
        first = by_email.setdefault(entry.email, entry)
        if first is not entry:
            yield _(
                "Zeilen %(first)s und %(second)s: Die E-Mail-Adresse „%(email)s“ steht "
                "zweimal in der Datei.",
                first=first.email_line,
                second=entry.email_line,
                email=entry.email,
            )
    by_name: dict[str, list[StaffEntry]] = defaultdict(list)
    for entry in entries:
        by_name[entry.name_key].append(entry)
    for same in by_name.values():
        without_email = [entry for entry in same if entry.email is None]
        if len(same) > 1 and without_email:
            other = next(entry for entry in same if entry is not without_email[0])
            first, second = sorted((without_email[0].line, other.line))
            yield _(
                "Zeilen %(first)s und %(second)s: „%(name)s“ steht zweimal in der Datei "
                "(ohne E-Mail-Adresse sind die Einträge nicht zu unterscheiden).",
                first=first,
                second=second,
                name=other.name,
            )


# --- matching and writing ------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    entry: StaffEntry
    member: StaffMember | None
    by_email: bool = False


def _load_members(session: Session) -> list[StaffMember]:
    query = select(StaffMember).options(selectinload(StaffMember.measures))
    return list(session.scalars(query))


def _match(entries: list[StaffEntry], members: list[StaffMember]) -> list[_Match]:
    """Pair each entry with the person it describes, or with None for a new person.

    Raises ``StaffImportError`` when a name fits several people or two entries fit one.
    """
    by_email = {member.email: member for member in members if member.email}
    by_name: dict[str, list[StaffMember]] = defaultdict(list)
    for member in members:
        by_name[name_key(member.name)].append(member)
    problems: list[str] = []
    matches = [_match_one(entry, by_email, by_name, problems) for entry in entries]
    problems.extend(_shared_member_problems(matches))
    if problems:
        raise StaffImportError(_problem_text(problems))
    return matches


def _match_one(
    entry: StaffEntry,
    by_email: dict[str, StaffMember],
    by_name: dict[str, list[StaffMember]],
    problems: list[str],
) -> _Match:
    if entry.email is not None and entry.email in by_email:
        return _Match(entry, by_email[entry.email], by_email=True)
    candidates = by_name.get(entry.name_key, [])
    if entry.email is not None:
        # A person imported without an email gets it now instead of being duplicated.
        candidates = [member for member in candidates if member.email is None]
    if len(candidates) > 1:
        problems.append(
            _(
                "Zeile %(line)s: „%(name)s“ passt zu %(count)s Personen im Verzeichnis; "
                "bitte eine E-Mail-Adresse angeben.",
                line=entry.line,
                name=entry.name,
                count=len(candidates),
            )
        )
    return _Match(entry, candidates[0] if len(candidates) == 1 else None)


def _shared_member_problems(matches: list[_Match]) -> Iterator[str]:
    seen: dict[int, _Match] = {}
    for match in matches:
        if match.member is None:
            continue
        first = seen.setdefault(id(match.member), match)
        if first is not match:
            yield _(
                "Zeilen %(first)s und %(second)s: Beide Einträge passen zu „%(name)s“ im "
                "Verzeichnis.",
                first=first.entry.line,
                second=match.entry.line,
                name=match.member.name,
            )


def _apply(session: Session, matches: list[_Match], *, now: datetime) -> ImportReport:
    report = ImportReport()
    for match in matches:
        if match.member is None:
            member = _create(session, match.entry, now=now)
            report.created.append(member.name)
        elif _update(session, match, now=now):
            report.updated.append(match.member.name)
        else:
            report.skipped.append(match.member.name)
    session.flush()
    return report


def _create(session: Session, entry: StaffEntry, *, now: datetime) -> StaffMember:
    member = StaffMember(name=entry.name, created_at=now)
    changes = _changes(member, entry, rename=False)
    _assign(member, changes)
    session.add(member)
    session.flush()
    record(
        session,
        actor=None,
        action="staff.imported",
        object_type="staff_member",
        object_id=member.id,
        changes={"name": [None, member.name], **changes},
        at=now,
    )
    return member


def _update(session: Session, match: _Match, *, now: datetime) -> bool:
    """Bring a known person in line with the file; False when nothing differs."""
    assert match.member is not None
    changes = _changes(match.member, match.entry, rename=match.by_email)
    if not changes:
        return False
    _assign(match.member, changes)
    record(
        session,
        actor=None,
        action="staff.import_updated",
        object_type="staff_member",
        object_id=match.member.id,
        changes=changes,
        at=now,
    )
    return True


def _changes(member: StaffMember, entry: StaffEntry, *, rename: bool) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for what the file gives and the person lacks or has otherwise.

    The name changes only for a person found by email (found by name, it already matches).
    """
    wanted: dict[str, Any] = {
        "email": entry.email,
        "phone": entry.phone,
        "organisation": entry.organisation,
        "job_title": entry.job_title,
    }
    if rename:
        wanted["name"] = entry.name
    changes = {
        name: [getattr(member, name), value]
        for name, value in wanted.items()
        if value is not None and getattr(member, name) != value
    }
    current = sorted(member.measure_numbers)
    if entry.measures and list(entry.measures) != current:
        changes["measures"] = [current, list(entry.measures)]
    return changes


def _assign(member: StaffMember, changes: dict[str, list[Any]]) -> None:
    for name, (_old, new) in changes.items():
        if name == "measures":
            _set_measures(member, new)
        else:
            setattr(member, name, new)


def _set_measures(member: StaffMember, numbers: list[int]) -> None:
    """Keep the rows of measures that stay, so no row is deleted and re-inserted."""
    kept = [entry for entry in member.measures if entry.measure in numbers]
    present = {entry.measure for entry in kept}
    added = [StaffMeasure(measure=number) for number in numbers if number not in present]
    member.measures = sorted(kept + added, key=lambda entry: entry.measure)
