"""Login, logout, language choice and the staff directory (``/staff``)."""

from __future__ import annotations

import hashlib
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
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.extensions import db, limiter
from caseflow.settings.services import current as current_setting
from caseflow.staff import two_factor
from caseflow.staff.access import public, staff_required
from caseflow.staff.forms import CodeForm, LanguageForm, LoginForm
from caseflow.staff.identity import normalise_email
from caseflow.staff.models import MEASURE_LABELS, Role, StaffMember
from caseflow.staff.services import (
    complete_login,
    credentials_match,
    directory,
    load_credentials,
    set_locale,
    two_factor_roles,
)
from caseflow.staff.sessions import LOGOUT, end_session, start_session
from caseflow.staff.views.blueprint import bp
from caseflow.translating import gettext as _
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
    """The per-account limit's key: a hash of the address, since Flask-Limiter logs the key
    of a breached limit and logs must not hold email addresses."""
    address = normalise_email(request.form.get("email")) or "-"
    return "login-account:" + hashlib.sha256(address.encode()).hexdigest()[:32]


# Every login attempt counts, successful or not: the limit is taken before the view runs,
# so parallel requests cannot slip past it (counting only failures would be checked before
# and counted after each request). A user who logs in ten times in 15 minutes waits.
@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_setting("LOGIN_RATE_LIMIT_IP"),
    methods=["POST"],
    scope="login-ip",
)
@limiter.limit(
    lambda: current_setting("LOGIN_RATE_LIMIT_ACCOUNT"),
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
            member = db.session.get(StaffMember, credentials.member_id)
        if member is not None and member.can_log_in:
            if two_factor.required_for(member, two_factor_roles()):
                # The password was right; the second step decides. A code sent with the
                # password (the field ``code``) is checked at once.
                _remember_pending(member, next_url)
                if not two_factor.is_enrolled(member):
                    return redirect(url_for("staff.two_factor_setup"))
                if form.code.data:
                    return _second_step(member, form.code.data, next_url)
                return redirect(url_for("staff.login_code"))
            return _finish_login(member.id, password=form.password.data, next_url=next_url)
        db.session.rollback()
        log.info("failed login attempt from %s", request.remote_addr)
        form.form_errors.append(
            _("E-Mail-Adresse oder Passwort ist falsch, oder das Konto ist nicht aktiv.")
        )
    form.next.data = next_url or ""
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("staff/login.html", form=form), status


def _finish_login(member_id: int, *, password: str | None, next_url: str | None) -> Response:
    """Sign the member in: a new session row and a new cookie (nothing of the visitor's
    session carries over but the language), the login recorded."""
    member = complete_login(db.session, member_id, password, now=clock.now())
    if member is None:
        db.session.rollback()
        _start_fresh_session()
        flash(_("Das Konto ist nicht (mehr) aktiv."), "error")
        return redirect(url_for("staff.login"))
    member.session_token = start_session(db.session, member, now=clock.now())
    db.session.commit()
    _start_fresh_session()
    login_user(member)
    flash(_("Willkommen, %(name)s.", name=member.name), "success")
    return redirect(next_url or home_for(member))


# --- the second step ------------------------------------------------------------------------

PENDING_KEY = "login_pending"
# The password step counts for this long; then the login starts again.
PENDING_SECONDS = 300


def _remember_pending(member: StaffMember, next_url: str | None) -> None:
    _start_fresh_session()
    session[PENDING_KEY] = {
        "member": member.id,
        "at": clock.now().timestamp(),
        "next": next_url or "",
    }


def _pending_member() -> tuple[StaffMember | None, str | None]:
    """The member whose password was right a moment ago, and where they were going."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None, None
    age = clock.now().timestamp() - float(pending.get("at", 0))
    member = db.session.get(StaffMember, pending.get("member", 0))
    if not 0 <= age <= PENDING_SECONDS or member is None or not member.can_log_in:
        session.pop(PENDING_KEY, None)
        return None, None
    return member, safe_next(pending.get("next") or None)


def _pending_account_key() -> str:
    pending = session.get(PENDING_KEY)
    member = pending.get("member") if isinstance(pending, dict) else None
    return f"login-account:member-{member}"


def _code_failed(form: CodeForm) -> tuple[str, int]:
    db.session.rollback()
    log.info("failed second factor from %s", request.remote_addr)
    form.code.errors = [
        _(
            "Der Code ist falsch, abgelaufen oder wurde schon verwendet. Bitte geben Sie den "
            "aktuellen Code aus Ihrer App oder einen Wiederherstellungscode ein."
        )
    ]
    return render_template("staff/login_code.html", form=form), 422


def _second_step(
    member: StaffMember, code: str, next_url: str | None
) -> Response | tuple[str, int]:
    now = clock.now()
    if two_factor.verify_code(db.session, member, code, now=now) or (
        two_factor.use_recovery_code(db.session, member, code, now=now)
    ):
        return _finish_login(member.id, password=None, next_url=next_url)
    return _code_failed(CodeForm(formdata=None))


def _expired_pending() -> Response:
    flash(_("Bitte melden Sie sich erneut an; der erste Schritt ist abgelaufen."), "info")
    return redirect(url_for("staff.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_setting("LOGIN_RATE_LIMIT_IP"), methods=["POST"], scope="login-ip")
@limiter.limit(
    lambda: current_setting("LOGIN_RATE_LIMIT_ACCOUNT"),
    methods=["POST"],
    key_func=_pending_account_key,
    scope="login-account",
)
def login_code():
    """The second step: the code from the authenticator app (field ``code``)."""
    member, next_url = _pending_member()
    if member is None or not two_factor.is_enrolled(member):
        return _expired_pending()
    form = CodeForm()
    if form.validate_on_submit():
        return _second_step(member, form.code.data, next_url)
    status = 422 if form.errors else 200
    return render_template("staff/login_code.html", form=form), status


@bp.route("/login/two-factor/setup", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_setting("LOGIN_RATE_LIMIT_ACCOUNT"),
    methods=["POST"],
    key_func=_pending_account_key,
    scope="login-account",
)
def two_factor_setup():
    """Enrolment during login, for people whose role requires the second factor and who
    have none yet: a QR code made here, then a first code confirms it."""
    member, next_url = _pending_member()
    if member is None or two_factor.is_enrolled(member):
        return _expired_pending()
    form = CodeForm()
    if form.validate_on_submit():
        codes = two_factor.confirm_enrolment(db.session, member, form.code.data, now=clock.now())
        if codes is None:
            db.session.rollback()
            form.code.errors = [
                _(
                    "Der Code passt nicht. Prüfen Sie, ob die Uhr Ihres Telefons stimmt, und "
                    "geben Sie den aktuellen Code ein."
                )
            ]
        else:
            response = _finish_login(member.id, password=None, next_url=next_url)
            # Shown once, before the page the login leads to.
            return render_template(
                "staff/recovery_codes.html", codes=codes, continue_url=response.location
            )
    if not member.totp_secret:
        # A reload keeps the secret: the app may have read it already.
        two_factor.start_enrolment(db.session, member)
        db.session.commit()
    uri = two_factor.provisioning_uri(member)
    status = 422 if form.errors else 200
    return render_template(
        "staff/two_factor_setup.html",
        form=form,
        qr=Markup(two_factor.qr_svg(uri, title=_("QR-Code für die Authenticator-App"))),  # noqa: S704
        secret=member.totp_secret,
        required=True,
    ), status


@bp.post("/logout")
@public
def logout():
    """Log out (POST with a CSRF token, so no other site can log anyone out): the session
    row ends, so the old cookie is worth nothing even if it was copied."""
    token = getattr(current_user, "session_token", None)
    if token:
        end_session(db.session, token, reason=LOGOUT, now=clock.now())
        db.session.commit()
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
