"""Editing the Selbstcheck's questionnaire (issue 9): admins add, revise, retire, restore
and reorder statements; the pages of ``/admin/selbstcheck`` read it through the queries at
the end.

A statement's lasting ``key`` (``<category>.<name>``) ties its versions together, so that
before and after can be compared however its wording changed. Every version is a row of its
own (``SelfcheckStatement``), and answers and rounds point at the row they were given
against: revising retires the current row and adds the next version with the same key,
category and place; nothing is ever rewritten or deleted, so old answers keep the words that
were asked. At most one row per key is current (a partial unique index): when two admins
revise the same statement at once the second flush fails with ``IntegrityError``, which the
caller answers by rolling back.

Order: the questionnaire is read by category (``BarrierCategory`` order), so a new or
restored statement goes to the end of its category, and a statement moves only inside its
category. Positions are renumbered 1…n over the current statements when the order changes.

Services check the rules, change rows, write the audit trail (``selfcheck.statement_*``,
object type ``selfcheck_statement``, the id of the row added or changed; the wording is kept
in the audit trail, as it is no personal data) and flush; the caller commits. A refused
change raises ``QuestionnaireError`` with a German message and changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from flask_babel import format_number
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from caseflow.audit.services import record
from caseflow.engagements.models import BarrierCategory
from caseflow.outcomes.catalogue import KEY, MAX_TEXT
from caseflow.outcomes.models import SelfcheckAnswer, SelfcheckResponse, SelfcheckStatement
from caseflow.outcomes.services import current_statements
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _

OBJECT_TYPE = "selfcheck_statement"
# The name part of a new key, cut at a word boundary: long enough to recognise the
# statement in a key, short enough to read in a URL.
SLUG_LENGTH = 40
FALLBACK_SLUG = "aussage"
_GERMAN_LETTERS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ẞ": "SS"}
)
_CATEGORY_ORDER = {category: index for index, category in enumerate(BarrierCategory)}


class QuestionnaireError(ValueError):
    """A change of the questionnaire was refused; the message is German and meant for the
    admin. ``field`` names the offending input (``text``, ``category``) when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StaleStatement(QuestionnaireError):
    """The form was shown for a version that is no longer current: nothing is changed."""


def stale_message() -> str:
    """For a form shown on a version that was revised, retired or restored since. A double
    click sends the same form twice, so it does not blame someone else."""
    return _(
        "Diese Aussage wurde inzwischen geändert – von jemand anderem oder durch einen "
        "doppelten Klick. Ihre Änderung wurde nicht gespeichert; bitte prüfen Sie den "
        "aktuellen Stand, bevor Sie es noch einmal versuchen."
    )


# --- checks ----------------------------------------------------------------------------


def clean_statement_text(value: str | None) -> str:
    """``value`` as a statement's wording: one line, spaces collapsed, at most ``MAX_TEXT``
    characters. Raises ``QuestionnaireError`` (field ``text``) for an empty text, one with
    line breaks or other control or invisible format characters, one without a letter or
    digit, or one that is too long."""
    stripped = (value or "").strip()
    if not stripped:
        raise QuestionnaireError(_("Bitte geben Sie den Wortlaut der Aussage ein."), "text")
    if len(stripped.splitlines()) > 1:
        raise QuestionnaireError(
            _("Eine Aussage steht in einer Zeile; bitte entfernen Sie die Zeilenumbrüche."),
            "text",
        )
    cleaned = " ".join(stripped.split())
    # Control characters, and invisible format characters (zero-width space, direction
    # marks) that would make a statement look empty or different from what it says.
    if any(unicodedata.category(character) in ("Cc", "Cf") for character in cleaned):
        raise QuestionnaireError(
            _("Der Text enthält Steuerzeichen; bitte geben Sie ihn noch einmal ein."), "text"
        )
    if not any(unicodedata.category(character)[0] in "LN" for character in cleaned):
        raise QuestionnaireError(
            _("Eine Aussage braucht Wörter; bitte geben Sie den Wortlaut ein."), "text"
        )
    if len(cleaned) > MAX_TEXT:
        raise QuestionnaireError(
            _(
                "Eine Aussage darf höchstens %(max)s Zeichen lang sein (jetzt: %(length)s).",
                max=format_number(MAX_TEXT),
                length=format_number(len(cleaned)),
            ),
            "text",
        )
    return cleaned


def category_of(value: BarrierCategory | str | None) -> BarrierCategory:
    """``value`` as a barrier category; ``QuestionnaireError`` (field ``category``) else."""
    try:
        return BarrierCategory(value)
    except ValueError:
        raise QuestionnaireError(
            _("Bitte wählen Sie eine Kategorie aus der Liste."), "category"
        ) from None


def _lock_current(session: Session, statement: SelfcheckStatement) -> None:
    """Read ``statement`` again, locked (PostgreSQL), and refuse it unless it is current.

    A concurrent change of the same row waits here, and then sees it retired."""
    session.refresh(statement, with_for_update=True)
    if statement.retired_at is not None:
        raise StaleStatement(stale_message())


# --- keys and order --------------------------------------------------------------------


def slug_of(text: str, max_length: int = SLUG_LENGTH) -> str:
    """The name part of a key from a German ``text``: ASCII (ä → ae, ö → oe, ü → ue,
    ß → ss, other accents dropped), lower case, words joined by ``_``, whole words up to
    ``max_length`` characters; ``aussage`` when no letter or digit is left."""
    plain = unicodedata.normalize("NFC", text).translate(_GERMAN_LETTERS)
    ascii_text = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        longer = f"{slug}_{word}" if slug else word
        if len(longer) > max_length:
            break
        slug = longer
    if not slug and words:  # a first word longer than the limit
        slug = words[0][:max_length]
    return slug or FALLBACK_SLUG


def free_key(session: Session, category: BarrierCategory, text: str) -> str:
    """A key for a new statement, ``<category>.<slug>``, that no row has ever had (retired
    ones included, so that a key never names two different statements): ``_2``, ``_3``, …
    is added on a clash."""
    base = f"{category.value}.{slug_of(text)}"
    taken = set(
        session.scalars(
            select(SelfcheckStatement.key).where(
                SelfcheckStatement.key.startswith(base, autoescape=True)
            )
        )
    )
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}_{number}"
    return key


def _insertion_index(rows: Sequence[SelfcheckStatement], category: BarrierCategory) -> int:
    """Where a statement of ``category`` joins the current ``rows`` (in order): after the
    last one of its category, or, when it has none, after the last one of the categories
    before it."""
    same = [index for index, row in enumerate(rows) if row.category == category]
    if same:
        return same[-1] + 1
    earlier = [
        index
        for index, row in enumerate(rows)
        if _CATEGORY_ORDER[row.category] < _CATEGORY_ORDER[category]
    ]
    return earlier[-1] + 1 if earlier else 0


def _renumber(rows: Sequence[SelfcheckStatement]) -> None:
    """Positions 1…n in the order of ``rows`` (only rows whose position changes are
    written). Rounds keep their own order, so this changes no round under way."""
    for position, row in enumerate(rows, start=1):
        if row.position != position:
            row.position = position


def _current_locked(session: Session) -> list[SelfcheckStatement]:
    """The current statements in order, locked (PostgreSQL) against a reordering at the same
    moment: positions are renumbered across all of them."""
    return list(
        session.scalars(
            select(SelfcheckStatement)
            .where(SelfcheckStatement.retired_at.is_(None))
            .order_by(SelfcheckStatement.position, SelfcheckStatement.id)
            .with_for_update()
        )
    )


def _add_in_order(session: Session, statement: SelfcheckStatement) -> None:
    """Give the new ``statement`` its place at the end of its category."""
    rows = _current_locked(session)
    rows.insert(_insertion_index(rows, statement.category), statement)
    _renumber(rows)
    session.add(statement)
    session.flush()


# --- changes ---------------------------------------------------------------------------


def add_statement(
    session: Session,
    *,
    category: BarrierCategory | str,
    text: str | None,
    actor: StaffMember,
    now: datetime,
) -> SelfcheckStatement:
    """Add a statement to the questionnaire: version 1 under a new key (``free_key``), at the
    end of its category. Rounds opened from now on ask it; rounds under way do not.

    Refused (``QuestionnaireError``) for an unknown category and a text that
    ``clean_statement_text`` refuses. One ``selfcheck.statement_added`` event; flushed (two
    admins adding the same wording at once clash on the key: ``IntegrityError``)."""
    barrier = category_of(category)
    cleaned = clean_statement_text(text)
    statement = SelfcheckStatement(
        key=free_key(session, barrier, cleaned),
        version=1,
        category=barrier,
        text=cleaned,
        position=0,
        created_at=now,
        created_by_id=actor.id,
    )
    _add_in_order(session, statement)
    record(
        session,
        actor=actor,
        action="selfcheck.statement_added",
        object_type=OBJECT_TYPE,
        object_id=statement.id,
        changes={
            "key": statement.key,
            "version": statement.version,
            "category": barrier,
            "text": statement.text,
            "position": statement.position,
        },
        at=now,
    )
    session.flush()
    return statement


def revise_statement(
    session: Session,
    statement: SelfcheckStatement,
    *,
    text: str | None,
    actor: StaffMember,
    now: datetime,
) -> SelfcheckStatement:
    """Give a statement new wording: ``statement`` (the version the form was shown for) is
    retired and the next version, with the same key, category and place, becomes current.
    Answers and rounds that point at ``statement`` keep its words; rounds opened from now on
    ask the new ones. Returns the new version.

    Refused with ``StaleStatement`` when ``statement`` is no longer current (revised or
    retired since the form was shown), and with ``QuestionnaireError`` (field ``text``) for a
    text ``clean_statement_text`` refuses or that is unchanged. One
    ``selfcheck.statement_revised`` event on the new row; flushed. A concurrent revision of
    the same statement fails at the flush (``IntegrityError``: one current row per key)."""
    _lock_current(session, statement)
    cleaned = clean_statement_text(text)
    if cleaned == statement.text:
        raise QuestionnaireError(
            _("Der Wortlaut ist unverändert; es wurde keine neue Fassung angelegt."), "text"
        )
    statement.retired_at = now
    # The old row stops being current before the new one is written (partial unique index).
    session.flush()
    revised = SelfcheckStatement(
        key=statement.key,
        version=statement.version + 1,
        category=statement.category,
        text=cleaned,
        position=statement.position,
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(revised)
    session.flush()
    record(
        session,
        actor=actor,
        action="selfcheck.statement_revised",
        object_type=OBJECT_TYPE,
        object_id=revised.id,
        changes={
            "key": revised.key,
            "version": [statement.version, revised.version],
            "text": [statement.text, revised.text],
            "replaces": statement.id,
        },
        at=now,
    )
    session.flush()
    return revised


def retire_statement(
    session: Session, statement: SelfcheckStatement, *, actor: StaffMember, now: datetime
) -> None:
    """Take a statement out of the questionnaire: rounds opened from now on no longer ask
    it; rounds under way and their answers keep it.

    Refused with ``StaleStatement`` when ``statement`` is no longer current, and with
    ``QuestionnaireError`` when it is the last current statement (a round needs at least
    one). One ``selfcheck.statement_retired`` event; flushed."""
    _lock_current(session, statement)
    # Locked too, so that two admins retiring the last two statements at once cannot
    # leave none (FOR UPDATE allows no count(), hence the ids).
    current = session.scalars(
        select(SelfcheckStatement.id)
        .where(SelfcheckStatement.retired_at.is_(None))
        .with_for_update()
    ).all()
    if len(set(current) - {statement.id}) == 0:
        raise QuestionnaireError(
            _(
                "Das ist die letzte Aussage des Fragebogens; sie kann nicht zurückgezogen "
                "werden. Ein Selbstcheck braucht mindestens eine Aussage."
            )
        )
    statement.retired_at = now
    record(
        session,
        actor=actor,
        action="selfcheck.statement_retired",
        object_type=OBJECT_TYPE,
        object_id=statement.id,
        changes={
            "key": statement.key,
            "version": statement.version,
            "retired_at": [None, now],
        },
        at=now,
    )
    session.flush()


def restore_statement(
    session: Session, statement: SelfcheckStatement, *, actor: StaffMember, now: datetime
) -> SelfcheckStatement:
    """Bring a retired statement back: a new version of its key with the words of
    ``statement`` (its last version), at the end of its category. Returns the new version.

    Refused with ``StaleStatement`` when ``statement`` is not the retired last version of a
    key without a current version (restored or revised since the page was shown). One
    ``selfcheck.statement_restored`` event on the new row; flushed (a concurrent restore
    fails there: ``IntegrityError``)."""
    session.refresh(statement, with_for_update=True)
    latest = session.scalar(
        select(func.max(SelfcheckStatement.version)).where(SelfcheckStatement.key == statement.key)
    )
    if statement.retired_at is None or latest != statement.version:
        raise StaleStatement(stale_message())
    restored = SelfcheckStatement(
        key=statement.key,
        version=statement.version + 1,
        category=statement.category,
        text=statement.text,
        position=0,
        created_at=now,
        created_by_id=actor.id,
    )
    _add_in_order(session, restored)
    record(
        session,
        actor=actor,
        action="selfcheck.statement_restored",
        object_type=OBJECT_TYPE,
        object_id=restored.id,
        changes={
            "key": restored.key,
            "version": [statement.version, restored.version],
            "text": restored.text,
            "restores": statement.id,
        },
        at=now,
    )
    session.flush()
    return restored


def move_statement(
    session: Session,
    statement: SelfcheckStatement,
    *,
    up: bool,
    actor: StaffMember,
    now: datetime,
) -> None:
    """Swap ``statement`` with its neighbour above (``up``) or below in its category; rounds
    opened from now on ask in the new order.

    Refused with ``StaleStatement`` when ``statement`` is no longer current, and with
    ``QuestionnaireError`` when it is already first (last) in its category. One
    ``selfcheck.statement_moved`` event; flushed."""
    _lock_current(session, statement)
    rows = _current_locked(session)
    index = rows.index(statement)
    step = -1 if up else 1
    neighbour = index + step
    while 0 <= neighbour < len(rows) and rows[neighbour].category != statement.category:
        neighbour += step
    if not 0 <= neighbour < len(rows):
        raise QuestionnaireError(
            _("Die Aussage steht bereits an erster Stelle ihrer Kategorie.")
            if up
            else _("Die Aussage steht bereits an letzter Stelle ihrer Kategorie.")
        )
    old_position = statement.position
    rows[index], rows[neighbour] = rows[neighbour], rows[index]
    _renumber(rows)
    record(
        session,
        actor=actor,
        action="selfcheck.statement_moved",
        object_type=OBJECT_TYPE,
        object_id=statement.id,
        changes={"key": statement.key, "position": [old_position, statement.position]},
        at=now,
    )
    session.flush()


# --- reading ---------------------------------------------------------------------------


def current_by_category(
    session: Session,
) -> list[tuple[BarrierCategory, list[SelfcheckStatement]]]:
    """The current questionnaire by category (``BarrierCategory`` order, categories without
    a current statement left out), each in the order asked. One query."""
    rows = sorted(
        current_statements(session),
        key=lambda row: (_CATEGORY_ORDER[row.category], row.position, row.id),
    )
    return [(category, list(group)) for category, group in groupby(rows, lambda r: r.category)]


def retired_statements(session: Session) -> list[SelfcheckStatement]:
    """The last version of every key without a current version, most recently retired
    first. One query."""
    other = aliased(SelfcheckStatement)
    newer_or_current = (
        select(other.id)
        .where(
            other.key == SelfcheckStatement.key,
            (other.version > SelfcheckStatement.version) | other.retired_at.is_(None),
        )
        .exists()
    )
    return list(
        session.scalars(
            select(SelfcheckStatement)
            .where(SelfcheckStatement.retired_at.is_not(None), ~newer_or_current)
            .order_by(SelfcheckStatement.retired_at.desc(), SelfcheckStatement.key)
        )
    )


def versions_of(session: Session, key: str) -> list[SelfcheckStatement]:
    """Every version of ``key``, oldest first; empty for an unknown or malformed key."""
    if not KEY.match(key):
        return []
    return list(
        session.scalars(
            select(SelfcheckStatement)
            .where(SelfcheckStatement.key == key)
            .order_by(SelfcheckStatement.version)
        )
    )


def answer_counts(session: Session, statement_ids: Sequence[int]) -> dict[int, int]:
    """How many submitted answers (a rating or "weiß nicht") each of ``statement_ids`` got;
    ids without any are left out. One query."""
    if not statement_ids:
        return {}
    rows = session.execute(
        select(SelfcheckAnswer.statement_id, func.count())
        .join(SelfcheckResponse, SelfcheckResponse.id == SelfcheckAnswer.response_id)
        .where(
            SelfcheckAnswer.statement_id.in_(statement_ids),
            SelfcheckResponse.submitted_at.is_not(None),
            SelfcheckAnswer.rating.is_not(None) | SelfcheckAnswer.dont_know,
        )
        .group_by(SelfcheckAnswer.statement_id)
    )
    return {statement_id: count for statement_id, count in rows}


@dataclass(frozen=True)
class History:
    """A key's versions, oldest first, with how many answers each got."""

    versions: list[SelfcheckStatement]
    answers: dict[int, int]

    @property
    def current(self) -> SelfcheckStatement | None:
        return next((row for row in self.versions if row.retired_at is None), None)

    @property
    def latest(self) -> SelfcheckStatement:
        return self.versions[-1]

    def answers_of(self, statement: SelfcheckStatement) -> int:
        return self.answers.get(statement.id, 0)


def history_of(session: Session, key: str) -> History | None:
    """The versions of ``key`` with their answer counts (two queries); None for a key no
    row has."""
    versions = versions_of(session, key)
    if not versions:
        return None
    return History(versions, answer_counts(session, [row.id for row in versions]))


def statement_by_id(session: Session, statement_id: int) -> SelfcheckStatement | None:
    return session.get(SelfcheckStatement, statement_id)
