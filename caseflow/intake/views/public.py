"""The public side: landing page, application form, confirmation, status link."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from caseflow.intake.views.blueprint import bp
from caseflow.staff.access import public


@bp.get("/")
@public
def landing():
    if current_user.is_authenticated:
        return redirect(url_for("portfolio.dashboard"))
    return render_template("intake/landing.html")
