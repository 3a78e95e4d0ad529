"""Public landing page; the staff's application list."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from caseflow.staff.access import public, staff_required

bp = Blueprint("intake", __name__)


@bp.get("/")
@public
def landing():
    if current_user.is_authenticated:
        return redirect(url_for("portfolio.dashboard"))
    return render_template("intake/landing.html")


@bp.get("/applications")
@staff_required
def applications():
    return render_template("intake/applications.html")
