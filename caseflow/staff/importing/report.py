"""The report of an import: who was created, updated and left unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field

from caseflow.translating import gettext as _


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
