"""``/admin/selbstcheck``: the Selbstcheck's questionnaire (issue 9) — the current statements
by category with their version, adding one, and per statement (``/admin/selbstcheck/<key>``)
its version history with the answers each version got, revising its wording, retiring it,
restoring a retired one, and moving one up or down in its category.

Every form that changes a statement carries the id of the version it was shown for
(``shown``): a form shown before another change of the same statement is refused with a
message instead of overwriting it. The rules are in ``caseflow.outcomes.questionnaire``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired

from caseflow import clock
from caseflow.admin.views.blueprint import bp
from caseflow.engagements.forms.common import VERSION_MESSAGE
from caseflow.engagements.models import BarrierCategory
from caseflow.extensions import db
from caseflow.outcomes.catalogue import MAX_TEXT
from caseflow.outcomes.models import SelfcheckStatement
from caseflow.outcomes.questionnaire import (
    History,
    QuestionnaireError,
    StaleStatement,
    add_statement,
    current_by_category,
    history_of,
    move_statement,
    restore_statement,
    retire_statement,
    retired_statements,
    revise_statement,
    statement_by_id,
)
from caseflow.staff.access import admin_required
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.web.converters import form_id

TEXT_HINT = _l(
    "Eine konkrete Aussage in einer Zeile, höchstens %(max)d Zeichen. Zustimmen heißt "
    "immer: die gute Praxis ist da.",
    max=MAX_TEXT,
)


class AddForm(FlaskForm):
    """A new statement: its category and wording (checked by the service)."""

    category = SelectField(_l("Kategorie"), validate_choice=False)
    text = StringField(_l("Wortlaut"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [("", _("Bitte wählen"))] + [
            (category.value, category.label) for category in BarrierCategory
        ]


class ReviseForm(FlaskForm):
    """New wording for the version ``shown``."""

    shown = HiddenField()
    text = StringField(_l("Neuer Wortlaut"))


class RetireForm(FlaskForm):
    shown = HiddenField()
    confirm = BooleanField(
        _l("Ich möchte diese Aussage aus dem Fragebogen zurückziehen."),
        validators=[
            DataRequired(_l("Bitte bestätigen Sie, dass die Aussage zurückgezogen werden soll."))
        ],
    )


def _actor() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _concurrent_message() -> str:
    return _(
        "Gleichzeitig wurde diese Aussage schon geändert – von jemand anderem oder durch "
        "einen doppelten Klick. Ihre Änderung wurde nicht gespeichert; bitte prüfen Sie den "
        "aktuellen Stand."
    )


def _page_url(key: str, anchor: str | None = None) -> str:
    return url_for("admin.selfcheck_statement", key=key, _anchor=anchor)


def _history(key: str) -> History:
    history = history_of(db.session, key)
    if history is None:
        abort(404)
    return history


def _shown(history: History, value: str | None) -> SelfcheckStatement | None:
    """The version of ``history`` whose id the form sent; None for anything else (missing,
    not a number, another key's row)."""
    wanted = form_id(value)
    if wanted is None:
        return None
    return next((row for row in history.versions if row.id == wanted), None)


def _attach(form: FlaskForm, error: QuestionnaireError) -> None:
    """Show ``error`` at its field, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        form.form_errors.append(str(error))
    else:
        field.errors = [*field.errors, str(error)]


def _refused(key: str, message: str, anchor: str | None = None) -> Response:
    """Roll back, flash ``message`` as an error and show the statement as it is stored."""
    db.session.rollback()
    flash(message, "error")
    return redirect(_page_url(key, anchor))


# --- the questionnaire --------------------------------------------------------------------


def _render_list(add_form: AddForm | None = None, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "admin/selfcheck.html",
        groups=current_by_category(db.session),
        retired=retired_statements(db.session),
        add_form=add_form or AddForm(prefix="add", formdata=None),
        text_hint=TEXT_HINT,
        max_text=MAX_TEXT,
    )
    return page, status


@bp.get("/selbstcheck")
@admin_required
def selfcheck() -> tuple[str, int]:
    """The current statements by category, the form to add one, the retired ones."""
    return _render_list()


@bp.post("/selbstcheck")
@admin_required
def add_selfcheck_statement() -> Response | tuple[str, int]:
    """Add a statement (version 1 under a new key, at the end of its category)."""
    form = AddForm(prefix="add")
    if not form.validate_on_submit():
        return _render_list(form, status=422)
    try:
        statement = add_statement(
            db.session,
            category=form.category.data or "",
            text=form.text.data,
            actor=_actor(),
            now=clock.now(),
        )
        db.session.commit()
    except QuestionnaireError as error:
        db.session.rollback()
        _attach(form, error)
        return _render_list(form, status=422)
    except IntegrityError:  # the same wording added at the same moment
        db.session.rollback()
        flash(_concurrent_message(), "error")
        return redirect(url_for("admin.selfcheck"))
    flash(
        _(
            "Die Aussage wurde aufgenommen (Schlüssel %(key)s). Selbstchecks, die ab jetzt "
            "begonnen werden, fragen sie.",
            key=statement.key,
        ),
        "success",
    )
    return redirect(url_for("admin.selfcheck", _anchor=f"aussage-{statement.key}"))


# --- one statement --------------------------------------------------------------------------


def _render_statement(
    history: History,
    *,
    revise_form: ReviseForm | None = None,
    retire_form: RetireForm | None = None,
    marked: SelfcheckStatement | None = None,
    status: int = 200,
) -> tuple[str, int]:
    current = history.current
    shown = {"shown": str(current.id) if current else ""}
    if revise_form is None:
        revise_form = ReviseForm(
            prefix="revise",
            formdata=None,
            data={**shown, "text": current.text if current else ""},
        )
    if retire_form is None:
        retire_form = RetireForm(prefix="retire", formdata=None, data=shown)
    page = render_template(
        "admin/selfcheck_statement.html",
        history=history,
        current=current,
        revise_form=revise_form,
        retire_form=retire_form,
        marked=marked,
        text_hint=TEXT_HINT,
        max_text=MAX_TEXT,
    )
    return page, status


@bp.get("/selbstcheck/<key>")
@admin_required
def selfcheck_statement(key: str) -> tuple[str, int]:
    """One statement: its versions with their answers; revise, retire or restore it."""
    return _render_statement(_history(key))


@bp.get("/selbstcheck/fassung/<int:statement_id>")
@admin_required
def selfcheck_version(statement_id: int) -> tuple[str, int]:
    """The page of the statement one version belongs to, with that version marked (the
    audit log links here, as its events name a version's id)."""
    statement = statement_by_id(db.session, statement_id)
    if statement is None:
        abort(404)
    return _render_statement(_history(statement.key), marked=statement)


@bp.post("/selbstcheck/<key>/bearbeiten")
@admin_required
def revise_selfcheck_statement(key: str) -> Response | tuple[str, int]:
    """Save new wording as the statement's next version."""
    history = _history(key)
    form = ReviseForm(prefix="revise")
    shown = _shown(history, form.shown.data)
    if not form.validate_on_submit() or shown is None:
        return _refused(key, str(VERSION_MESSAGE))
    try:
        revise_statement(db.session, shown, text=form.text.data, actor=_actor(), now=clock.now())
        db.session.commit()
    except StaleStatement as error:
        # Shown again with what was typed, on the current version: sending it once more
        # replaces the other change on purpose.
        db.session.rollback()
        history = _history(key)
        flash(str(error), "error")
        form.shown.data = str(history.current.id) if history.current else ""
        return _render_statement(history, revise_form=form, status=409)
    except QuestionnaireError as error:
        db.session.rollback()
        _attach(form, error)
        return _render_statement(_history(key), revise_form=form, status=422)
    except IntegrityError:  # another admin revised it at the same moment
        return _refused(key, _concurrent_message())
    flash(
        _(
            "Die neue Fassung wurde gespeichert. Bisherige Antworten behalten den alten "
            "Wortlaut; Selbstchecks, die ab jetzt begonnen werden, fragen den neuen."
        ),
        "success",
    )
    return redirect(_page_url(key))


@bp.post("/selbstcheck/<key>/zurueckziehen")
@admin_required
def retire_selfcheck_statement(key: str) -> Response | tuple[str, int]:
    """Take the statement out of the questionnaire (after a confirmation)."""
    history = _history(key)
    form = RetireForm(prefix="retire")
    shown = _shown(history, form.shown.data)
    if shown is None:
        return _refused(key, str(VERSION_MESSAGE))
    if not form.validate_on_submit():
        return _render_statement(history, retire_form=form, status=422)
    try:
        retire_statement(db.session, shown, actor=_actor(), now=clock.now())
        db.session.commit()
    except QuestionnaireError as error:  # stale, or the last statement
        return _refused(key, str(error))
    except IntegrityError:
        return _refused(key, _concurrent_message())
    flash(
        _(
            "Die Aussage wurde zurückgezogen. Selbstchecks, die ab jetzt begonnen werden, "
            "fragen sie nicht mehr; bisherige Antworten bleiben erhalten."
        ),
        "success",
    )
    return redirect(url_for("admin.selfcheck"))


@bp.post("/selbstcheck/<key>/wiederaufnehmen")
@admin_required
def restore_selfcheck_statement(key: str) -> Response:
    """Bring a retired statement back as a new version, at the end of its category."""
    history = _history(key)
    form = FlaskForm()
    shown = _shown(history, request.form.get("shown"))
    if not form.validate_on_submit() or shown is None:
        return _refused(key, str(VERSION_MESSAGE))
    try:
        restore_statement(db.session, shown, actor=_actor(), now=clock.now())
        db.session.commit()
    except QuestionnaireError as error:
        return _refused(key, str(error))
    except IntegrityError:
        return _refused(key, _concurrent_message())
    flash(_("Die Aussage ist wieder im Fragebogen."), "success")
    return redirect(url_for("admin.selfcheck", _anchor=f"aussage-{key}"))


@bp.post("/selbstcheck/<key>/verschieben")
@admin_required
def move_selfcheck_statement(key: str) -> Response:
    """Move the statement one place up or down in its category."""
    history = _history(key)
    form = FlaskForm()
    shown = _shown(history, request.form.get("shown"))
    direction = request.form.get("direction")
    back = url_for("admin.selfcheck", _anchor=f"aussage-{key}")
    if not form.validate_on_submit() or shown is None or direction not in ("up", "down"):
        db.session.rollback()
        flash(str(VERSION_MESSAGE), "error")
        return redirect(back)
    try:
        move_statement(db.session, shown, up=direction == "up", actor=_actor(), now=clock.now())
        db.session.commit()
    except QuestionnaireError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    flash(_("Die Reihenfolge wurde geändert."), "success")
    return redirect(back)
