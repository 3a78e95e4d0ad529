"""/timeline: every engagement on the programme's calendar, with warnings and a table."""

from __future__ import annotations

import re

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.queries import TeamMemberChoice, team_member_choices
from caseflow.extensions import db
from caseflow.organisations.choices import District, Sector
from caseflow.portfolio.gantt import CHART_WIDTH, LABEL_WIDTH, timeline_chart
from caseflow.portfolio.timeline import GroupBy, TimelineFilters
from caseflow.portfolio.views.blueprint import bp
from caseflow.staff.access import lead_required
from caseflow.web.filters import enum_filter

UNKNOWN_SECTOR = _l("Den Bereich „%(value)s“ gibt es nicht; der Filter wurde ignoriert.")
UNKNOWN_DISTRICT = _l("Den Bezirk „%(value)s“ gibt es nicht; der Filter wurde ignoriert.")
UNKNOWN_GROUP = _l(
    "Nach „%(value)s“ lässt sich nicht gruppieren; die Zeitleiste ist nach Federführung gruppiert."
)
GROUP_LABELS = {
    GroupBy.LEAD: _l("Federführung"),
    GroupBy.SECTOR: _l("Bereich"),
    GroupBy.DISTRICT: _l("Bezirk"),
}
# Staff ids as a select box sends them; longer digit strings cannot be an id.
_STAFF_ID = re.compile(r"[0-9]{1,12}")


def _member_filter(
    raw: str | None, choices: list[TeamMemberChoice], notes: list[str]
) -> TeamMemberChoice | None:
    """The team member whose id ``raw`` names; None (and a note) for anything else."""
    if not raw:
        return None
    value = raw.strip()
    if _STAFF_ID.fullmatch(value):
        chosen = next((choice for choice in choices if choice.id == int(value)), None)
        if chosen is not None:
            return chosen
    notes.append(
        _(
            "Person im Team: „%(value)s“ ist keine der angebotenen Personen; "
            "der Filter wurde ignoriert.",
            value=raw,
        )
    )
    return None


def _engagement_link(engagement_id: int) -> str:
    return url_for("engagements.detail", engagement_id=engagement_id)


@bp.get("/timeline")
@lead_required
def timeline() -> str:
    """Every engagement on the programme's calendar, grouped by lead, sector or district and
    filtered by status, team member, sector and district; bad filter values are ignored
    with a note."""
    notes: list[str] = []
    choices = team_member_choices(db.session)
    member = _member_filter(request.args.get("member"), choices, notes)
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
    today = clock.today()
    chart = timeline_chart(
        db.session,
        today=today,
        programme_start=current_app.config["PROGRAMME_START"],
        programme_end=current_app.config["PROGRAMME_END"],
        filters=filters,
        group_by=group_by,
        link=_engagement_link,
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
    )
