from __future__ import annotations

from flask import Blueprint, render_template

from caseflow.staff.access import staff_required

bp = Blueprint("organisations", __name__)


@bp.get("/organisations")
@staff_required
def index():
    return render_template("organisations/index.html")
