"""The Selbstcheck's statements as caseflow ships them (``data/selfcheck_statements.json``).

The file is the first version of the questionnaire: a lasting key per statement
(``<category>.<name>``, kept when the wording is revised, so that before and after can be
compared), its barrier category and its wording, and for the reviewer the passage of the
integration standards it was written from. ``shipped_statements`` reads and checks it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from caseflow.engagements.models import BarrierCategory
from caseflow.outcomes.rules import Statement

FILE = "selfcheck_statements.json"
KEY = re.compile(r"\A([a-z_]+)\.[a-z0-9_]+\Z")
# Long enough for one concrete sentence, short enough to read on a phone.
MAX_TEXT = 160


class CatalogueError(ValueError):
    """The shipped file does not hold a usable questionnaire (a programming error)."""


@dataclass(frozen=True)
class Catalogue:
    version: int
    statements: tuple[Statement, ...]


def shipped_statements() -> Catalogue:
    """The questionnaire in the shipped file; ``CatalogueError`` names what is wrong."""
    raw = json.loads(resources.files("caseflow.data").joinpath(FILE).read_text("utf-8"))
    return parse(raw)


def parse(raw: Any) -> Catalogue:
    """A questionnaire from the file's structure, checked: keys well formed and unique, each
    key's prefix its category, every text a single line of at most ``MAX_TEXT`` characters."""
    try:
        version = raw["version"]
        entries = raw["statements"]
    except (KeyError, TypeError) as exc:
        raise CatalogueError(f"{FILE}: no version or no statements") from exc
    if not isinstance(version, int) or version < 1:
        raise CatalogueError(f"{FILE}: version {version!r} is not a positive whole number")
    statements = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        key, category, text = entry.get("key"), entry.get("category"), entry.get("text")
        match = KEY.match(key) if isinstance(key, str) else None
        if match is None:
            raise CatalogueError(f"{FILE}: statement {number} has no usable key ({key!r})")
        if key in seen:
            raise CatalogueError(f"{FILE}: the key {key} is there twice")
        seen.add(key)
        try:
            barrier = BarrierCategory(category)
        except ValueError as exc:
            raise CatalogueError(f"{FILE}: {key} has the unknown category {category!r}") from exc
        if match.group(1) != barrier.value:
            raise CatalogueError(f"{FILE}: {key} does not begin with its category {category}")
        if not isinstance(text, str) or not text.strip() or "\n" in text:
            raise CatalogueError(f"{FILE}: {key} has no text on one line")
        if len(text) > MAX_TEXT:
            raise CatalogueError(f"{FILE}: {key} is longer than {MAX_TEXT} characters")
        statements.append(Statement(key=key, category=barrier, text=text.strip()))
    if not statements:
        raise CatalogueError(f"{FILE}: no statements")
    return Catalogue(version=version, statements=tuple(statements))
