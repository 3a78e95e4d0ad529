from __future__ import annotations

from flask import Blueprint, render_template

from caseflow.staff.access import lead_required, staff_required

bp = Blueprint("portfolio", __name__)


@bp.get("/dashboard")
@staff_required
def dashboard():
    return render_template("portfolio/dashboard.html")


@bp.get("/timeline")
@lead_required
def timeline():
    return render_template("portfolio/timeline.html")


@bp.get("/capacity")
@lead_required
def capacity():
    return render_template("portfolio/capacity.html")


@bp.get("/reports")
@lead_required
def reports():
    return render_template("portfolio/reports.html")
