"""The import itself: read, match, then create and update people with their audit events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from caseflow.audit.services import record
from caseflow.staff.importing.matching import Match, load_members, match_entries
from caseflow.staff.importing.reading import read_staff_file
from caseflow.staff.importing.records import StaffEntry
from caseflow.staff.importing.report import ImportReport
from caseflow.staff.models import StaffMeasure, StaffMember


def import_staff_file(session: Session, path: Path, *, now: datetime) -> ImportReport:
    """Import the contact list in ``path`` (CSV or vCard) into the staff directory.

    Creates people not yet known, updates the fields and measures of known ones (found by
    email, else by name) and writes a ``staff.imported`` or ``staff.import_updated`` audit
    event for each; fields the file leaves empty are kept. Only flushes; the caller commits.

    Raises ``StaffImportError`` (German, naming the line) when the file cannot be read or
    any entry is invalid; nothing is changed then.
    """
    entries = read_staff_file(path)
    matches = match_entries(entries, load_members(session))
    return _apply(session, matches, now=now)


def _apply(session: Session, matches: list[Match], *, now: datetime) -> ImportReport:
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


def _update(session: Session, match: Match, *, now: datetime) -> bool:
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
