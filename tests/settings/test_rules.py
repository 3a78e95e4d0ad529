"""Each type of setting turns typed text into a value or refuses it with a German message;
the checks across settings (programme window, durations, session timeouts)."""

from __future__ import annotations

from datetime import date

import pytest

from caseflow.settings.rules import (
    DateKind,
    IntKind,
    IntListKind,
    RateLimitKind,
    RolesKind,
    SenderKind,
    SettingError,
    conflicts,
)


@pytest.fixture(autouse=True)
def _german(app):
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        (DateKind(), "2026-12-31", date(2026, 12, 31)),
        (DateKind(), " 31.12.2026 ", date(2026, 12, 31)),
        (IntKind(1, 50), "7", 7),
        (IntListKind(1, 365, descending=True), "21, 7 ,1", (21, 7, 1)),
        (IntListKind(1, 36, descending=False), "3;6;12", (3, 6, 12)),
        (RateLimitKind(), "30 per 10 minutes", "30 per 10 minutes"),
        (RateLimitKind(), "10/hour;100/day", "10/hour;100/day"),
        (SenderKind(), "DiFair Team <team@example.org>", "DiFair Team <team@example.org>"),
        (SenderKind(), "team@example.org", "team@example.org"),
        (RolesKind(), ["admin", "lead"], ("lead", "admin")),
        (RolesKind(), "admin, consultant", ("consultant", "admin")),
        (RolesKind(), [], ()),
    ],
)
def test_good_values_are_read(kind, raw, value):
    assert kind.parse(raw) == value
    assert kind.from_json(kind.to_json(value)) == value


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (DateKind(), "", "Bitte geben Sie einen Wert an."),
        (DateKind(), "31.02.2026", "gültiges Datum"),
        (DateKind(), "morgen", "gültiges Datum"),
        (DateKind(), "1899-01-01", "Datum zwischen dem 01.01.2000"),
        (IntKind(1, 50), "0", "ganze Zahl zwischen 1 und 50"),
        (IntKind(1, 50), "51", "ganze Zahl zwischen 1 und 50"),
        (IntKind(1, 50), "4,5", "ganze Zahl zwischen 1 und 50"),
        (IntKind(1, 50), "-3", "ganze Zahl zwischen 1 und 50"),
        (IntListKind(1, 365, descending=True), "3, 14", "absteigend"),
        (IntListKind(1, 365, descending=True), "14, 14", "nur einmal"),
        (IntListKind(1, 365, descending=True), "14, 0", "zwischen 1 und 365"),
        (IntListKind(1, 365, descending=True), "vierzehn", "ganze Zahlen"),
        (IntListKind(1, 36, descending=False), "6, 3", "aufsteigend"),
        (IntListKind(1, 36, descending=False), "1, 2, 3, 4, 5, 6", "höchstens 5"),
        (RateLimitKind(), "viele", "30 per 10 minutes"),
        (RateLimitKind(), "0 per minute", "mindestens 1"),
        (RateLimitKind(), "10 per 0 minutes", "30 per 10 minutes"),
        (RateLimitKind(), "10/minute;bad", "30 per 10 minutes"),
        (SenderKind(), "kein-at-zeichen", "Absenderadresse"),
        (SenderKind(), "Team <team@example.org", "Absenderadresse"),
        (SenderKind(), "team@example.org\nBcc: x@example.org", "Absenderadresse"),
        (SenderKind(), "<team@example.org>", "Absenderadresse"),
        (RolesKind(), ["lead", "superuser"], "angebotenen Rollen"),
    ],
)
def test_bad_values_are_refused_in_german(kind, raw, message):
    with pytest.raises(SettingError) as refused:
        kind.parse(raw)
    assert message in str(refused.value)


VALUES = {
    "PROGRAMME_START": date(2024, 4, 1),
    "PROGRAMME_END": date(2026, 7, 31),
    "MIN_DURATION_MONTHS": 6,
    "MAX_DURATION_MONTHS": 18,
    "SESSION_IDLE_MINUTES": 120,
    "SESSION_ABSOLUTE_HOURS": 12,
}


def test_the_defaults_fit_together():
    assert conflicts(VALUES) == []


@pytest.mark.parametrize(
    ("changed", "keys", "message"),
    [
        (
            {"PROGRAMME_END": date(2024, 4, 1)},
            ("PROGRAMME_END", "PROGRAMME_START"),
            "nach seinem Beginn",
        ),
        (
            {"PROGRAMME_END": date(2024, 9, 29)},
            ("PROGRAMME_END",),
            "kürzer als die Mindestlaufzeit",
        ),
        (
            {"MIN_DURATION_MONTHS": 19},
            ("MIN_DURATION_MONTHS",),
            "nicht länger sein als die Höchstlaufzeit",
        ),
        ({"SESSION_IDLE_MINUTES": 800}, ("SESSION_IDLE_MINUTES",), "Inaktivität"),
    ],
)
def test_values_that_do_not_fit_together(changed, keys, message):
    [conflict] = conflicts(VALUES | changed)
    assert set(keys) <= set(conflict.keys)
    assert message in conflict.message


def test_a_programme_exactly_as_long_as_the_minimum_fits():
    # 01.04.2024 + 6 months − 1 day = 30.09.2024
    assert conflicts(VALUES | {"PROGRAMME_END": date(2024, 9, 30)}) == []
