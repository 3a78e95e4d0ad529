"""``/admin/`` and ``/admin/accounts/…``: the staff accounts. The list shows role, state,
two-factor login, open sessions and the last login; an account's page changes the role,
deactivates or reactivates it and sends a link to set a new password; a new account is
created for a person of the staff directory, who gets a link to choose their password."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from caseflow import clock
from caseflow.admin.accounts import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    AccountError,
    account_row,
    account_rows,
    change_role,
    create_account,
    deactivate,
    end_sessions,
    has_account,
    issue_reset_link,
    link_purpose,
    people_without_account,
    reactivate,
    reset_second_factor,
)
from caseflow.admin.views.blueprint import bp
from caseflow.extensions import db
from caseflow.staff.access import admin_required
from caseflow.staff.models import Role, StaffMember
from caseflow.staff.resets import Purpose, send_link_mail
from caseflow.staff.sessions import Timeouts
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

ROLE_MESSAGE = _l("Bitte wählen Sie eine Rolle aus der Liste.")


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, role.label) for role in Role]


class RoleForm(FlaskForm):
    role = SelectField(_l("Rolle"), validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()

    def validate_role(self, field: SelectField) -> None:
        if field.data not in {role.value for role in Role}:
            raise ValidationError(str(ROLE_MESSAGE))


class NewAccountForm(RoleForm):
    staff_member_id = SelectField(
        _l("Person aus dem Mitarbeiterverzeichnis"), validate_choice=False
    )
    name = StringField(
        _l("Oder: Name einer neuen Person"),
        validators=[
            Optional(),
            Length(
                max=NAME_MAX_LENGTH,
                message=_l(
                    "Der Name darf höchstens %(count)d Zeichen lang sein.", count=NAME_MAX_LENGTH
                ),
            ),
        ],
    )
    email = EmailField(
        _l("E-Mail-Adresse"),
        validators=[
            Optional(),
            Length(max=EMAIL_MAX_LENGTH, message=_l("Die E-Mail-Adresse ist zu lang.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def offer(self, people: list[StaffMember]) -> None:
        """The directory people to choose from (those without a login)."""
        self.staff_member_id.choices = [("", _("– neue Person –"))] + [
            (
                str(member.id),
                member.name
                + (f" ({member.email})" if member.email else "")
                + ("" if member.is_active else " – " + _("ausgeschieden")),
            )
            for member in people
        ]

    def validate_staff_member_id(self, field: SelectField) -> None:
        if field.data and field.data not in {value for value, _label in field.choices or ()}:
            raise ValidationError(_("Bitte wählen Sie eine Person aus der Liste."))

    @property
    def chosen_id(self) -> int | None:
        return int(self.staff_member_id.data) if self.staff_member_id.data else None


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


def _actor() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _timeouts() -> Timeouts:
    return Timeouts.in_effect()


def _hours() -> int:
    return int(current_app.config["PASSWORD_RESET_HOURS"])


def _account_url(staff_member_id: int) -> str:
    return url_for("admin.account", staff_member_id=staff_member_id)


def _load(staff_member_id: int) -> StaffMember:
    member = db.session.get(StaffMember, staff_member_id)
    if member is None:
        abort(404)
    return member


def _mail_link(member: StaffMember, token: str, purpose: Purpose) -> bool:
    """Send the committed link by mail and commit the record of it."""
    sent = send_link_mail(
        db.session, member, token, purpose=purpose, hours=_hours(), actor=_actor()
    )
    db.session.commit()
    return sent


def _render_account(
    staff_member_id: int, *, role_form: RoleForm | None = None, status: int = 200
) -> tuple[str, int]:
    row = account_row(db.session, staff_member_id, now=clock.now(), timeouts=_timeouts())
    if row is None:
        abort(404)
    if role_form is None:
        role_form = RoleForm(formdata=None, data={"role": row.member.role.value})
    page = render_template(
        "admin/account.html",
        row=row,
        member=row.member,
        has_account=has_account(row.member),
        role_form=role_form,
        action_form=ActionForm(),
        is_self=row.member.id == _actor().id,
        hours=_hours(),
    )
    return page, status


@bp.get("/")
@admin_required
def index() -> str:
    """The staff accounts with role, state, two-factor login, sessions and last login."""
    return render_template(
        "admin/index.html",
        accounts=account_rows(db.session, now=clock.now(), timeouts=_timeouts()),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@admin_required
def new_account() -> Response | tuple[str, int]:
    """Create an account; the person gets a link to choose their password."""
    form = NewAccountForm()
    form.offer(people_without_account(db.session))
    if form.validate_on_submit():
        try:
            member, token = create_account(
                db.session,
                staff_member_id=form.chosen_id,
                name=form.name.data or "",
                email=form.email.data or "",
                role=Role(form.role.data),
                actor=_actor(),
                now=clock.now(),
                hours=_hours(),
            )
            db.session.commit()
        except AccountError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        except IntegrityError:  # someone took the address a moment ago
            db.session.rollback()
            form.form_errors.append(_("Für diese E-Mail-Adresse gibt es schon ein Konto."))
        else:
            if _mail_link(member, token, Purpose.WELCOME):
                flash(
                    _(
                        "Das Konto für %(name)s ist angelegt. Ein Link zum Festlegen des "
                        "Passworts ist an %(email)s unterwegs.",
                        name=member.name,
                        email=member.email,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "Das Konto für %(name)s ist angelegt, aber die E-Mail mit dem Link "
                        "konnte nicht gesendet werden. Bitte senden Sie den Link später "
                        "erneut.",
                        name=member.name,
                    ),
                    "error",
                )
            return redirect(_account_url(member.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/account_new.html", form=form, hours=_hours()), status


@bp.get("/accounts/<int:staff_member_id>")
@admin_required
def account(staff_member_id: int) -> tuple[str, int]:
    """One person's account: state, sessions, last login and the actions."""
    return _render_account(staff_member_id)


@bp.post("/accounts/<int:staff_member_id>/role")
@admin_required
def set_role(staff_member_id: int) -> Response | tuple[str, int]:
    member = _load(staff_member_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _render_account(staff_member_id, role_form=form, status=422)
    try:
        changed = change_role(
            db.session, member, Role(form.role.data), actor=_actor(), now=clock.now()
        )
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _render_account(staff_member_id, role_form=form, status=422)
    if changed:
        flash(
            _("%(name)s hat jetzt die Rolle „%(role)s“.", name=member.name, role=member.role.label),
            "success",
        )
    else:
        flash(_("Sie haben nichts geändert."), "info")
    return redirect(_account_url(staff_member_id))


@bp.post("/accounts/<int:staff_member_id>/deactivate")
@admin_required
def deactivate_account(staff_member_id: int) -> Response:
    member = _load(staff_member_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ended = deactivate(db.session, member, actor=_actor(), now=clock.now())
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(_account_url(staff_member_id))
    flash(
        _(
            "Das Konto von %(name)s ist deaktiviert. Beendete Sitzungen: %(sessions)d, "
            "entfernte Kalender-Abos: %(feeds)d.",
            name=member.name,
            sessions=ended["sessions_ended"],
            feeds=ended["calendar_feeds_revoked"],
        ),
        "success",
    )
    return redirect(_account_url(staff_member_id))


@bp.post("/accounts/<int:staff_member_id>/reactivate")
@admin_required
def reactivate_account(staff_member_id: int) -> Response:
    member = _load(staff_member_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        reactivate(db.session, member, actor=_actor(), now=clock.now())
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(_account_url(staff_member_id))
    flash(
        _(
            "Das Konto von %(name)s ist wieder aktiv. Wenn die Person ihr Passwort nicht mehr "
            "weiß, senden Sie ihr einen Link.",
            name=member.name,
        ),
        "success",
    )
    return redirect(_account_url(staff_member_id))


@bp.post("/accounts/<int:staff_member_id>/reset")
@admin_required
def send_reset_link(staff_member_id: int) -> Response:
    member = _load(staff_member_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        token = issue_reset_link(
            db.session, member, actor=_actor(), now=clock.now(), hours=_hours()
        )
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(_account_url(staff_member_id))
    if _mail_link(member, token, link_purpose(member)):
        flash(
            _(
                "Ein Link zum Festlegen eines neuen Passworts ist an %(email)s unterwegs. "
                "Ältere Links funktionieren nicht mehr.",
                email=member.email,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Die E-Mail mit dem Link konnte nicht gesendet werden. Bitte versuchen Sie es "
                "später noch einmal."
            ),
            "error",
        )
    return redirect(_account_url(staff_member_id))


@bp.post("/accounts/<int:staff_member_id>/two-factor/reset")
@admin_required
def reset_two_factor(staff_member_id: int) -> Response:
    """Remove a person's second factor (phone and recovery codes lost) and end their
    sessions; where their role requires one, they set up a new one at the next login."""
    member = _load(staff_member_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not reset_second_factor(db.session, member, actor=_actor(), now=clock.now()):
        flash(_("%(name)s hat keine Zwei-Faktor-Anmeldung eingerichtet.", name=member.name), "info")
        return redirect(_account_url(staff_member_id))
    db.session.commit()
    flash(
        _(
            "Die Zwei-Faktor-Anmeldung von %(name)s ist zurückgesetzt und alle Sitzungen sind "
            "beendet. Bei der nächsten Anmeldung richtet die Person sie neu ein, wenn ihre "
            "Rolle sie verlangt.",
            name=member.name,
        ),
        "success",
    )
    return redirect(_account_url(staff_member_id))


@bp.post("/accounts/<int:staff_member_id>/sessions/end")
@admin_required
def end_account_sessions(staff_member_id: int) -> Response:
    """Sign a person out everywhere (a lost laptop), without deactivating the account."""
    member = _load(staff_member_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ended = end_sessions(db.session, member, actor=_actor(), now=clock.now())
    db.session.commit()
    flash(
        _("%(count)d Sitzung(en) von %(name)s beendet.", count=ended, name=member.name),
        "success",
    )
    return redirect(_account_url(staff_member_id))
