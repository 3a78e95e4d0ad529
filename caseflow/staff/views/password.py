"""Setting a new password through a one-time link (``/password/...``).

``/password/forgot`` answers every address the same way, known or not, active or not, so
that nobody learns from it who has an account; it is rate-limited per address of the
visitor and per account, like the login. ``/password/reset/<token>`` sets the password once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from caseflow import clock
from caseflow.extensions import db, limiter
from caseflow.settings.services import current as current_setting
from caseflow.staff.access import public
from caseflow.staff.identity import normalise_email
from caseflow.staff.passwords import MAX_LENGTH
from caseflow.staff.resets import (
    Purpose,
    ResetRefused,
    TokenState,
    check_token,
    consume_token,
    issue_token,
    refusal_message,
    send_link_mail,
)
from caseflow.staff.services import find_by_email
from caseflow.staff.views.blueprint import bp
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

log = logging.getLogger(__name__)


class ForgotForm(FlaskForm):
    email = EmailField(
        _l("E-Mail-Adresse"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")),
            Length(max=254, message=_l("Die E-Mail-Adresse ist zu lang.")),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Neues Passwort"),
        validators=[
            DataRequired(_l("Bitte geben Sie ein neues Passwort ein.")),
            Length(
                max=MAX_LENGTH,
                message=_l(
                    "Das Passwort darf höchstens %(count)d Zeichen lang sein.", count=MAX_LENGTH
                ),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[
            DataRequired(_l("Bitte geben Sie das neue Passwort ein zweites Mal ein.")),
            EqualTo("password", message=_l("Die beiden Passwörter stimmen nicht überein.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _private(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages with the secret link in their address: never cached, never sent on as a
    referrer (the stylesheet's request would carry it otherwise)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


def _account_key() -> str:
    """The per-account limit's key: a hash of the address, since Flask-Limiter logs the key
    of a breached limit and logs must not hold email addresses."""
    address = normalise_email(request.form.get("email")) or "-"
    return "password-reset-account:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def _hours() -> int:
    return int(current_app.config["PASSWORD_RESET_HOURS"])


# Every request counts, as on the login: the limit is taken before the view runs. The limit
# per account keeps anyone from filling a person's mailbox with links.
@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_setting("PASSWORD_RESET_RATE_LIMIT_IP"),
    methods=["POST"],
    scope="password-reset-ip",
)
@limiter.limit(
    lambda: current_setting("PASSWORD_RESET_RATE_LIMIT_ACCOUNT"),
    methods=["POST"],
    key_func=_account_key,
    scope="password-reset-account",
)
def password_forgot() -> Response | tuple[str, int]:
    """Ask for a link to set a new password; the answer never tells whether the address
    belongs to an account."""
    form = ForgotForm()
    if form.validate_on_submit():
        member = find_by_email(db.session, form.email.data or "")
        if member is not None and member.can_log_in:
            token = issue_token(
                db.session,
                member,
                actor=None,
                purpose=Purpose.FORGOTTEN,
                now=clock.now(),
                hours=_hours(),
            )
            db.session.commit()
            send_link_mail(
                db.session, member, token, purpose=Purpose.FORGOTTEN, hours=_hours(), actor=None
            )
            db.session.commit()
        else:
            db.session.rollback()
            log.info("password link asked for an address without an active account")
        return redirect(url_for("staff.password_forgot_sent"))
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("staff/password_forgot.html", form=form), status


@bp.get("/password/forgot/sent")
@public
def password_forgot_sent() -> str:
    """The same answer for every address."""
    return render_template("staff/password_forgot_sent.html", hours=_hours())


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@_private
def password_reset(token: str) -> Response | tuple[str, int]:
    """Choose a new password through the link (once); a link that does not work gets a
    page saying why (404 unknown, 410 used or expired)."""
    now = clock.now()
    checked = check_token(db.session, token, now=now)
    if not checked.is_valid:
        return _refused(checked.state)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            consume_token(
                db.session,
                token,
                form.password.data or "",
                min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                now=now,
            )
            db.session.commit()
        except ResetRefused as error:
            db.session.rollback()
            checked = check_token(db.session, token, now=now)
            if not checked.is_valid:  # used a moment ago in another window
                return _refused(checked.state)
            form.password.errors = [*form.password.errors, str(error)]
        else:
            flash(
                _(
                    "Ihr neues Passwort ist gespeichert. Sie wurden überall abgemeldet; bitte "
                    "melden Sie sich mit dem neuen Passwort an."
                ),
                "success",
            )
            return redirect(url_for("staff.login"))
    status = 200 if request.method == "GET" or not form.errors else 422
    member = checked.token.staff_member if checked.token is not None else None
    page = render_template(
        "staff/password_reset.html",
        form=form,
        token=token,
        email=member.email if member is not None else None,
        min_length=current_app.config["PASSWORD_MIN_LENGTH"],
    )
    return page, status


def _refused(state: TokenState) -> tuple[str, int]:
    status = 404 if state is TokenState.UNKNOWN else 410
    return (
        render_template("staff/password_link_invalid.html", message=refusal_message(state)),
        status,
    )
