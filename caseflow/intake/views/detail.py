"""One application for staff: what was submitted, reviews, status actions and decisions (the
acceptance has its own page: ``accept``).

Every POST answers a bad form with the page again (422, messages next to the fields); a
move the state machine refuses with a flash message; a role that may not with a 403. Two
people changing one application at once: the later one is told and nothing of theirs stays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.services.common import may_view
from caseflow.engagements.services.window import programme_window
from caseflow.extensions import db
from caseflow.intake.forms.staff import (
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
)
from caseflow.intake.services.decisions import (
    DecisionError,
    StaleApplication,
    decline_application,
    move_application,
    waitlist_application,
)
from caseflow.intake.services.reviews import ReviewError, own_review, save_review
from caseflow.intake.transitions import (
    DECISIONS,
    MoveNotPermitted,
    TalkDateError,
    TransitionError,
    allowed_moves,
)
from caseflow.intake.views.blueprint import bp
from caseflow.intake.views.common import (
    acting_member,
    attach,
    conflict,
    load_application,
    notify_applicant,
    page_url,
    refused,
)
from caseflow.staff.access import lead_required, staff_required
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day


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
        # Consultants outside its team may not open the engagement (issue 7 point 11).
        "engagement_visible": application.engagement is not None
        and may_view(application.engagement, current_user),
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
    application = load_application(application_id)
    form = ReviewForm(prefix="review")
    if not form.validate_on_submit():
        return _render_page(application_id, status=422, review_form=form)
    try:
        save_review(
            db.session,
            application,
            reviewer=acting_member(),
            scores=form.scores(),
            comment=form.comment.data,
            now=clock.now(),
        )
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        return _render_page(application_id, status=422, review_form=form)
    except IntegrityError:
        # Two posts of one's first review at once (a double click): the other one stored it
        # between our look for it and our insert (one review per person and application).
        db.session.rollback()
        if own_review(db.session, application, acting_member()) is None:
            return conflict(application_id)
        flash(
            _(
                "Ihre Bewertung war inzwischen schon gespeichert (etwa durch einen doppelten "
                "Klick). Bitte prüfen Sie sie unten und ändern Sie sie bei Bedarf."
            ),
            "warning",
        )
        return redirect(page_url(application_id, "my-review-title"))
    except StaleDataError:
        return conflict(application_id)
    flash(_("Ihre Bewertung ist gespeichert."), "success")
    return redirect(page_url(application_id, "reviews-title"))


@bp.post("/applications/<int:application_id>/move")
@staff_required
def move(application_id: int) -> Response | tuple[str, int]:
    """Move the application one step (in review, preliminary talk) or re-date the talk."""
    application = load_application(application_id)
    form = MoveForm(prefix="move")
    if not form.validate_on_submit():
        if form.target.errors:  # not a step the page offers: a stale or tampered form
            flash(" ".join(str(message) for message in form.target.errors), "error")
            return redirect(page_url(application_id))
        return _render_page(application_id, status=422, move_form=form)
    target = form.target_status
    was_status = application.status
    try:
        move_application(
            db.session,
            application,
            target,
            actor=acting_member(),
            now=clock.now(),
            window=programme_window(),
            talk_on=form.talk_on.data,
            expected_version=form.expected_version,
        )
        db.session.commit()
    except MoveNotPermitted:
        db.session.rollback()
        abort(403)
    except TalkDateError as error:
        db.session.rollback()
        attach(form, "talk_on", str(error))
        return _render_page(application_id, status=422, move_form=form)
    except (StaleApplication, StaleDataError, IntegrityError):
        return conflict(application_id)
    except (TransitionError, DecisionError) as error:
        return refused(application_id, error)
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
    return redirect(page_url(application_id, "decision-title"))


def _record_decision(
    application_id: int,
    form: DeclineForm | WaitlistForm,
    form_key: str,
    decide: Callable[[Application], None],
    done: str,
    mail_kind: str,
) -> Response | tuple[str, int]:
    """A decision with a form of its own: check the form, run ``decide``, commit, tell the
    applicant; refusals come back as the page (422), a 403 or a flash message."""
    application = load_application(application_id)
    if not form.validate_on_submit():
        return _render_page(application_id, status=422, **{form_key: form})
    try:
        decide(application)
        db.session.commit()
    except MoveNotPermitted:
        db.session.rollback()
        abort(403)
    except (StaleApplication, StaleDataError, IntegrityError):
        return conflict(application_id)
    except DecisionError as error:
        db.session.rollback()
        attach(form, error.field, str(error))
        return _render_page(application_id, status=422, **{form_key: form})
    except TransitionError as error:
        return refused(application_id, error)
    flash(done, "success")
    notify_applicant(application, mail_kind)
    return redirect(page_url(application_id, "decision-title"))


@bp.post("/applications/<int:application_id>/decline")
@lead_required
def decline(application_id: int) -> Response | tuple[str, int]:
    """Decline the application with a reason, then tell the applicant."""
    form = DeclineForm(prefix="decline")
    return _record_decision(
        application_id,
        form,
        "decline_form",
        lambda application: decline_application(
            db.session,
            application,
            actor=acting_member(),
            now=clock.now(),
            reason=form.reason.data,
            expected_version=form.expected_version,
        ),
        _("Die Bewerbung ist abgelehnt."),
        "abgelehnt",
    )


@bp.post("/applications/<int:application_id>/waitlist")
@lead_required
def waitlist(application_id: int) -> Response | tuple[str, int]:
    """Put the application on the waitlist, then tell the applicant."""
    form = WaitlistForm(prefix="waitlist")
    return _record_decision(
        application_id,
        form,
        "waitlist_form",
        lambda application: waitlist_application(
            db.session,
            application,
            actor=acting_member(),
            now=clock.now(),
            note=form.note.data,
            expected_version=form.expected_version,
        ),
        _("Die Bewerbung steht jetzt auf der Warteliste."),
        "warteliste",
    )
