"""Public landing page; the staff's application list and application page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from caseflow.extensions import db
from caseflow.intake.models import REVIEW_CRITERIA, ApplicationRound, ApplicationStatus
from caseflow.intake.queries import application_detail, list_applications, list_rounds
from caseflow.organisations.models import Organisation
from caseflow.organisations.views import organisation_sections
from caseflow.staff.access import public, staff_required
from caseflow.web.filters import enum_filter
from caseflow.web.sections import PageSection

bp = Blueprint("intake", __name__)


@bp.get("/")
@public
def landing():
    if current_user.is_authenticated:
        return redirect(url_for("portfolio.dashboard"))
    return render_template("intake/landing.html")


def _round_filter(
    raw: str | None, rounds: list[ApplicationRound], notes: list[str]
) -> ApplicationRound | None:
    if not raw:
        return None
    chosen = next((round_ for round_ in rounds if str(round_.id) == raw.strip()), None)
    if chosen is None:
        notes.append(
            _(
                "Die Bewerbungsrunde „%(value)s“ gibt es nicht; der Filter wurde ignoriert.",
                value=raw,
            )
        )
    return chosen


@bp.get("/applications")
@staff_required
def applications() -> str:
    """All applications, filterable by status and round."""
    notes: list[str] = []
    rounds = list_rounds(db.session)
    status = enum_filter(request.args.get("status"), ApplicationStatus, notes)
    round_ = _round_filter(request.args.get("round"), rounds, notes)
    rows = list_applications(
        db.session,
        statuses=[status] if status is not None else None,
        round_id=round_.id if round_ is not None else None,
    )
    return render_template(
        "intake/applications.html",
        rows=rows,
        rounds=rounds,
        statuses=list(ApplicationStatus),
        selected_status=status,
        selected_round=round_,
        notes=notes,
    )


@bp.get("/applications/<int:application_id>")
@staff_required
def application(application_id: int) -> str:
    """One application: what was submitted, its reviews, the decision and its history."""
    found = application_detail(db.session, application_id)
    if found is None:
        abort(404)
    return render_template("intake/application.html", detail=found, criteria=REVIEW_CRITERIA)


@organisation_sections.connect
def _organisation_applications(
    organisation: Organisation, *, session: Session, **_kwargs: Any
) -> PageSection:
    rows = list_applications(session, organisation_id=organisation.id)
    return PageSection("intake/_organisation_applications.html", {"rows": rows}, order=20)
