"""The checks of the entries read from a file: required name, lengths, email, measures
and duplicates inside the file."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator

from caseflow.staff.identity import is_valid_email, normalise_email
from caseflow.staff.importing.records import (
    MAX_LENGTHS,
    TEXT_FIELDS,
    RawEntry,
    StaffEntry,
    StaffImportError,
    problem_text,
)
from caseflow.staff.models import MEASURES
from caseflow.translating import gettext as _


def check_entries(raws: list[RawEntry]) -> list[StaffEntry]:
    """Checked entries, or ``StaffImportError`` listing every problem with its line."""
    problems: list[str] = []
    entries = [entry for raw in raws if (entry := _check_entry(raw, problems)) is not None]
    if not problems:
        problems.extend(_duplicate_problems(entries))
    if problems:
        raise StaffImportError(problem_text(problems))
    return entries


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
    if not is_valid_email(address):
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
