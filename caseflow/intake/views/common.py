"""What the staff's application views share: loading, the acting member, the programme
window, and the answers to refused or conflicting changes."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from caseflow.extensions import db
from caseflow.intake.models import Application
from caseflow.intake.services.mailing import mail_skip_reason, send_applicant_mail
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

CONFLICT_MESSAGE = _l(
    "Jemand anderes hat diese Bewerbung gerade geändert. Ihre Änderung wurde nicht "
    "gespeichert; bitte prüfen Sie den aktuellen Stand und versuchen Sie es noch einmal."
)


def acting_member() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def load_application(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        abort(404)
    return application


def page_url(application_id: int, anchor: str | None = None) -> str:
    return url_for("intake.application", application_id=application_id, _anchor=anchor)


def conflict(application_id: int) -> Response:
    db.session.rollback()
    flash(str(CONFLICT_MESSAGE), "error")
    return redirect(page_url(application_id))


def refused(application_id: int, error: Exception) -> Response:
    db.session.rollback()
    flash(str(error), "error")
    return redirect(page_url(application_id))


def attach(form: FlaskForm, field: str | None, message: str) -> None:
    """Show a service's message next to ``field`` of ``form`` (or at the form's top)."""
    if field is not None and field in form:
        form[field].errors = [*form[field].errors, message]
    else:
        form.form_errors.append(message)


def notify_applicant(application: Application, kind: str) -> None:
    """After a committed decision: email the applicant, record it, commit again."""
    sent = send_applicant_mail(
        db.session,
        application,
        kind,
        secret=current_app.config["SECRET_KEY"],
        actor=acting_member(),
    )
    db.session.commit()
    if not sent and mail_skip_reason(application) is not None:
        flash(
            _(
                "Die Verarbeitung der Daten dieser Ansprechperson ist eingeschränkt; es wurde "
                "keine E-Mail gesendet. Bitte informieren Sie sie, wenn nötig, auf anderem Weg."
            ),
            "info",
        )
    elif not sent:
        flash(
            _(
                "Die E-Mail an die Ansprechperson konnte nicht gesendet werden. Bitte "
                "informieren Sie sie auf anderem Weg."
            ),
            "warning",
        )
