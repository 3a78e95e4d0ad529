"""/timeline: every engagement on the programme's calendar, with warnings and a table."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import render_template, request, url_for

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.queries import TeamMemberChoice, team_member_choices
from caseflow.engagements.services.window import programme_window
from caseflow.extensions import db
from caseflow.organisations.choices import District, Sector
from caseflow.portfolio.gantt import CHART_WIDTH, LABEL_WIDTH, timeline_chart
from caseflow.portfolio.timeline import GroupBy, TimelineFilters
from caseflow.portfolio.views.blueprint import bp
from caseflow.portfolio.warnings import OVERDUE_GRACE_DAYS, PAUSE_LIMIT_DAYS
from caseflow.staff.access import lead_required
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.web.filters import UNKNOWN_DISTRICT, UNKNOWN_SECTOR, choice_filter, enum_filter

UNKNOWN_GROUP = _l(
    "Nach „%(value)s“ lässt sich nicht gruppieren; die Zeitleiste ist nach Federführung gruppiert."
)
GROUP_LABELS = {
    GroupBy.LEAD: _l("Federführung"),
    GroupBy.SECTOR: _l("Bereich"),
    GroupBy.DISTRICT: _l("Bezirk"),
}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Automatic garbage collection off inside the block (reference counting still frees
    everything without cycles); back on afterwards unless it was off already. The switch is
    process-wide: with requests in several threads, the one that switched it off switches it
    on again, and at worst a collection waits until that page is written."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _engagement_links() -> Callable[[int], str]:
    """An engagement's page from its id, with ``url_for`` run once for all of them (1,500
    calls took 7 ms at 100 × the demo): its address for a stand-in id, split around it."""
    stand_in = 987_654_321
    before, after = url_for("engagements.detail", engagement_id=stand_in).split(str(stand_in))
    return lambda engagement_id: f"{before}{engagement_id}{after}"


@bp.get("/timeline")
@lead_required
def timeline() -> str:
    """Every engagement on the programme's calendar, grouped by lead, sector or district and
    filtered by status, team member, sector and district; bad filter values are ignored
    with a note."""
    notes: list[str] = []
    choices = team_member_choices(db.session)
    member = choice_filter(request.args.get("member"), choices, notes, label=_("Person im Team"))
    filters = TimelineFilters(
        status=enum_filter(request.args.get("status"), EngagementStatus, notes),
        member_id=member.id if member is not None else None,
        sector=enum_filter(request.args.get("sector"), Sector, notes, message=UNKNOWN_SECTOR),
        district=enum_filter(
            request.args.get("district"), District, notes, message=UNKNOWN_DISTRICT
        ),
    )
    group_by = (
        enum_filter(request.args.get("group"), GroupBy, notes, message=UNKNOWN_GROUP)
        or GroupBy.LEAD
    )
    # The chart's objects (a few per milestone, ~30,000 at 100 × the demo) all die by
    # reference counting once the page is written. Collected automatically, they survived
    # into the oldest generation and set off full collections of the whole process's heap
    # (~85 ms each, 0.55–0.7 per request: 45–63 ms of the page's p50 of ~290 ms); with the
    # automatic collector paused for the page they never reach it (p50 ~205 ms). Measured
    # at 100 × the demo (bench/dataset.py) on SQLite, counting collections with gc.callbacks.
    with _collector_paused():
        return _page(filters, group_by, choices, notes)


def _page(
    filters: TimelineFilters,
    group_by: GroupBy,
    choices: list[TeamMemberChoice],
    notes: list[str],
) -> str:
    """The page for ``filters`` and ``group_by`` (``choices``: the member filter's list,
    ``notes``: the ignored filter values)."""
    today = clock.today()
    window = programme_window()
    chart = timeline_chart(
        db.session,
        today=today,
        programme_start=window.start,
        programme_end=window.end,
        filters=filters,
        group_by=group_by,
        link=_engagement_links(),
        lead_order=[choice.id for choice in choices],
        durations=(window.min_months, window.max_months),
    )
    return render_template(
        "portfolio/timeline.html",
        chart=chart,
        filters=filters,
        group_by=group_by,
        group_labels=GROUP_LABELS,
        statuses=list(EngagementStatus),
        members=choices,
        sectors=list(Sector),
        districts=list(District),
        notes=notes,
        today=today,
        is_filtered=any(
            value is not None
            for value in (filters.status, filters.member_id, filters.sector, filters.district)
        ),
        label_width=LABEL_WIDTH,
        chart_width=CHART_WIDTH,
        rules={
            "min_months": window.min_months,
            "max_months": window.max_months,
            "grace_days": OVERDUE_GRACE_DAYS,
            "pause_days": PAUSE_LIMIT_DAYS,
        },
    )
