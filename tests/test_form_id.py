"""``form_id``: the id a form sent, or None for anything that could not be one."""

from __future__ import annotations

import pytest

from caseflow.web.converters import MAX_ID, form_id


@pytest.mark.parametrize(("value", "expected"), [("1", 1), (" 42 ", 42), (str(MAX_ID), MAX_ID)])
def test_ids_a_form_offers(value: str, expected: int) -> None:
    assert form_id(value) == expected


@pytest.mark.parametrize(
    "value", [None, "", " ", "abc", "-1", "1.0", "²", "١٢", str(MAX_ID + 1), "9" * 5000]
)
def test_anything_else_is_none(value: str | None) -> None:
    assert form_id(value) is None
