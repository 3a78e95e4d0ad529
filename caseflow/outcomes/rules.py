"""The Selbstcheck's arithmetic (issue 9): combining the answers of several people of one
client organisation, and comparing the round at the start with the round near the end.

Plain values in, plain values out; no database. A statement is rated on four steps, from
"trifft nicht zu" (1) to "trifft voll zu" (4), where agreeing always means the good practice
is in place; "weiß nicht" is an answer without a rating, and a statement someone left out has
no answer at all.

- A **statement's result** is the mean of the ratings it got, "weiß nicht" and missing
  answers left out (they are counted, so that a thin result shows as thin). Its **score** puts
  the mean on 0 to 100: 1 → 0, 4 → 100.
- A **category's score** is the mean of its statements' scores: every statement weighs the
  same, however many people rated it. Statements nobody rated do not count; the category says
  how many of its statements were rated.
- **Before and after** are compared by the statements' keys (a statement keeps its key when
  its wording is revised), per category and per statement; the statements that moved most
  are those with the largest change of score, either way.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from caseflow.engagements.models import BarrierCategory
from caseflow.translating import lazy_gettext as _l


class Rating(enum.IntEnum):
    """How far a statement holds for the organisation."""

    TRIFFT_NICHT_ZU = 1
    TRIFFT_EHER_NICHT_ZU = 2
    TRIFFT_EHER_ZU = 3
    TRIFFT_VOLL_ZU = 4

    @property
    def label(self) -> str:
        return str(RATING_LABELS[self])


RATING_LABELS = {
    Rating.TRIFFT_NICHT_ZU: _l("trifft nicht zu"),
    Rating.TRIFFT_EHER_NICHT_ZU: _l("trifft eher nicht zu"),
    Rating.TRIFFT_EHER_ZU: _l("trifft eher zu"),
    Rating.TRIFFT_VOLL_ZU: _l("trifft voll zu"),
}
DONT_KNOW_LABEL = _l("weiß nicht")


@dataclass(frozen=True)
class Statement:
    """One statement as a round asked it: its lasting key, category and wording."""

    key: str
    category: BarrierCategory
    text: str


@dataclass(frozen=True)
class Response:
    """What one person answered: statement key → rating, or None for "weiß nicht"; a key
    that is absent was left out."""

    answers: Mapping[str, Rating | None]


def score_of(mean: float) -> float:
    """A mean rating (1 to 4) on 0 to 100."""
    return (mean - Rating.TRIFFT_NICHT_ZU) / (Rating.TRIFFT_VOLL_ZU - Rating.TRIFFT_NICHT_ZU) * 100


@dataclass(frozen=True)
class StatementResult:
    """A statement's answers in one round."""

    statement: Statement
    ratings: tuple[Rating, ...]  # in the order of the responses
    dont_know: int
    missing: int

    @property
    def mean(self) -> float | None:
        return fmean(self.ratings) if self.ratings else None

    @property
    def score(self) -> float | None:
        mean = self.mean
        return None if mean is None else score_of(mean)

    @property
    def spread(self) -> int:
        """Steps between the lowest and the highest rating (0: all agree): where people of
        one organisation see it differently, that is worth a conversation."""
        return max(self.ratings) - min(self.ratings) if self.ratings else 0


@dataclass(frozen=True)
class CategoryResult:
    category: BarrierCategory
    statements: tuple[StatementResult, ...]

    @property
    def rated(self) -> int:
        """How many of its statements got at least one rating."""
        return sum(1 for result in self.statements if result.ratings)

    @property
    def score(self) -> float | None:
        scores = [result.score for result in self.statements if result.score is not None]
        return fmean(scores) if scores else None


@dataclass(frozen=True)
class RoundResult:
    """The combined answers of one round."""

    respondents: int
    statements: tuple[StatementResult, ...]  # in the order asked
    categories: tuple[CategoryResult, ...]  # in the order of BarrierCategory, asked ones only

    @property
    def score(self) -> float | None:
        """The mean of the category scores."""
        scores = [category.score for category in self.categories if category.score is not None]
        return fmean(scores) if scores else None

    def statement(self, key: str) -> StatementResult | None:
        return next((result for result in self.statements if result.statement.key == key), None)

    def category(self, category: BarrierCategory) -> CategoryResult | None:
        return next((result for result in self.categories if result.category == category), None)


def combine(statements: Sequence[Statement], responses: Sequence[Response]) -> RoundResult:
    """The round's result from each person's ``responses`` to ``statements``.

    Raises ``ValueError`` for an answer to a statement the round did not ask, or for a
    rating that is not a ``Rating`` (the form lets neither through)."""
    keys = [statement.key for statement in statements]
    if len(set(keys)) != len(keys):
        raise ValueError("a round asks each statement once")
    asked = set(keys)
    for response in responses:
        unknown = set(response.answers) - asked
        if unknown:
            raise ValueError(f"answers to statements the round did not ask: {sorted(unknown)}")
        for value in response.answers.values():
            if value is not None and not isinstance(value, Rating):
                raise ValueError(f"{value!r} is not a rating")
    results = tuple(
        StatementResult(
            statement=statement,
            ratings=tuple(
                rating
                for response in responses
                if (rating := response.answers.get(statement.key)) is not None
            ),
            dont_know=sum(
                1
                for response in responses
                if statement.key in response.answers and response.answers[statement.key] is None
            ),
            missing=sum(1 for response in responses if statement.key not in response.answers),
        )
        for statement in statements
    )
    categories = tuple(
        CategoryResult(
            category=category,
            statements=tuple(result for result in results if result.statement.category == category),
        )
        for category in BarrierCategory
        if any(statement.category == category for statement in statements)
    )
    return RoundResult(respondents=len(responses), statements=results, categories=categories)


@dataclass(frozen=True)
class Change:
    """A score before and after (None where there was none) and the change."""

    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True, kw_only=True)
class CategoryChange(Change):
    category: BarrierCategory


@dataclass(frozen=True, kw_only=True)
class StatementChange(Change):
    key: str
    text: str  # as the later round asked it
    earlier_text: str | None = None  # as the first round asked it, where that differs


@dataclass(frozen=True)
class Comparison:
    categories: tuple[CategoryChange, ...]
    statements: tuple[StatementChange, ...]  # asked in both rounds, in the later round's order
    overall: Change

    def moved_most(self, count: int = 5) -> list[StatementChange]:
        """Up to ``count`` statements with the largest change of score, either way (scored in
        both rounds, and changed); ties in the order asked."""
        changed = [item for item in self.statements if item.change]
        ranked = sorted(changed, key=lambda item: -abs(item.change or 0))
        return ranked[:count]


def compare(before: RoundResult, after: RoundResult) -> Comparison:
    """Before and after, per category (every category either round asked) and per statement
    asked in both rounds, matched by key."""
    categories = tuple(
        CategoryChange(
            before=None if (first := before.category(category)) is None else first.score,
            after=None if (last := after.category(category)) is None else last.score,
            category=category,
        )
        for category in BarrierCategory
        if before.category(category) is not None or after.category(category) is not None
    )
    statements = []
    for result in after.statements:
        earlier = before.statement(result.statement.key)
        if earlier is None:
            continue
        statements.append(
            StatementChange(
                before=earlier.score,
                after=result.score,
                key=result.statement.key,
                text=result.statement.text,
                earlier_text=(
                    earlier.statement.text
                    if earlier.statement.text != result.statement.text
                    else None
                ),
            )
        )
    return Comparison(
        categories=categories,
        statements=tuple(statements),
        overall=Change(before=before.score, after=after.score),
    )
