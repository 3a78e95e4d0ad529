"""``/engagements``: the list with its filters, and the engagements on the organisation pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.queries import engagement_counts_by_organisation, list_engagements
from caseflow.engagements.views.blueprint import bp
from caseflow.extensions import db
from caseflow.organisations.models import Organisation
from caseflow.organisations.views import organisation_list_columns, organisation_sections
from caseflow.staff.access import staff_required
from caseflow.staff.models import Role
from caseflow.web.filters import enum_filter
from caseflow.web.sections import ListColumn, PageSection

_MINE_ON = "1"
_MINE_OFF = "0"


def _mine_filter(values: list[str], *, default: bool, notes: list[str]) -> bool:
    # The form sends a hidden "0" before the checkbox's "1", so an unticked box reads as off.
    if not values:
        return default
    if _MINE_ON in values:
        return True
    if all(value == _MINE_OFF for value in values):
        return False
    notes.append(_("Der Wert für „nur meine“ ist ungültig und wurde ignoriert."))
    return default


@bp.get("/engagements")
@staff_required
def index() -> str:
    """All engagements, filtered by status and (consultants by default) to one's own."""
    notes: list[str] = []
    status = enum_filter(request.args.get("status"), EngagementStatus, notes)
    mine = _mine_filter(
        request.args.getlist("mine"), default=not current_user.has_role(Role.LEAD), notes=notes
    )
    today = clock.today()
    rows = list_engagements(
        db.session,
        today=today,
        statuses=[status] if status is not None else None,
        staff_member_id=current_user.id if mine else None,
    )
    return render_template(
        "engagements/index.html",
        rows=rows,
        statuses=list(EngagementStatus),
        selected_status=status,
        mine=mine,
        notes=notes,
        today=today,
    )


@organisation_list_columns.connect
def _engagement_count_column(_sender: Any, *, session: Session, **_kwargs: Any) -> ListColumn:
    return ListColumn(
        heading=_("Prozessbegleitungen"),
        values=engagement_counts_by_organisation(session),
        order=10,
    )


@organisation_sections.connect
def _organisation_engagements(
    organisation: Organisation, *, session: Session, today: date, **_kwargs: Any
) -> PageSection:
    rows = list_engagements(session, today=today, organisation_id=organisation.id)
    return PageSection(
        "engagements/_organisation_engagements.html", {"rows": rows, "today": today}, order=10
    )
