"""One application for staff: what was submitted, reviews, status actions and decisions, and
the acceptance into an engagement (``/applications/<id>/accept``).

Every POST answers a bad form with the page again (422, messages next to the fields); a
move the state machine refuses with a flash message; a role that may not with a 403. Two
people changing one application at once: the later one is told and nothing of theirs stays.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.rules import DateRuleError, ProgrammeWindow
from caseflow.engagements.services import EngagementError
from caseflow.extensions import db
from caseflow.intake.forms.staff import (
    NEW_ORGANISATION,
    AcceptForm,
    DeclineForm,
    MoveForm,
    ReviewForm,
    WaitlistForm,
)
from caseflow.intake.models import REVIEW_CRITERIA, Application, ApplicationStatus
from caseflow.intake.queries import (
    ApplicationDetail,
    application_detail,
    duplicates_for,
    lead_candidates,
    list_applications,
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
    decline_application,
    move_application,
    waitlist_application,
)
from caseflow.intake.services.mailing import send_applicant_mail
from caseflow.intake.services.reviews import ReviewError, own_review, save_review
from caseflow.intake.transitions import (
    DECISIONS,
    MoveNotPermitted,
    TalkDateError,
    TransitionError,
    allowed_moves,
    check_move,
)
from caseflow.intake.views.blueprint import bp
from caseflow.organisations.models import Organisation
from caseflow.organisations.views import organisation_sections
from caseflow.staff.access import lead_required, staff_required
from caseflow.staff.models import StaffMember
from caseflow.web.i18n import format_day
from caseflow.web.sections import PageSection

CONFLICT_MESSAGE = _l(
    "Jemand anderes hat diese Bewerbung gerade geändert. Ihre Änderung wurde nicht "
    "gespeichert; bitte prüfen Sie den aktuellen Stand und versuchen Sie es noch einmal."
)


def _window() -> ProgrammeWindow:
    return ProgrammeWindow(
        current_app.config["PROGRAMME_START"], current_app.config["PROGRAMME_END"]
    )


def _me() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _load(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        abort(404)
    return application


def _page_url(application_id: int, anchor: str | None = None) -> str:
    return url_for("intake.application", application_id=application_id, _anchor=anchor)


def _conflict(application_id: int) -> Response:
    db.session.rollback()
    flash(str(CONFLICT_MESSAGE), "error")
    return redirect(_page_url(application_id))


def _refused(application_id: int, error: Exception) -> Response:
    db.session.rollback()
    flash(str(error), "error")
    return redirect(_page_url(application_id))


def _attach(form: FlaskForm, field: str | None, message: str) -> None:
    """Show a service's message next to ``field`` of ``form`` (or at the form's top)."""
    if field is not None and field in form:
        form[field].errors = [*form[field].errors, message]
    else:
        form.form_errors.append(message)


def _notify_applicant(application: Application, kind: str) -> None:
    """After a committed decision: email the applicant, record it, commit again."""
    sent = send_applicant_mail(
        db.session,
        application,
        kind,
        secret=current_app.config["SECRET_KEY"],
        actor=_me(),
    )
    db.session.commit()
    if not sent:
        flash(
            _(
                "Die E-Mail an die Ansprechperson konnte nicht gesendet werden. Bitte "
                "informieren Sie sie auf anderem Weg."
            ),
            "warning",
        )


def _review_form(found: ApplicationDetail) -> ReviewForm:
    mine = next((r for r in found.reviews if r.reviewer_id == current_user.id), None)
    if mine is None:
        return ReviewForm(prefix="review", formdata=None)
    return ReviewForm(
        prefix="review",
        formdata=None,
        data={
            **{column: str(getattr(mine, column)) for column in REVIEW_CRITERIA},
            "comment": mine.comment or "",
        },
    )


def _move_forms(
    application: Application, steps: list[ApplicationStatus], posted: MoveForm | None
) -> list[MoveForm]:
    """One form per step the transition table offers; ``posted`` (sent back with its
    errors) in place of the fresh one for its step."""
    return [
        posted
        if posted is not None and posted.target.data == target.value
        else MoveForm(
            prefix="move",
            formdata=None,
            data={
                "target": target.value,
                "talk_on": application.preliminary_talk_on,
                "version": application.version,
            },
        )
        for target in steps
    ]


def _decision_form(
    form_class: type[DeclineForm] | type[WaitlistForm], application: Application, prefix: str
) -> DeclineForm | WaitlistForm:
    return form_class(prefix=prefix, formdata=None, data={"version": application.version})


def _render_page(
    application_id: int, *, status: int = 200, **forms: FlaskForm | None
) -> tuple[str, int]:
    found = application_detail(db.session, application_id)
    if found is None:
        abort(404)
    application = found.application
    moves = allowed_moves(application.status, current_user.role)
    steps = [target for target in moves if target not in DECISIONS]
    decisions = [target for target in moves if target in DECISIONS]
    can_review = (
        application.status is not ApplicationStatus.ZURUECKGEZOGEN
        and application.anonymised_at is None
    )
    context: dict[str, Any] = {
        "detail": found,
        "criteria": REVIEW_CRITERIA,
        "duplicates": duplicates_for(db.session, [application])[application.id],
        "my_review": next((r for r in found.reviews if r.reviewer_id == current_user.id), None),
        "can_review": can_review,
        "review_form": forms.get("review_form") or (_review_form(found) if can_review else None),
        "move_forms": _move_forms(application, steps, forms.get("move_form")),
        "decisions": decisions,
        "decline_form": forms.get("decline_form")
        or (
            _decision_form(DeclineForm, application, "decline")
            if ApplicationStatus.ABGELEHNT in decisions
            else None
        ),
        "waitlist_form": forms.get("waitlist_form")
        or (
            _decision_form(WaitlistForm, application, "waitlist")
            if ApplicationStatus.WARTELISTE in decisions
            else None
        ),
        "statuses": ApplicationStatus,
    }
    return render_template("intake/application.html", **context), status


@bp.get("/applications/<int:application_id>")
@staff_required
def application(application_id: int) -> tuple[str, int]:
    """One application: what was submitted, its reviews, status actions and its history."""
    return _render_page(application_id)


@bp.post("/applications/<int:application_id>/review")
@staff_required
def review(application_id: int) -> Response | tuple[str, int]:
    """Create or change one's own review."""
    application = _load(application_id)
    form = ReviewForm(prefix="review")
    if not form.validate_on_submit():
        return _render_page(application_id, status=422, review_form=form)
    try:
        save_review(
            db.session,
            application,
            reviewer=_me(),
            scores=form.scores(),
            comment=form.comment.data,
            now=clock.now(),
        )
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        _attach(form, error.field, str(error))
        return _render_page(application_id, status=422, review_form=form)
    except IntegrityError:
        # Two posts of one's first review at once (a double click): the other one stored it
        # between our look for it and our insert (one review per person and application).
        db.session.rollback()
        if own_review(db.session, application, _me()) is None:
            return _conflict(application_id)
        flash(
            _(
                "Ihre Bewertung war inzwischen schon gespeichert (etwa durch einen doppelten "
                "Klick). Bitte prüfen Sie sie unten und ändern Sie sie bei Bedarf."
            ),
            "warning",
        )
        return redirect(_page_url(application_id, "my-review-title"))
    except StaleDataError:
        return _conflict(application_id)
    flash(_("Ihre Bewertung ist gespeichert."), "success")
    return redirect(_page_url(application_id, "reviews-title"))


@bp.post("/applications/<int:application_id>/move")
@staff_required
def move(application_id: int) -> Response | tuple[str, int]:
    """Move the application one step (in review, preliminary talk) or re-date the talk."""
    application = _load(application_id)
    form = MoveForm(prefix="move")
    if not form.validate_on_submit():
        if form.target.errors:  # not a step the page offers: a stale or tampered form
            flash(" ".join(str(message) for message in form.target.errors), "error")
            return redirect(_page_url(application_id))
        return _render_page(application_id, status=422, move_form=form)
    target = form.target_status
    was_status = application.status
    try:
        move_application(
            db.session,
            application,
            target,
            actor=_me(),
            now=clock.now(),
            window=_window(),
            talk_on=form.talk_on.data,
            expected_version=form.expected_version,
        )
        db.session.commit()
    except MoveNotPermitted:
        db.session.rollback()
        abort(403)
    except TalkDateError as error:
        db.session.rollback()
        _attach(form, "talk_on", str(error))
        return _render_page(application_id, status=422, move_form=form)
    except (StaleApplication, StaleDataError, IntegrityError):
        return _conflict(application_id)
    except (TransitionError, DecisionError) as error:
        return _refused(application_id, error)
    if target is was_status:  # the talk got a new date
        flash(
            _(
                "Der Termin des Vorgesprächs ist jetzt der %(day)s.",
                day=format_day(application.preliminary_talk_on),
            ),
            "success",
        )
    else:
        flash(_("Der Status ist jetzt „%(status)s“.", status=target.label), "success")
    return redirect(_page_url(application_id, "decision-title"))


@bp.post("/applications/<int:application_id>/decline")
@lead_required
def decline(application_id: int) -> Response | tuple[str, int]:
    """Decline the application with a reason, then tell the applicant."""
    application = _load(application_id)
    form = DeclineForm(prefix="decline")
    if not form.validate_on_submit():
        return _render_page(application_id, status=422, decline_form=form)
    try:
        decline_application(
            db.session,
            application,
            actor=_me(),
            now=clock.now(),
            reason=form.reason.data,
            expected_version=form.expected_version,
        )
        db.session.commit()
    except MoveNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleApplication, StaleDataError, IntegrityError):
        return _conflict(application_id)
    except DecisionError as error:
        db.session.rollback()
        _attach(form, error.field, str(error))
        return _render_page(application_id, status=422, decline_form=form)
    except TransitionError as error:
        return _refused(application_id, error)
    flash(_("Die Bewerbung ist abgelehnt."), "success")
    _notify_applicant(application, "abgelehnt")
    return redirect(_page_url(application_id, "decision-title"))


@bp.post("/applications/<int:application_id>/waitlist")
@lead_required
def waitlist(application_id: int) -> Response | tuple[str, int]:
    """Put the application on the waitlist, then tell the applicant."""
    application = _load(application_id)
    form = WaitlistForm(prefix="waitlist")
    if not form.validate_on_submit():
        return _render_page(application_id, status=422, waitlist_form=form)
    try:
        waitlist_application(
            db.session,
            application,
            actor=_me(),
            now=clock.now(),
            note=form.note.data,
            expected_version=form.expected_version,
        )
        db.session.commit()
    except MoveNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleApplication, StaleDataError, IntegrityError):
        return _conflict(application_id)
    except DecisionError as error:
        db.session.rollback()
        _attach(form, error.field, str(error))
        return _render_page(application_id, status=422, waitlist_form=form)
    except TransitionError as error:
        return _refused(application_id, error)
    flash(_("Die Bewerbung steht jetzt auf der Warteliste."), "success")
    _notify_applicant(application, "warteliste")
    return redirect(_page_url(application_id, "decision-title"))


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
    application = _load(application_id)
    try:
        check_move(application.status, ApplicationStatus.ANGENOMMEN, current_user.role)
    except MoveNotPermitted:
        abort(403)
    except TransitionError as error:
        if request.method == "GET":  # a stale link: say why, with the way back
            return _render_accept(application, None, impossible=str(error))
        return _refused(application_id, error)
    window = _window()
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
            _attach(form, "organisation", _("Diese Organisation gibt es nicht (mehr)."))
            return _render_accept(application, form, status=422, **context)
    lead = db.session.get(StaffMember, form.lead_id)
    if lead is None:
        _attach(form, "lead", _("Diese Person gibt es nicht (mehr)."))
        return _render_accept(application, form, status=422, **context)
    try:
        engagement = accept_application(
            db.session,
            application,
            actor=_me(),
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
        return _refused(application_id, error)
    except (StaleApplication, StaleDataError, IntegrityError):
        return _conflict(application_id)
    except DecisionError as error:
        db.session.rollback()
        if isinstance(error, AcceptanceImpossible):
            return _render_accept(application, None, status=422, impossible=str(error))
        _attach(form, error.field, str(error))
        return _render_accept(application, form, status=422, **context)
    except (DateRuleError, EngagementError) as error:
        db.session.rollback()
        _attach(form, None, str(error))
        return _render_accept(application, form, status=422, **context)
    flash(
        _(
            "Die Bewerbung ist angenommen; die Prozessbegleitung ab %(day)s ist geplant.",
            day=format_day(engagement.start_date),
        ),
        "success",
    )
    _notify_applicant(application, "angenommen")
    return redirect(_page_url(application_id, "decision-title"))


@organisation_sections.connect
def _organisation_applications(
    organisation: Organisation, *, session: Session, **_kwargs: Any
) -> PageSection:
    rows = list_applications(session, organisation_id=organisation.id)
    return PageSection("intake/_organisation_applications.html", {"rows": rows}, order=20)
