"""What every stage of the import shares: the error, the entry records, the field rules
and the lines of a file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from caseflow.staff.identity import name_key
from caseflow.translating import ngettext

MAX_PROBLEMS = 20

TEXT_FIELDS = ("name", "email", "phone", "organisation", "job_title")
MAX_LENGTHS = {"name": 200, "email": 254, "phone": 50, "organisation": 200, "job_title": 200}

LINE_BREAK = re.compile(r"\r\n|\r|\n")


class StaffImportError(ValueError):
    """A file that cannot be imported; the message is German and names the line."""


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


def first_line(text: str) -> str:
    """The first non-blank line of ``text``, stripped ("" when there is none)."""
    return next((line.strip() for line in LINE_BREAK.split(text) if line.strip()), "")


def problem_text(problems: list[str]) -> str:
    """The problems one per line, at most ``MAX_PROBLEMS`` of them and a count of the rest."""
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        shown.append(
            ngettext("… und %(num)d weiteres Problem.", "… und %(num)d weitere Probleme.", more)
        )
    return "\n".join(shown)
