"""The vCard 3.0/4.0 format of the contact list: one card per person."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from caseflow.staff.importing.records import LINE_BREAK, RawEntry, StaffImportError
from caseflow.translating import gettext as _

VCARD_VERSIONS = frozenset({"3.0", "4.0"})
# "Maßnahme 3", "Maßnahme3", "Maßnahme 3: Organisationsberatung" -> "3"
_MEASURE_CATEGORY = re.compile(
    r"(?:projekt)?(?:maßnahme|massnahme|measure)(?:\s+|(?=\d))([^\s:]+)(?:[\s:].*)?",
    re.IGNORECASE,
)
_VCARD_FIELDS = {"FN": "name", "EMAIL": "email", "ORG": "organisation", "TITLE": "job_title"}
_VCARD_ESCAPES = {"n": "\n", "N": "\n"}
_TEL_SEPARATORS = re.compile(r"[-.()]")


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
    for number, line in enumerate(LINE_BREAK.split(text), start=1):
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
