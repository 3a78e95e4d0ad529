"""Import of the contact list from CSV or vCard (to be written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session


class StaffImportError(ValueError):
    """A file that cannot be imported; the message names the line."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.created)} angelegt, {len(self.updated)} aktualisiert, {len(self.skipped)} unverändert"


def import_staff_file(session: Session, path: Path, *, now: datetime) -> ImportReport:
    raise NotImplementedError
