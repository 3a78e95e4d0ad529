"""The public side: landing page, application form, confirmation, status link, withdrawal,
privacy notice and accessibility statement."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from typing import Any

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.services.window import programme_window
from caseflow.extensions import csrf, db, limiter
from caseflow.intake.forms.public import NOT_SENT, SESSION_EXPIRED, ApplicationForm, WithdrawForm
from caseflow.intake.models import Application
from caseflow.intake.notices import PrivacyNotice, current_notice, notice_of, published
from caseflow.intake.queries import find_by_token
from caseflow.intake.services.mailing import send_applicant_mail
from caseflow.intake.services.submission import (
    CONSENT_TEXT_VERSION,
    SubmissionError,
    can_withdraw,
    next_round,
    open_round,
    submit_application,
    withdraw_application,
)
from caseflow.intake.views.blueprint import bp
from caseflow.settings.services import current as current_setting
from caseflow.staff.access import public
from caseflow.translating import gettext as _
from caseflow.web.tokens import secret_key

log = logging.getLogger(__name__)

# The confirmation of a submission, kept in the session until the confirmation page shows it.
DONE_KEY = "intake.apply_done"


def private_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages that carry the secret status link: never cached, never sent on as a referrer."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


def _application_or_404(token: str) -> Application:
    application = find_by_token(db.session, token)
    if application is None:
        abort(404)
    return application


@bp.get("/")
@public
def landing():
    if current_user.is_authenticated:
        return redirect(url_for("portfolio.dashboard"))
    now = clock.now()
    return render_template(
        "intake/landing.html",
        open_round=open_round(db.session, now),
        next_round=next_round(db.session, now),
    )


def _is_stored(response: Response) -> bool:
    """A submission was stored: only then is the redirect to the confirmation sent."""
    return response.status_code in (302, 303)


# Only stored submissions count against the limit, so that someone correcting their entries
# a few times is never locked out; once the limit is used up, every further POST from that
# address is refused (429) before the view runs. The view is exempt from the global CSRF
# check: the form checks its own token, so that an expired session gives the form back with
# everything entered instead of an error page.
@bp.route("/apply", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit(
    lambda: current_setting("APPLY_RATE_LIMIT"),
    methods=["POST"],
    scope="apply-ip",
    deduct_when=_is_stored,
)
def apply():
    now = clock.now()
    round_ = open_round(db.session, now)
    if round_ is None:
        upcoming = next_round(db.session, now)
        status = 409 if request.method == "POST" else 200
        return render_template("intake/apply_closed.html", next_round=upcoming), status
    form = ApplicationForm(today=clock.today(), window=programme_window())
    if not form.is_submitted():
        form.privacy_notice_version.data = current_notice(clock.today()).version
    if form.is_submitted():
        if form.is_spam:
            # Stores nothing and says nothing about why; a person whose browser filled the
            # hidden field just sends the form again.
            form.fax_number.data = ""
            form.form_errors.append(str(NOT_SENT))
        elif form.validate():
            try:
                application, token = submit_application(
                    db.session, form.to_data(), round_=round_, now=now, secret=secret_key()
                )
            except SubmissionError as error:
                db.session.rollback()
                form.form_errors.append(str(error))
            else:
                done = {
                    "reference": application.reference,
                    "token": token,
                    "email": application.contact_email,
                }
                _commit_keeping_loaded()
                session[DONE_KEY] = done | {"mailed": _confirm(application, done["reference"])}
                return redirect(url_for("intake.apply_done"))
        elif form.csrf_failed:
            form.form_errors.insert(0, str(SESSION_EXPIRED))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("intake/apply.html", form=form, round=round_), status


def _commit_keeping_loaded() -> None:
    """Commit the stored application without expiring what the session holds: the
    confirmation mail reads the application right after, and every value it reads was set
    by this request, so loading the row back would cost a query for the same values."""
    current = db.session()
    expire_on_commit = current.expire_on_commit
    current.expire_on_commit = False
    try:
        current.commit()
    finally:
        current.expire_on_commit = expire_on_commit


def _confirm(application: Application, reference: str) -> bool:
    """Send the confirmation of a stored (committed) application; whether it went out.

    The application is stored whatever happens here. When the database goes away now (an
    outage), the mail's record cannot be written: the applicant still gets the confirmation
    page with the reference and the status link, as for a mail that failed, instead of an
    error page that would make them believe nothing was stored and send it again."""
    try:
        mailed = send_applicant_mail(
            db.session, application, "eingang", secret=secret_key(), actor=None
        )
        db.session.commit()
    except SQLAlchemyError as error:
        log.warning("confirmation of %s not recorded: %s", reference, type(error).__name__)
        # The connection may be gone; then the request's teardown discards it.
        with suppress(SQLAlchemyError):
            db.session.rollback()
        return False
    return mailed


@bp.get("/apply/done")
@public
@private_page
def apply_done():
    """The confirmation: reference and status link, shown once (a reload shows neither)."""
    done = session.pop(DONE_KEY, None)
    status_url = None
    if done:
        status_url = url_for("intake.status", token=done["token"], _external=True)
    return render_template("intake/apply_done.html", done=done, status_url=status_url)


@bp.get("/apply/status/<token>")
@public
@private_page
def status(token: str):
    application = _application_or_404(token)
    return render_template(
        "intake/status.html",
        application=application,
        token=token,
        can_withdraw=can_withdraw(application),
    )


@bp.route("/apply/status/<token>/withdraw", methods=["GET", "POST"])
@public
@private_page
def withdraw(token: str):
    """Withdraw an application: a confirmation page (GET), then the withdrawal (POST)."""
    application = _application_or_404(token)
    back = url_for("intake.status", token=token)
    if not can_withdraw(application):
        flash(_("Diese Bewerbung kann nicht mehr zurückgezogen werden."), "error")
        return redirect(back)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return render_template(
            "intake/withdraw.html", application=application, form=form, token=token
        )
    try:
        withdraw_application(db.session, application, now=clock.now())
        db.session.commit()
    except (SubmissionError, StaleDataError) as error:
        db.session.rollback()
        message = (
            str(error)
            if isinstance(error, SubmissionError)
            else _("Die Bewerbung wurde gerade bearbeitet. Bitte prüfen Sie den aktuellen Stand.")
        )
        flash(message, "error")
        return redirect(back)
    mailed = send_applicant_mail(
        db.session, application, "zurueckgezogen", secret=secret_key(), actor=None
    )
    db.session.commit()
    if mailed:
        flash(
            _("Ihre Bewerbung ist zurückgezogen. Sie erhalten eine Bestätigung per E-Mail."),
            "success",
        )
    else:
        flash(_("Ihre Bewerbung ist zurückgezogen."), "success")
    return redirect(back)


@bp.get("/datenschutz")
@public
def privacy():
    """The privacy notice that applies today."""
    return _privacy_page(current_notice(clock.today()))


@bp.get("/datenschutz/<version>")
@public
def privacy_version(version: str):
    """One version of the privacy notice, as an application may have linked it."""
    notice = notice_of(version, clock.today())
    if notice is None:
        abort(404)
    return _privacy_page(notice)


def _privacy_page(notice: PrivacyNotice) -> str:
    today = clock.today()
    return render_template(
        "intake/privacy.html",
        notice=notice,
        current=current_notice(today),
        notices=published(today),
        consent_version=CONSENT_TEXT_VERSION,
    )


@bp.get("/barrierefreiheit")
@public
def accessibility():
    return render_template("intake/accessibility.html")
