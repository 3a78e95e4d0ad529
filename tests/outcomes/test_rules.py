"""The Selbstcheck's arithmetic against a hand-built example: several people per round,
"weiß nicht" and left-out answers, a reworded statement, one asked only in the later round."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from caseflow.engagements.models import BarrierCategory
from caseflow.outcomes.rules import (
    DONT_KNOW_LABEL,
    Rating,
    Response,
    Statement,
    combine,
    compare,
    score_of,
)

SPRACHE = BarrierCategory.SPRACHE_INFORMATION
VERFAHREN = BarrierCategory.VERFAHREN_FORMULARE
DATEN = BarrierCategory.DATEN_MONITORING
R = Rating

S1 = Statement("sprache_information.dolmetschen", SPRACHE, "Wir ziehen Dolmetschende hinzu.")
S2_OLD = Statement("sprache_information.leichte_sprache", SPRACHE, "Briefe sind verständlich.")
S2_NEW = Statement(
    "sprache_information.leichte_sprache", SPRACHE, "Unsere Briefe sind in einfacher Sprache."
)
S3 = Statement("daten_monitoring.zugang", DATEN, "Wir wissen, wer uns nicht erreicht.")
S4 = Statement("daten_monitoring.auswertung", DATEN, "Wir werten Beschwerden aus.")
S5 = Statement("verfahren_formulare.termine", VERFAHREN, "Termine gibt es ohne Online-Konto.")

BEFORE = [S1, S2_OLD, S3, S5]
BEFORE_RESPONSES = [
    Response({S1.key: R(2), S2_OLD.key: None, S3.key: R(1), S5.key: R(4)}),
    Response({S1.key: R(3), S2_OLD.key: R(2), S5.key: R(4)}),  # S3 left out
    Response({S1.key: R(1), S2_OLD.key: None, S3.key: None}),  # S5 left out
]
AFTER = [S1, S2_NEW, S3, S4, S5]
AFTER_RESPONSES = [
    Response({S1.key: R(4), S2_NEW.key: R(2), S3.key: R(1), S4.key: None, S5.key: R(2)}),
    Response({S1.key: R(3), S2_NEW.key: R(3), S3.key: R(1), S4.key: None, S5.key: R(3)}),
]
THIRD = 100 / 3


def test_the_scale_runs_from_0_to_100() -> None:
    assert [score_of(rating) for rating in Rating] == pytest.approx([0, THIRD, 2 * THIRD, 100])


def test_several_respondents_with_dont_know_and_missing_answers() -> None:
    result = combine(BEFORE, BEFORE_RESPONSES)

    assert result.respondents == 3
    s1, s2, s3, s5 = result.statements
    assert (s1.ratings, s1.dont_know, s1.missing) == ((2, 3, 1), 0, 0)
    assert s1.mean == 2 and s1.score == pytest.approx(THIRD) and s1.spread == 2
    # Two said "weiß nicht": the one rating stands alone, and the result says so.
    assert (s2.ratings, s2.dont_know, s2.missing) == ((2,), 2, 0)
    assert s2.score == pytest.approx(THIRD) and s2.spread == 0
    assert (s3.ratings, s3.dont_know, s3.missing) == ((1,), 1, 1)
    assert s3.score == 0
    assert (s5.ratings, s5.missing, s5.score) == ((4, 4), 1, 100)

    # Categories in the order of the register, each statement weighing the same.
    assert [category.category for category in result.categories] == [SPRACHE, VERFAHREN, DATEN]
    sprache = result.category(SPRACHE)
    assert sprache is not None and sprache.score == pytest.approx(THIRD) and sprache.rated == 2
    assert result.category(VERFAHREN).score == 100  # type: ignore[union-attr]
    assert result.category(DATEN).score == 0  # type: ignore[union-attr]
    assert result.score == pytest.approx((THIRD + 100 + 0) / 3)


def test_a_statement_nobody_rated_has_no_score_and_does_not_pull_its_category_down() -> None:
    result = combine(AFTER, AFTER_RESPONSES)

    s4 = result.statement(S4.key)
    assert s4 is not None
    assert (s4.ratings, s4.dont_know, s4.missing, s4.score) == ((), 2, 0, None)
    daten = result.category(DATEN)
    assert daten is not None and daten.rated == 1 and daten.score == 0  # S3 alone


def test_no_answers_at_all() -> None:
    result = combine(BEFORE, [])
    assert result.respondents == 0
    assert all(item.score is None and item.missing == 0 for item in result.statements)
    assert result.score is None


def test_before_and_after_by_category_and_the_statements_that_moved_most() -> None:
    comparison = compare(combine(BEFORE, BEFORE_RESPONSES), combine(AFTER, AFTER_RESPONSES))

    by_category = {item.category: item for item in comparison.categories}
    # Sprache: (33.3 + 33.3) / 2 → (83.3 + 50) / 2; Verfahren 100 → 50; Daten 0 → 0.
    assert by_category[SPRACHE].before == pytest.approx(THIRD)
    assert by_category[SPRACHE].after == pytest.approx(2 * THIRD)
    assert by_category[SPRACHE].change == pytest.approx(THIRD)
    assert (by_category[VERFAHREN].before, by_category[VERFAHREN].after) == (100, 50)
    assert by_category[VERFAHREN].change == -50
    assert by_category[DATEN].change == 0
    assert comparison.overall.before == pytest.approx((THIRD + 100) / 3)
    assert comparison.overall.after == pytest.approx((2 * THIRD + 50) / 3)

    # S4 was not asked before: it has no comparison. S2 was reworded: both texts are kept.
    assert [item.key for item in comparison.statements] == [S1.key, S2_NEW.key, S3.key, S5.key]
    s2 = comparison.statements[1]
    assert (s2.text, s2.earlier_text) == (S2_NEW.text, S2_OLD.text)
    assert comparison.statements[0].earlier_text is None

    # Largest change either way first (S1 +50 and S5 -50 tie: the order asked), S2 +16.7;
    # S3 did not move.
    moved = comparison.moved_most()
    assert [item.key for item in moved] == [S1.key, S5.key, S2_NEW.key]
    assert [item.change for item in moved] == pytest.approx([50, -50, 50 / 3])
    assert comparison.moved_most(1) == moved[:1]


def test_answers_the_round_did_not_ask_or_that_are_no_rating_are_refused() -> None:
    with pytest.raises(ValueError, match="did not ask"):
        combine([S1], [Response({S1.key: R(2), S3.key: R(2)})])
    with pytest.raises(ValueError, match="not a rating"):
        combine([S1], [Response({S1.key: 5})])  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="once"):
        combine([S1, S1], [])


def test_the_scale_is_worded_in_german_and_english(app) -> None:
    with app.test_request_context("/"):
        assert [rating.label for rating in Rating] == [
            "trifft nicht zu",
            "trifft eher nicht zu",
            "trifft eher zu",
            "trifft voll zu",
        ]
        assert str(DONT_KNOW_LABEL) == "weiß nicht"
        with force_locale("en"):
            assert Rating.TRIFFT_EHER_ZU.label == "rather applies"
            assert str(DONT_KNOW_LABEL) == "don't know"
