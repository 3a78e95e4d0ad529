"""``/account/security``: one's own password, second factor and sign-in sessions."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from caseflow import clock
from caseflow.extensions import db, limiter
from caseflow.settings.services import current as current_setting
from caseflow.staff import two_factor
from caseflow.staff.access import staff_required
from caseflow.staff.forms import CodeForm, PasswordChangeForm
from caseflow.staff.models import StaffMember
from caseflow.staff.passwords import verify_password
from caseflow.staff.services import StaffError, set_password, two_factor_roles
from caseflow.staff.sessions import (
    PASSWORD,
    REVOKED,
    Timeouts,
    end_all_sessions,
    hash_token,
    open_sessions,
)
from caseflow.staff.views.blueprint import bp
from caseflow.translating import gettext as _


def _me() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _account_key() -> str:
    return f"account:{current_user.get_id()}"


# Password and code checks on this page are limited like the login: they are guesses too.
_limited = limiter.limit(
    lambda: current_setting("LOGIN_RATE_LIMIT_ACCOUNT"),
    methods=["POST"],
    key_func=_account_key,
    scope="account-security",
)


def _page(
    password_form: PasswordChangeForm | None = None,
    code_form: CodeForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    me = _me()
    roles = two_factor_roles()
    return (
        render_template(
            "staff/security.html",
            password_form=password_form or PasswordChangeForm(formdata=None),
            code_form=code_form or CodeForm(formdata=None),
            enrolled=two_factor.is_enrolled(me),
            required=me.role.value in roles,
            may_disable=two_factor.may_disable(me, roles),
            recovery_left=two_factor.unused_recovery_codes(db.session, me),
            sessions=open_sessions(db.session, me.id),
            current_hash=hash_token(me.session_token or ""),
            timeouts=Timeouts.in_effect(),
        ),
        status,
    )


@bp.get("/account/security")
@staff_required
def security():
    return _page()


@bp.post("/account/password")
@staff_required
@_limited
def change_password():
    """A new password; every other session of this person ends, this one stays."""
    me = _me()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not verify_password(me.password_hash, form.current_password.data):
            form.current_password.errors = [_("Das bisherige Passwort ist falsch.")]
        elif form.new_password.data != form.repeat_password.data:
            form.repeat_password.errors = [_("Die beiden neuen Passwörter stimmen nicht überein.")]
        else:
            try:
                set_password(
                    db.session,
                    me,
                    form.new_password.data,
                    actor=me,
                    min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                )
            except StaffError as error:
                form.new_password.errors = [str(error)]
            else:
                ended = end_all_sessions(
                    db.session, me.id, reason=PASSWORD, now=clock.now(), keep=me.session_token
                )
                db.session.commit()
                flash(_("Ihr Passwort ist geändert."), "success")
                if ended:
                    flash(
                        _(
                            "%(count)d andere Sitzung(en) wurden beendet; dort müssen Sie sich neu "
                            "anmelden.",
                            count=ended,
                        ),
                        "info",
                    )
                return redirect(url_for("staff.security"))
    db.session.rollback()
    return _page(password_form=form, status=422)


@bp.post("/account/sessions/end-others")
@staff_required
def end_other_sessions():
    me = _me()
    ended = end_all_sessions(
        db.session, me.id, reason=REVOKED, now=clock.now(), keep=me.session_token
    )
    db.session.commit()
    flash(_("%(count)d andere Sitzung(en) beendet.", count=ended), "success")
    return redirect(url_for("staff.security"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@staff_required
@_limited
def enrol_two_factor():
    """Set up the second factor of one's own accord (or again after switching it off)."""
    me = _me()
    if two_factor.is_enrolled(me):
        return redirect(url_for("staff.security"))
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        codes = two_factor.confirm_enrolment(db.session, me, form.code.data, now=clock.now())
        if codes is not None:
            db.session.commit()
            return render_template(
                "staff/recovery_codes.html",
                codes=codes,
                continue_url=url_for("staff.security"),
            )
        db.session.rollback()
        form.code.errors = [
            _(
                "Der Code passt nicht. Prüfen Sie, ob die Uhr Ihres Telefons stimmt, und geben "
                "Sie den aktuellen Code ein."
            )
        ]
    if not me.totp_secret:
        # A reload keeps the secret: the app may have read it already.
        two_factor.start_enrolment(db.session, me)
        db.session.commit()
    return render_template(
        "staff/two_factor_setup.html",
        form=form,
        qr=Markup(  # noqa: S704  (made by segno from our own data)
            two_factor.qr_svg(
                two_factor.provisioning_uri(me), title=_("QR-Code für die Authenticator-App")
            )
        ),
        secret=me.totp_secret,
        required=False,
    ), (422 if form.errors else 200)


def _code_checked(form: CodeForm) -> bool:
    """The current code (or a recovery code) confirms a change of the second factor."""
    me = _me()
    if not form.validate_on_submit():
        return False
    now = clock.now()
    if two_factor.verify_code(db.session, me, form.code.data, now=now) or (
        two_factor.use_recovery_code(db.session, me, form.code.data, now=now)
    ):
        return True
    form.code.errors = [_("Der Code ist falsch, abgelaufen oder wurde schon verwendet.")]
    return False


@bp.post("/account/two-factor/recovery-codes")
@staff_required
@_limited
def renew_recovery_codes():
    me = _me()
    form = CodeForm()
    if not two_factor.is_enrolled(me):
        return redirect(url_for("staff.security"))
    if _code_checked(form):
        codes = two_factor.regenerate_recovery_codes(db.session, me, now=clock.now())
        db.session.commit()
        return render_template(
            "staff/recovery_codes.html", codes=codes, continue_url=url_for("staff.security")
        )
    db.session.rollback()
    return _page(code_form=form, status=422)


@bp.post("/account/two-factor/disable")
@staff_required
@_limited
def disable_two_factor():
    me = _me()
    form = CodeForm()
    if not two_factor.is_enrolled(me):
        return redirect(url_for("staff.security"))
    if not two_factor.may_disable(me, two_factor_roles()):
        flash(_("Für Ihre Rolle ist die Zwei-Faktor-Anmeldung vorgeschrieben."), "error")
        return redirect(url_for("staff.security"))
    if _code_checked(form):
        two_factor.disable(db.session, me, actor=me, now=clock.now())
        db.session.commit()
        flash(_("Die Zwei-Faktor-Anmeldung ist ausgeschaltet."), "success")
        return redirect(url_for("staff.security"))
    db.session.rollback()
    return _page(code_form=form, status=422)
