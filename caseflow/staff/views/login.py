"""Login, logout, language choice and the staff directory (``/staff``)."""

from __future__ import annotations

import logging

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from caseflow import clock
from caseflow.extensions import db, limiter
from caseflow.staff.access import public, staff_required
from caseflow.staff.forms import LanguageForm, LoginForm
from caseflow.staff.identity import normalise_email
from caseflow.staff.models import MEASURE_LABELS, Role, StaffMember
from caseflow.staff.services import (
    complete_login,
    credentials_match,
    directory,
    load_credentials,
    set_locale,
)
from caseflow.staff.views.blueprint import bp
from caseflow.web.i18n import SESSION_KEY as LOCALE_KEY
from caseflow.web.urls import safe_next

log = logging.getLogger(__name__)


def home_for(member: StaffMember) -> str:
    """Where a staff member lands after login: admins on administration, others on the
    dashboard with their own work."""
    if member.role is Role.ADMIN:
        return url_for("admin.index")
    return url_for("portfolio.dashboard")


def _start_fresh_session() -> None:
    """Nothing from before a login or logout carries over, except the chosen language."""
    locale = session.get(LOCALE_KEY)
    session.clear()
    if locale:
        session[LOCALE_KEY] = locale


def _account_key() -> str:
    return "login-account:" + (normalise_email(request.form.get("email")) or "-")


# Every login attempt counts, successful or not: the limit is taken before the view runs,
# so parallel requests cannot slip past it (counting only failures would be checked before
# and counted after each request). A user who logs in ten times in 15 minutes waits.
@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_IP"],
    methods=["POST"],
    scope="login-ip",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"],
    methods=["POST"],
    key_func=_account_key,
    scope="login-account",
)
def login():
    form = LoginForm()
    next_url = safe_next(request.args.get("next") or form.next.data)
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or home_for(current_user))
    if form.validate_on_submit():
        credentials = load_credentials(db.session, form.email.data)
        # End the read before the slow password check: on SQLite a writing request's
        # transaction holds the database's write lock for as long as it is open.
        db.session.rollback()
        member = None
        if credentials_match(credentials, form.password.data) and credentials.member_id:
            member = complete_login(
                db.session, credentials.member_id, form.password.data, now=clock.now()
            )
        if member is not None:
            db.session.commit()
            _start_fresh_session()
            login_user(member)
            flash(_("Willkommen, %(name)s.", name=member.name), "success")
            return redirect(next_url or home_for(member))
        db.session.rollback()
        log.info("failed login attempt from %s", request.remote_addr)
        form.form_errors.append(
            _("E-Mail-Adresse oder Passwort ist falsch, oder das Konto ist nicht aktiv.")
        )
    form.next.data = next_url or ""
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("staff/login.html", form=form), status


@bp.post("/logout")
@public
def logout():
    """Log out (POST with a CSRF token, so no other site can log anyone out)."""
    logout_user()
    _start_fresh_session()
    flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("staff.login"))


@bp.post("/language")
@public
def language():
    """Switch the interface language; remembered in the session and, for staff, the profile."""
    form = LanguageForm()
    back = safe_next(form.next.data) or url_for("intake.landing")
    if not form.validate_on_submit() or form.locale.data not in current_app.config["LANGUAGES"]:
        flash(_("Diese Sprache wird nicht unterstützt."), "error")
        return redirect(back)
    session[LOCALE_KEY] = form.locale.data
    if current_user.is_authenticated:
        set_locale(db.session, current_user, form.locale.data)
        db.session.commit()
    return redirect(back)


@bp.get("/staff")
@staff_required
def staff_directory():
    members = directory(db.session)
    return render_template("staff/directory.html", members=members, measure_labels=MEASURE_LABELS)
