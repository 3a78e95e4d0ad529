"""Accepting an application (``/applications/<id>/accept``): the proposal, the choice of
organisation and lead, and the acceptance into a planned engagement."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.rules import DateRuleError
from caseflow.engagements.services import EngagementError
from caseflow.engagements.services.window import programme_window
from caseflow.extensions import db
from caseflow.intake.forms.staff import (
    NEW_ORGANISATION,
    AcceptForm,
)
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.queries import (
    lead_candidates,
    organisation_choices,
)
from caseflow.intake.services.acceptance import (
    AcceptanceImpossible,
    accept_application,
    acceptance_proposal,
)
from caseflow.intake.services.decisions import (
    DecisionError,
    StaleApplication,
)
from caseflow.intake.transitions import (
    MoveNotPermitted,
    TransitionError,
    check_move,
)
from caseflow.intake.views.blueprint import bp
from caseflow.intake.views.common import (
    acting_member,
    attach,
    conflict,
    load_application,
    notify_applicant,
    refused,
)
from caseflow.organisations.models import Organisation
from caseflow.staff.access import lead_required
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day


def _render_accept(
    application: Application, form: AcceptForm | None, *, status: int = 200, **extra: Any
) -> tuple[str, int]:
    return (
        render_template("intake/accept.html", application=application, form=form, **extra),
        status,
    )


@bp.route("/applications/<int:application_id>/accept", methods=["GET", "POST"])
@lead_required
def accept(application_id: int) -> Response | tuple[str, int]:
    """Accept the application: organisation, start, duration and lead; then plan the
    engagement, link it, and tell the applicant."""
    application = load_application(application_id)
    try:
        check_move(application.status, ApplicationStatus.ANGENOMMEN, current_user.role)
    except MoveNotPermitted:
        abort(403)
    except TransitionError as error:
        if request.method == "GET":  # a stale link: say why, with the way back
            return _render_accept(application, None, impossible=str(error))
        return refused(application_id, error)
    window = programme_window()
    try:
        proposal = acceptance_proposal(application, today=clock.today(), window=window)
    except AcceptanceImpossible as error:
        return _render_accept(
            application,
            None,
            status=200 if request.method == "GET" else 422,
            impossible=str(error),
        )

    choices = organisation_choices(db.session, application)
    leads = lead_candidates(db.session)
    form = AcceptForm()
    form.offer(
        new_label=_(
            "Neu anlegen aus den Angaben der Bewerbung („%(name)s“)",
            name=application.organisation_name,
        ),
        similar=choices.similar,
        all_organisations=choices.all,
        leads=leads,
        durations=(window.min_months, window.max_months),
    )
    if request.method == "GET":
        form.organisation.data = (
            str(application.organisation_id)
            if application.organisation_id
            else (None if choices.similar else NEW_ORGANISATION)
        )
        form.start_date.data = proposal.start_date
        form.duration_months.data = str(proposal.duration_months)
        form.version.data = str(application.version)
    context = {"proposal": proposal, "similar": choices.similar, "window": window}
    if not form.validate_on_submit():
        status = 200 if request.method == "GET" else 422
        return _render_accept(application, form, status=status, **context)

    organisation: Organisation | None = None
    if form.chosen_organisation_id is not None:
        organisation = db.session.get(Organisation, form.chosen_organisation_id)
        if organisation is None:
            attach(form, "organisation", _("Diese Organisation gibt es nicht (mehr)."))
            return _render_accept(application, form, status=422, **context)
    lead = db.session.get(StaffMember, form.lead_id)
    if lead is None:
        attach(form, "lead", _("Diese Person gibt es nicht (mehr)."))
        return _render_accept(application, form, status=422, **context)
    try:
        engagement = accept_application(
            db.session,
            application,
            actor=acting_member(),
            now=clock.now(),
            window=window,
            organisation=organisation,
            start_date=form.start_date.data,
            duration_months=form.months,
            lead=lead,
            note=form.note.data,
            expected_version=form.expected_version,
        )
        db.session.commit()
    except MoveNotPermitted:
        db.session.rollback()
        abort(403)
    except TransitionError as error:
        return refused(application_id, error)
    except (StaleApplication, StaleDataError, IntegrityError):
        return conflict(application_id)
    except DecisionError as error:
        db.session.rollback()
        if isinstance(error, AcceptanceImpossible):
            return _render_accept(application, None, status=422, impossible=str(error))
        attach(form, error.field, str(error))
        return _render_accept(application, form, status=422, **context)
    except (DateRuleError, EngagementError) as error:
        db.session.rollback()
        attach(form, None, str(error))
        return _render_accept(application, form, status=422, **context)
    flash(
        _(
            "Die Bewerbung ist angenommen; die Prozessbegleitung ab %(day)s ist geplant.",
            day=format_day(engagement.start_date),
        ),
        "success",
    )
    notify_applicant(application, "angenommen")
    # On to the new engagement: its phases and milestones are what comes next.
    return redirect(url_for("engagements.detail", engagement_id=engagement.id))
