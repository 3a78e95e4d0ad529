"""The Selbstcheck's shipped statements: every barrier category asked, keys that last, texts
short enough to read on a phone; and the checks that keep a broken file from shipping."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from caseflow.engagements.models import BarrierCategory
from caseflow.outcomes.catalogue import MAX_TEXT, CatalogueError, parse, shipped_statements


def test_the_shipped_questionnaire_asks_every_category_three_or_four_times() -> None:
    catalogue = shipped_statements()

    assert catalogue.version == 1
    assert 25 <= len(catalogue.statements) <= 28
    per_category = Counter(statement.category for statement in catalogue.statements)
    assert set(per_category) == set(BarrierCategory)
    assert all(3 <= count <= 4 for count in per_category.values()), per_category
    # In the order of the barrier register, so that a round reads category by category.
    order = list(BarrierCategory)
    positions = [order.index(statement.category) for statement in catalogue.statements]
    assert positions == sorted(positions)
    assert len({statement.text for statement in catalogue.statements}) == len(catalogue.statements)
    assert all(len(statement.text) <= MAX_TEXT for statement in catalogue.statements)


def _file(*statements: dict[str, Any], version: Any = 1) -> dict[str, Any]:
    return {"version": version, "statements": list(statements)}


GOOD = {"key": "daten_monitoring.zugang", "category": "daten_monitoring", "text": "Wir zählen."}


def test_a_good_file_is_read() -> None:
    catalogue = parse(_file(GOOD))
    [statement] = catalogue.statements
    assert (statement.key, statement.category, statement.text) == (
        "daten_monitoring.zugang",
        BarrierCategory.DATEN_MONITORING,
        "Wir zählen.",
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"statements": [GOOD]}, "no version"),
        (_file(GOOD, version=0), "not a positive whole number"),
        (_file(), "no statements"),
        (_file({**GOOD, "key": "Daten.Zugang"}), "no usable key"),
        (_file(GOOD, GOOD), "there twice"),
        (_file({**GOOD, "category": "wetter", "key": "wetter.x"}), "unknown category"),
        (_file({**GOOD, "key": "sprache_information.x"}), "does not begin with its category"),
        (_file({**GOOD, "text": "  "}), "no text on one line"),
        (_file({**GOOD, "text": "Zwei\nZeilen"}), "no text on one line"),
        (_file({**GOOD, "text": "x" * (MAX_TEXT + 1)}), "longer than"),
    ],
)
def test_a_broken_file_is_refused_with_the_reason(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        parse(raw)
