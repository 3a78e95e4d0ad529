"""One application for staff: what was submitted, reviews, status actions and decisions."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from sqlalchemy.orm import Session

from caseflow.extensions import db
from caseflow.intake.models import REVIEW_CRITERIA
from caseflow.intake.queries import application_detail, list_applications
from caseflow.intake.views.blueprint import bp
from caseflow.organisations.models import Organisation
from caseflow.organisations.views import organisation_sections
from caseflow.staff.access import staff_required
from caseflow.web.sections import PageSection


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
