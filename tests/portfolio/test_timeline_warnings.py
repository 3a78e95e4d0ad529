"""The timeline's warning rules (portfolio/warnings.py) over plain data, boundaries included.

The rules are pure; the ``app`` fixture only gives them the German locale for their messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from caseflow.engagements.models import EngagementStatus, MilestoneStatus
from caseflow.portfolio.warnings import (
    WarningKind,
    duration_out_of_range,
    ends_after_programme,
    long_overdue_milestones,
    missing_lead,
    paused_too_long,
    warnings_for,
)

pytestmark = pytest.mark.usefixtures("app")

PROGRAMME_END = date(2026, 7, 31)
TODAY = date(2025, 3, 10)


@dataclass
class Milestone:
    title: str
    due_date: date
    status: MilestoneStatus = MilestoneStatus.OFFEN


@dataclass
class Facts:
    status: EngagementStatus = EngagementStatus.AKTIV
    start_date: date = date(2025, 1, 1)
    planned_end_date: date = date(2025, 12, 31)
    lead_name: str | None = "Lea Leitung"
    lead_is_active: bool = True
    status_changed_on: date = date(2025, 1, 1)
    milestones: list[Milestone] = field(default_factory=list)


# (a) the planned end after the programme end


def test_an_end_on_the_programme_end_is_fine():
    assert ends_after_programme(date(2026, 7, 31), PROGRAMME_END) is None


def test_an_end_a_day_after_the_programme_end_is_named_with_both_dates():
    warning = ends_after_programme(date(2026, 8, 31), PROGRAMME_END)
    assert warning is not None
    assert warning.kind is WarningKind.ENDS_AFTER_PROGRAMME
    assert warning.message == (
        "endet am 31.08.2026, nach dem Ende des Förderzeitraums (31.07.2026)"
    )
    assert ends_after_programme(date(2026, 8, 1), PROGRAMME_END) is not None


# (b) 6 to 18 months: end ≥ start + 6 months − 1 day and ≤ start + 18 months − 1 day


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2025, 1, 1), date(2025, 6, 30)),  # exactly 6 months
        (date(2025, 1, 1), date(2026, 6, 30)),  # exactly 18 months
        (date(2025, 8, 31), date(2026, 2, 27)),  # 6 months, clipped to February's end
        (date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_durations_from_6_to_18_months_are_fine(start, end):
    assert duration_out_of_range(start, end) is None


def test_a_day_short_of_6_months_is_too_short():
    warning = duration_out_of_range(date(2025, 1, 1), date(2025, 6, 29))
    assert warning is not None
    assert warning.kind is WarningKind.TOO_SHORT
    assert warning.message == (
        "dauert vom 01.01.2025 bis zum 29.06.2025, kürzer als 6 Monate "
        "(Ende frühestens am 30.06.2025)"
    )


def test_the_month_end_rule_makes_the_day_before_the_clipped_date_too_short():
    # 2025-08-31 + 6 months = 2026-02-28, so the earliest end is 2026-02-27.
    warning = duration_out_of_range(date(2025, 8, 31), date(2026, 2, 26))
    assert warning is not None and warning.kind is WarningKind.TOO_SHORT


def test_a_day_over_18_months_is_too_long():
    warning = duration_out_of_range(date(2025, 1, 1), date(2026, 7, 1))
    assert warning is not None
    assert warning.kind is WarningKind.TOO_LONG
    assert warning.message == (
        "dauert vom 01.01.2025 bis zum 01.07.2026, länger als 18 Monate "
        "(Ende spätestens am 30.06.2026)"
    )


# (c) open milestones overdue by more than 14 days


def test_exactly_14_days_overdue_is_no_warning_yet():
    milestones = [Milestone("Zielworkshop", date(2025, 2, 24))]  # 14 days before TODAY
    assert long_overdue_milestones(milestones, TODAY) is None


def test_15_days_overdue_is_a_warning_naming_the_milestone():
    milestones = [Milestone("Zielworkshop", date(2025, 2, 23))]
    warning = long_overdue_milestones(milestones, TODAY)
    assert warning is not None
    assert warning.kind is WarningKind.LONG_OVERDUE
    assert warning.message == (
        "1 offener Meilenstein ist seit mehr als 14 Tagen überfällig: "
        "„Zielworkshop“, fällig am 23.02.2025 (15 Tage)"
    )


def test_several_late_milestones_are_counted_and_the_oldest_is_named():
    milestones = [
        Milestone("Zielworkshop", date(2025, 2, 1)),
        Milestone("Erstgespräch", date(2025, 1, 10)),
        Milestone("Selbstcheck", date(2025, 3, 1)),  # 9 days: not counted
        Milestone("Analysebericht", date(2025, 1, 2), MilestoneStatus.ERLEDIGT),
        Milestone("Fortbildung", date(2025, 1, 3), MilestoneStatus.ENTFALLEN),
    ]
    warning = long_overdue_milestones(milestones, TODAY)
    assert warning is not None
    assert warning.message == (
        "2 offene Meilensteine sind seit mehr als 14 Tagen überfällig, am längsten "
        "„Erstgespräch“, fällig am 10.01.2025 (59 Tage)"
    )


def test_done_and_dropped_milestones_are_never_overdue():
    milestones = [
        Milestone("Analysebericht", date(2024, 6, 1), MilestoneStatus.ERLEDIGT),
        Milestone("Fortbildung", date(2024, 6, 1), MilestoneStatus.ENTFALLEN),
    ]
    assert long_overdue_milestones(milestones, TODAY) is None


# (d) no lead consultant


def test_an_engagement_without_a_lead_is_named():
    warning = missing_lead(None)
    assert warning is not None
    assert (warning.kind, warning.message) == (WarningKind.NO_LEAD, "hat keine Federführung")
    assert missing_lead("Lea Leitung") is None


def test_an_inactive_lead_is_named_as_no_longer_active():
    warning = missing_lead("Lea Leitung", is_active=False)
    assert warning is not None
    assert (warning.kind, warning.message) == (
        WarningKind.NO_LEAD,
        "Federführung (Lea Leitung) ist nicht mehr aktiv",
    )
    assert missing_lead("Lea Leitung", is_active=True) is None
    facts = Facts(lead_is_active=False)
    kinds = [w.kind for w in warnings_for(facts, today=TODAY, programme_end=PROGRAMME_END)]
    assert kinds == [WarningKind.NO_LEAD]


# (e) paused for more than 60 days


def test_exactly_60_days_paused_is_no_warning_yet():
    assert paused_too_long(EngagementStatus.PAUSIERT, date(2025, 1, 9), TODAY) is None


def test_61_days_paused_is_a_warning_with_the_day_and_the_count():
    warning = paused_too_long(EngagementStatus.PAUSIERT, date(2025, 1, 8), TODAY)
    assert warning is not None
    assert warning.kind is WarningKind.LONG_PAUSE
    assert warning.message == "ist seit dem 08.01.2025 pausiert (61 Tage, mehr als 60)"


def test_a_long_unchanged_status_other_than_paused_is_fine():
    assert paused_too_long(EngagementStatus.AKTIV, date(2024, 1, 1), TODAY) is None


# all rules together


def test_an_engagement_within_every_rule_has_no_warnings():
    assert warnings_for(Facts(), today=TODAY, programme_end=PROGRAMME_END) == []


def test_every_rule_that_fires_is_reported_in_rule_order():
    facts = Facts(
        status=EngagementStatus.PAUSIERT,
        start_date=date(2025, 1, 1),
        planned_end_date=date(2026, 8, 31),
        lead_name=None,
        status_changed_on=date(2024, 12, 1),
        milestones=[Milestone("Erstgespräch", date(2025, 1, 1))],
    )
    kinds = [w.kind for w in warnings_for(facts, today=TODAY, programme_end=PROGRAMME_END)]
    assert kinds == [
        WarningKind.ENDS_AFTER_PROGRAMME,
        WarningKind.TOO_LONG,
        WarningKind.LONG_OVERDUE,
        WarningKind.NO_LEAD,
        WarningKind.LONG_PAUSE,
    ]


@pytest.mark.parametrize("status", [EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN])
def test_closed_engagements_get_no_warnings(status):
    facts = Facts(
        status=status,
        planned_end_date=date(2026, 8, 31),
        lead_name=None,
        milestones=[Milestone("Erstgespräch", date(2025, 1, 1))],
    )
    assert warnings_for(facts, today=TODAY, programme_end=PROGRAMME_END) == []


def test_a_planned_engagement_is_checked_too():
    facts = Facts(status=EngagementStatus.GEPLANT, lead_name=None)
    kinds = [w.kind for w in warnings_for(facts, today=TODAY, programme_end=PROGRAMME_END)]
    assert kinds == [WarningKind.NO_LEAD]
