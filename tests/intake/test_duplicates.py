"""duplicates_for: same organisation name or contact email within 12 months, never anonymised."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from caseflow.intake.queries import DuplicateHint, duplicates_for
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")


def _at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in Berlin time, as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def _application(session, name: str, email: str, submitted_at: datetime, **fields):
    return factories.make_application(
        session,
        organisation_name=name,
        contact_email=email,
        submitted_at=submitted_at,
        **fields,
    )


def test_organisation_names_match_ignoring_case_accents_and_spacing(session):
    first = _application(session, "Bezirksamt Neukölln", "a@amt.example.org", _at(2025, 1, 10))
    second = _application(session, "bezirksamt  neukolln ", "b@amt.example.org", _at(2025, 2, 1))
    other = _application(session, "Bezirksamt Neukölln Süd", "c@amt.example.org", _at(2025, 2, 2))
    found = duplicates_for(session, [first, second, other])
    assert found == {
        first.id: [DuplicateHint(second.id, second.reference, same_name=True, same_email=False)],
        second.id: [DuplicateHint(first.id, first.reference, same_name=True, same_email=False)],
        other.id: [],
    }


def test_contact_emails_match_ignoring_case(session):
    first = _application(session, "Jugendamt Mitte", "Info@Jugendamt.Example.org", _at(2025, 1, 3))
    second = _application(session, "Familienzentrum", "info@jugendamt.example.org", _at(2025, 5, 3))
    found = duplicates_for(session, [first, second])
    assert found[first.id] == [
        DuplicateHint(second.id, second.reference, same_name=False, same_email=True)
    ]
    assert found[second.id] == [
        DuplicateHint(first.id, first.reference, same_name=False, same_email=True)
    ]


def test_same_name_and_same_email_is_one_hint_with_both_reasons(session):
    first = _application(session, "Sozialamt Spandau", "amt@spandau.example.org", _at(2025, 1, 3))
    second = _application(session, "Sozialamt Spandau", "AMT@spandau.example.org", _at(2025, 1, 4))
    found = duplicates_for(session, [first])
    assert found == {
        first.id: [DuplicateHint(second.id, second.reference, same_name=True, same_email=True)]
    }


def test_the_other_application_need_not_be_among_those_asked_about(session):
    """The application page asks about one application; its duplicates are found anyway."""
    earlier = _application(session, "Klinikum Ost", "x@klinikum.example.org", _at(2024, 9, 1))
    later = _application(session, "KLINIKUM OST", "y@klinikum.example.org", _at(2025, 6, 30))
    assert duplicates_for(session, [later]) == {
        later.id: [DuplicateHint(earlier.id, earlier.reference, same_name=True, same_email=False)]
    }


@pytest.mark.parametrize(
    ("later_at", "is_duplicate"),
    [
        (_at(2025, 3, 15, 23, 59), True),  # exactly 12 months later (Berlin calendar days)
        (_at(2025, 3, 16, 0, 1), False),  # one day more
        (_at(2023, 3, 15, 8, 0), True),  # 12 months earlier
        (_at(2023, 3, 14, 23, 0), False),
    ],
)
def test_twelve_months_apart_at_most(session, later_at, is_duplicate):
    # 2024-03-15 00:30 in Berlin is still 2024-03-14 in UTC: days count in Berlin time.
    base = _application(session, "Pflegeheim Am See", "a@see.example.org", _at(2024, 3, 15, 0, 30))
    other = _application(session, "Pflegeheim am See", "b@see.example.org", later_at)
    found = duplicates_for(session, [base, other])
    assert bool(found[base.id]) is is_duplicate
    assert bool(found[other.id]) is is_duplicate


def test_anonymised_applications_never_match(session):
    moment = datetime(2025, 8, 1, 3, 0, tzinfo=UTC)
    kept = _application(session, "Bürgeramt Pankow", "amt@pankow.example.org", _at(2025, 1, 10))
    anonymised = _application(
        session,
        "Bürgeramt Pankow",
        "amt@pankow.example.org",
        _at(2025, 2, 10),
        anonymised_at=moment,
    )
    found = duplicates_for(session, [kept, anonymised])
    assert found == {kept.id: [], anonymised.id: []}


def test_every_match_is_named_ordered_by_reference(session):
    apps = [
        _application(session, "Gesundheitsamt Mitte", f"{n}@mitte.example.org", _at(2025, 1, n))
        for n in (1, 2, 3)
    ]
    apps.append(_application(session, "Anderes Amt", "3@mitte.example.org", _at(2024, 12, 20)))
    first, second, third, by_email = apps
    found = duplicates_for(session, apps)
    assert [hint.other_reference for hint in found[first.id]] == [
        second.reference,
        third.reference,
    ]
    assert found[third.id] == [
        DuplicateHint(by_email.id, by_email.reference, same_name=False, same_email=True),
        DuplicateHint(first.id, first.reference, same_name=True, same_email=False),
        DuplicateHint(second.id, second.reference, same_name=True, same_email=False),
    ]
    assert by_email.reference.startswith("DF-2024-")


def test_one_statement_however_many_applications(session, count_queries):
    few = [
        _application(session, f"Amt {n % 2}", f"{n}@amt.example.org", _at(2025, 1, 1 + n))
        for n in range(2)
    ]
    many = few + [
        _application(session, f"Amt {n % 3}", f"{n}@amt.example.org", _at(2025, 2, 1 + n))
        for n in range(2, 20)
    ]
    with count_queries() as small:
        duplicates_for(session, few)
    with count_queries() as large:
        found = duplicates_for(session, many)
    with count_queries() as none:
        assert duplicates_for(session, []) == {}
    assert (small.count, large.count, none.count) == (1, 1, 0)
    assert len(found) == 20
    assert all(found[application.id] for application in many)
