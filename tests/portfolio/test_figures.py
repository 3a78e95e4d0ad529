"""The report's key figures against hand-built data, with the period's boundaries: a day
before, on the first and last day, a day after (local calendar days, Europe/Berlin)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from caseflow.engagements.models import (
    ActivityKind,
    BarrierCategory,
    BarrierStatus,
    EngagementStatus,
)
from caseflow.followups.models import FollowUpKind, FollowUpStatus
from caseflow.intake.models import ApplicationStatus
from caseflow.organisations.choices import District, Sector
from caseflow.portfolio.figures import (
    ReportPeriod,
    activity_figures,
    application_figures,
    barrier_matrix,
    duration_in_months_exact,
    engagement_figures,
    follow_ups_done,
    has_begun,
    milestone_figures,
    milestone_punctuality,
)
from tests import factories

PERIOD = ReportPeriod(date(2025, 3, 1), date(2025, 5, 31))
TODAY = date(2025, 10, 1)


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        ReportPeriod(date(2025, 3, 2), date(2025, 3, 1))
    assert ReportPeriod(date(2025, 3, 1), date(2025, 3, 1)).contains(date(2025, 3, 1))


def test_months_count_both_days_in_average_months():
    year = duration_in_months_exact(date(2025, 1, 1), date(2025, 12, 31))
    assert year == pytest.approx(365 / 30.4375)
    assert year < 12  # 11.99…, shown with one decimal as 12,0
    assert round(year, 1) == 12.0


def test_applications_submitted_in_the_period_by_status_sector_and_district(session):
    lead = factories.make_staff_member(session)

    def submitted(moment: datetime, status=ApplicationStatus.EINGEGANGEN, **fields):
        return factories.make_application(
            session, submitted_at=moment, status=status, decided_by=lead, **fields
        )

    # 28.02. 23:59 in Berlin (CET = UTC+1): the day before.
    submitted(datetime(2025, 2, 28, 22, 59, tzinfo=UTC), ApplicationStatus.ANGENOMMEN)
    # 01.03. 00:00 in Berlin: the first day.
    submitted(datetime(2025, 2, 28, 23, 0, tzinfo=UTC))
    submitted(datetime(2025, 3, 1, 9, 0, tzinfo=UTC), ApplicationStatus.ANGENOMMEN)
    submitted(datetime(2025, 4, 10, 9, 0, tzinfo=UTC), ApplicationStatus.WARTELISTE)
    # 31.05. 23:59 in Berlin (CEST = UTC+2): the last day.
    submitted(
        datetime(2025, 5, 31, 21, 59, tzinfo=UTC),
        ApplicationStatus.ABGELEHNT,
        sector=Sector.GESUNDHEIT,
        subtype="krankenhaus",
        district=District.MITTE,
    )
    # 01.06. 00:00 in Berlin: the day after.
    submitted(datetime(2025, 5, 31, 22, 0, tzinfo=UTC), ApplicationStatus.ABGELEHNT)

    figures = application_figures(session, PERIOD)

    assert figures.by_status == {
        ApplicationStatus.EINGEGANGEN: 1,
        ApplicationStatus.IN_PRUEFUNG: 0,
        ApplicationStatus.VORGESPRAECH: 0,
        ApplicationStatus.ANGENOMMEN: 1,
        ApplicationStatus.ABGELEHNT: 1,
        ApplicationStatus.WARTELISTE: 1,
        ApplicationStatus.ZURUECKGEZOGEN: 0,
    }
    assert figures.by_sector == {
        Sector.BUERGERDIENST: 3,
        Sector.KINDER_FAMILIE: 0,
        Sector.GESUNDHEIT: 1,
        Sector.SONSTIGE: 0,
    }
    assert figures.by_district[District.NEUKOELLN] == 3
    assert figures.by_district[District.MITTE] == 1
    assert set(figures.by_district) == set(District)
    assert sum(figures.by_district.values()) == 4
    # Accepted ÷ (accepted + declined); the waiting list is no decision.
    assert figures.decided == 2
    assert figures.acceptance_rate == 0.5


def test_acceptance_rate_without_decisions_is_none(session):
    factories.make_application(session, status=ApplicationStatus.WARTELISTE)
    factories.make_application(session, status=ApplicationStatus.IN_PRUEFUNG)
    figures = application_figures(session, ReportPeriod(date(2025, 1, 1), date(2025, 12, 31)))
    assert figures.total == 2
    assert figures.decided == 0
    assert figures.acceptance_rate is None


def test_engagements_started_active_completed_cancelled_and_durations(session):
    lead = factories.make_staff_member(session)

    def engagement(start: date, end: date, status: EngagementStatus, actual_end=None):
        return factories.make_engagement(
            session, lead=lead, start=start, end=end, status=status, actual_end=actual_end
        )

    aktiv = EngagementStatus.AKTIV
    # Started on the first day: 01.03.2025–28.02.2026 is 365 days.
    engagement(date(2025, 3, 1), date(2026, 2, 28), aktiv)
    # Started on the last day: 31.05.–30.11.2025 is 184 days.
    engagement(date(2025, 5, 31), date(2025, 11, 30), aktiv)
    # Starts the day after: not in the period at all.
    engagement(date(2025, 6, 1), date(2025, 12, 31), aktiv)
    # Completed in the period (30.04.), 01.06.2024–30.04.2025 is 334 days.
    engagement(
        date(2024, 6, 1), date(2025, 5, 31), EngagementStatus.ABGESCHLOSSEN, date(2025, 4, 30)
    )
    # Completed on the last day.
    engagement(
        date(2024, 6, 1), date(2025, 5, 31), EngagementStatus.ABGESCHLOSSEN, date(2025, 5, 31)
    )
    # Completed the day before: touches nothing.
    engagement(
        date(2024, 6, 1), date(2025, 2, 28), EngagementStatus.ABGESCHLOSSEN, date(2025, 2, 28)
    )
    # Cancelled on the first day; cancelled the day after the period (still active in it).
    engagement(date(2024, 9, 1), date(2025, 8, 31), EngagementStatus.ABGEBROCHEN, date(2025, 3, 1))
    engagement(date(2024, 9, 1), date(2025, 8, 31), EngagementStatus.ABGEBROCHEN, date(2025, 6, 1))
    # Planned, its dates in the period: counted by status only.
    engagement(date(2025, 4, 1), date(2025, 12, 31), EngagementStatus.GEPLANT)
    # Paused, planned end long past, but still running today: an overrun is active.
    engagement(date(2024, 4, 1), date(2024, 12, 31), EngagementStatus.PAUSIERT)

    figures = engagement_figures(session, PERIOD, today=TODAY)

    assert figures.started == 2
    # both started, both completed, both cancelled, the paused one
    assert figures.active == 7
    assert figures.completed == 2
    assert figures.cancelled == 1
    assert figures.by_status == {
        EngagementStatus.GEPLANT: 1,
        EngagementStatus.AKTIV: 2,
        EngagementStatus.PAUSIERT: 1,
        EngagementStatus.ABGESCHLOSSEN: 2,
        EngagementStatus.ABGEBROCHEN: 2,
    }
    assert figures.average_planned_months == pytest.approx((365 + 184) / 2 / 30.4375)
    assert round(figures.average_planned_months, 1) == 9.0
    # 01.06.2024–30.04.2025 (334 days) and 01.06.2024–31.05.2025 (365 days)
    assert figures.average_actual_months == pytest.approx((334 + 365) / 2 / 30.4375)
    assert round(figures.average_actual_months, 1) == 11.5


def test_no_engagements_have_no_average(session):
    figures = engagement_figures(session, PERIOD, today=TODAY)
    assert (figures.started, figures.active, figures.completed, figures.cancelled) == (0, 0, 0, 0)
    assert figures.average_planned_months is None
    assert figures.average_actual_months is None


def test_milestones_completed_in_the_period_on_time_or_late(session):
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead)
    milestones = factories.milestones_of(engagement)

    def complete(index: int, *, due: date, baseline: date, on: date) -> None:
        milestone = milestones[index]
        milestone.due_date = due
        milestone.baseline_due_date = baseline
        factories.complete_milestone(session, milestone, on=on)

    # On the first day, on its due day: on time against both.
    complete(0, due=date(2025, 3, 1), baseline=date(2025, 3, 1), on=date(2025, 3, 1))
    # Moved back from 31.03. to 30.04., done 15.04.: on time now, late against the baseline.
    complete(1, due=date(2025, 4, 30), baseline=date(2025, 3, 31), on=date(2025, 4, 15))
    # On the last day, due long before: late against both.
    complete(2, due=date(2025, 3, 5), baseline=date(2025, 3, 5), on=date(2025, 5, 31))
    # The day before and the day after: not in the period.
    complete(3, due=date(2025, 3, 5), baseline=date(2025, 3, 5), on=date(2025, 2, 28))
    complete(4, due=date(2025, 3, 5), baseline=date(2025, 3, 5), on=date(2025, 6, 1))

    punctuality = milestone_punctuality(session, PERIOD)

    assert (punctuality.on_time, punctuality.late) == (2, 1)
    assert (punctuality.on_time_baseline, punctuality.late_baseline) == (1, 2)
    assert punctuality.total == 3


def test_milestone_states_count_those_due_in_the_period(session):
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead)
    milestones = factories.milestones_of(engagement)
    for milestone in milestones:
        milestone.due_date = date(2025, 1, 1)  # before the period: not counted
    milestones[0].due_date = date(2025, 3, 1)
    milestones[1].due_date = date(2025, 5, 31)
    milestones[2].due_date = date(2025, 4, 1)
    factories.complete_milestone(session, milestones[2], on=date(2025, 4, 1))
    milestones[3].due_date = date(2025, 4, 2)
    factories.drop_milestone(session, milestones[3])
    session.flush()

    figures = milestone_figures(session, today=date(2025, 5, 1), period=PERIOD)

    assert (figures.done, figures.open, figures.overdue, figures.dropped) == (1, 2, 1, 1)
    assert figures.total == 4


def test_activities_that_occurred_in_the_period_by_kind(session):
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead)

    def activity(day: date, kind: ActivityKind, **fields) -> None:
        factories.make_activity(session, engagement, occurred_on=day, kind=kind, **fields)

    activity(date(2025, 3, 1), ActivityKind.TREFFEN, duration_minutes=90, participants_count=5)
    activity(date(2025, 5, 31), ActivityKind.TREFFEN, duration_minutes=30)
    activity(date(2025, 4, 1), ActivityKind.WORKSHOP, participants_count=12)
    activity(date(2025, 2, 28), ActivityKind.TELEFONAT, duration_minutes=60)
    activity(date(2025, 6, 1), ActivityKind.NOTIZ, duration_minutes=10)

    totals = activity_figures(session, PERIOD)

    assert set(totals) == set(ActivityKind)
    treffen = totals[ActivityKind.TREFFEN]
    assert (treffen.count, treffen.minutes, treffen.hours, treffen.participants) == (2, 120, 2, 5)
    workshop = totals[ActivityKind.WORKSHOP]
    assert (workshop.count, workshop.hours, workshop.participants) == (1, 0, 12)
    assert totals[ActivityKind.TELEFONAT].count == 0
    assert totals[ActivityKind.NOTIZ].count == 0
    assert totals[ActivityKind.FORTBILDUNG].count == 0


def test_barriers_identified_in_the_period_by_category_and_status_now(session):
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead)
    factories.make_barrier(session, engagement, identified_on=date(2025, 2, 28))
    factories.make_barrier(session, engagement, identified_on=date(2025, 3, 1))
    factories.make_barrier(
        session,
        engagement,
        identified_on=date(2025, 5, 31),
        category=BarrierCategory.DATEN_MONITORING,
        status=BarrierStatus.ABGEBAUT,
    )
    factories.make_barrier(session, engagement, identified_on=date(2025, 6, 1))

    matrix = barrier_matrix(session, PERIOD)

    assert matrix.counts[BarrierCategory.SPRACHE_INFORMATION] == {
        BarrierStatus.ERKANNT: 1,
        BarrierStatus.IN_BEARBEITUNG: 0,
        BarrierStatus.ABGEBAUT: 0,
    }
    assert matrix.counts[BarrierCategory.DATEN_MONITORING][BarrierStatus.ABGEBAUT] == 1
    assert len(matrix.counts) == len(BarrierCategory)
    assert matrix.total == 2
    assert matrix.column_total(BarrierStatus.ABGEBAUT) == 1


def test_follow_ups_completed_in_the_period(session):
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead)

    def follow_up(day: date, status: FollowUpStatus, kind=FollowUpKind.CHECK_IN, closed_at=None):
        made = factories.make_follow_up(
            session, engagement, assignee=lead, due_on=day, status=status, kind=kind
        )
        if closed_at is not None:
            made.closed_at = closed_at
            session.flush()

    done = FollowUpStatus.ERLEDIGT
    follow_up(date(2025, 3, 1), done)
    follow_up(date(2025, 2, 28), done)
    follow_up(date(2025, 5, 31), FollowUpStatus.VERWORFEN)
    follow_up(date(2025, 5, 31), done, FollowUpKind.NACHHALTIGKEIT)
    follow_up(date(2025, 5, 31), FollowUpStatus.OFFEN)
    # Closed 31.05. 23:59 and 01.06. 00:00 in Berlin (CEST).
    follow_up(
        date(2025, 5, 31), done, FollowUpKind.REMINDER, datetime(2025, 5, 31, 21, 59, tzinfo=UTC)
    )
    follow_up(
        date(2025, 5, 31), done, FollowUpKind.REMINDER, datetime(2025, 5, 31, 22, 0, tzinfo=UTC)
    )

    assert follow_ups_done(session, PERIOD) == {
        FollowUpKind.CHECK_IN: 1,
        FollowUpKind.REMINDER: 1,
        FollowUpKind.NACHHALTIGKEIT: 1,
    }


# Engagements cancelled before they began ---------------------------------------------------


def test_has_begun_only_when_it_really_ran():
    start = date(2025, 6, 1)
    assert not has_begun(EngagementStatus.GEPLANT, start, None)
    assert has_begun(EngagementStatus.AKTIV, start, None)
    assert has_begun(EngagementStatus.PAUSIERT, start, None)
    assert not has_begun(EngagementStatus.ABGEBROCHEN, start, date(2025, 5, 31))
    assert has_begun(EngagementStatus.ABGEBROCHEN, start, date(2025, 6, 1))
    assert has_begun(EngagementStatus.ABGESCHLOSSEN, start, date(2025, 12, 31))


def test_an_engagement_cancelled_before_its_start_never_began(session):
    lead = factories.make_staff_member(session)
    # Planned for 01.06.–31.12.2025, cancelled while still "geplant" on 10.03.2025.
    factories.make_engagement(
        session,
        lead=lead,
        start=date(2025, 6, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.ABGEBROCHEN,
        actual_end=date(2025, 3, 10),
    )
    march = engagement_figures(
        session, ReportPeriod(date(2025, 3, 1), date(2025, 3, 31)), today=TODAY
    )
    assert march.cancelled == 1  # counted by its actual end alone
    assert march.by_status[EngagementStatus.ABGEBROCHEN] == 1
    assert (march.started, march.active, march.planned_months) == (0, 0, [])
    whole = engagement_figures(
        session, ReportPeriod(date(2024, 4, 1), date(2026, 7, 31)), today=TODAY
    )
    assert (whole.started, whole.active, whole.cancelled) == (0, 0, 1)
    assert whole.planned_months == [] and whole.baseline_months == []
    # Its planned months are no running time either: June is empty.
    june = engagement_figures(
        session, ReportPeriod(date(2025, 6, 1), date(2025, 6, 30)), today=TODAY
    )
    assert (june.active, june.cancelled, sum(june.by_status.values())) == (0, 0, 0)


def test_an_engagement_cancelled_while_running_began(session):
    lead = factories.make_staff_member(session)
    factories.make_engagement(
        session,
        lead=lead,
        start=date(2025, 3, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.ABGEBROCHEN,
        actual_end=date(2025, 4, 30),
    )
    figures = engagement_figures(session, PERIOD, today=TODAY)
    assert (figures.started, figures.active, figures.cancelled) == (1, 1, 1)


def test_planned_duration_current_and_original(session):
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(
        session,
        lead=lead,
        start=date(2025, 3, 1),
        end=date(2025, 8, 31),
        status=EngagementStatus.AKTIV,
    )
    # Extended by four months: the baseline stays 31.08.2025.
    engagement.planned_end_date = date(2025, 12, 31)
    session.flush()
    figures = engagement_figures(session, PERIOD, today=TODAY)
    # 01.03.–31.12.2025 = 306 days; 01.03.–31.08.2025 = 184 days.
    assert figures.average_planned_months == pytest.approx(306 / 30.4375)
    assert figures.average_baseline_months == pytest.approx(184 / 30.4375)
