"""Matching the checked entries to the people already in the staff directory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from caseflow.staff.importing.records import StaffEntry, StaffImportError, name_key, problem_text
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _


@dataclass(frozen=True)
class Match:
    """An entry and the person it describes (None: a new person), found by email or name."""

    entry: StaffEntry
    member: StaffMember | None
    by_email: bool = False


def load_members(session: Session) -> list[StaffMember]:
    """Everyone in the staff directory, with their measures."""
    query = select(StaffMember).options(selectinload(StaffMember.measures))
    return list(session.scalars(query))


def match_entries(entries: list[StaffEntry], members: list[StaffMember]) -> list[Match]:
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
        raise StaffImportError(problem_text(problems))
    return matches


def _match_one(
    entry: StaffEntry,
    by_email: dict[str, StaffMember],
    by_name: dict[str, list[StaffMember]],
    problems: list[str],
) -> Match:
    if entry.email is not None and entry.email in by_email:
        return Match(entry, by_email[entry.email], by_email=True)
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
    return Match(entry, candidates[0] if len(candidates) == 1 else None)


def _shared_member_problems(matches: list[Match]) -> Iterator[str]:
    seen: dict[int, Match] = {}
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
