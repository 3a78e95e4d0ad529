"""caseflow — the case manager for DiFair's organisational consulting (measure 3).

``create_app`` builds the application; importing this package does nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from caseflow.admin.views import bp as admin_bp
from caseflow.audit.labels import action_label
from caseflow.audit.services import set_origin
from caseflow.cli import register_cli
from caseflow.config import load_config, rate_limit_warning
from caseflow.database import configure_sqlite
from caseflow.documents.views import bp as documents_bp
from caseflow.engagements.views import bp as engagements_bp
from caseflow.extensions import babel, csrf, db, limiter, login_manager, migrate
from caseflow.followups.views import bp as followups_bp
from caseflow.intake.views import bp as intake_bp
from caseflow.mail import init_mail
from caseflow.models import __all__ as _all_models  # noqa: F401  (every table on the metadata)
from caseflow.organisations.views import bp as organisations_bp
from caseflow.outcomes.views import bp as outcomes_bp
from caseflow.portfolio.views import bp as portfolio_bp
from caseflow.settings import init_app as init_settings
from caseflow.staff.access import LOGIN_MESSAGE
from caseflow.staff.sessions import load_signed_in_user, load_user
from caseflow.staff.views import bp as staff_bp
from caseflow.web import errors, health, outbox
from caseflow.web.converters import register_converters
from caseflow.web.i18n import register_i18n, select_locale
from caseflow.web.input import register_input_checks
from caseflow.web.layout import register_layout
from caseflow.web.security import register_security_headers

PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str) -> str:
    """A top-level folder of the repository, or its copy inside an installed wheel."""
    inside = PACKAGE_DIR / name
    return str(inside if inside.is_dir() else PACKAGE_DIR.parent / name)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a caseflow application: config → extensions → blueprints → errors → CLI.

    ``config`` overrides everything else (tests pass their settings here).
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=_shipped("templates"),
        instance_path=(config or {}).get("INSTANCE_PATH")
        or os.environ.get("CASEFLOW_INSTANCE_PATH"),
    )
    load_config(app, config)
    init_mail(app)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    errors.register_error_handlers(app)
    register_i18n(app)
    register_layout(app)
    init_settings(app)
    app.add_template_filter(action_label, "audit_action")
    register_request_hooks(app)
    register_security_headers(app)
    register_input_checks(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(
        app,
        db,
        directory=app.config["MIGRATIONS_DIRECTORY"] or _shipped("migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    if warning := rate_limit_warning(app.config):
        app.logger.warning(warning)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "staff.login"
    # A lazy string, turned into text (in the visitor's language) when it is flashed.
    login_manager.login_message = LOGIN_MESSAGE
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"
    app.before_request(load_signed_in_user)
    if app.config.get("TRUSTED_PROXIES"):
        count = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def register_blueprints(app: Flask) -> None:
    for blueprint in (
        health.bp,
        staff_bp,
        intake_bp,
        organisations_bp,
        engagements_bp,
        followups_bp,
        documents_bp,
        portfolio_bp,
        outcomes_bp,
        admin_bp,
    ):
        app.register_blueprint(blueprint)
    if app.config["CASEFLOW_ENV"] == "development":
        # The outbox page shows local mail files: it does not even exist outside development.
        app.register_blueprint(outbox.bp)


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _audit_origin() -> None:
        set_origin(request.remote_addr)
