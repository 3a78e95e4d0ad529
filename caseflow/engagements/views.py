from __future__ import annotations

from flask import Blueprint, render_template

from caseflow.staff.access import staff_required

bp = Blueprint("engagements", __name__)


@bp.get("/engagements")
@staff_required
def index():
    return render_template("engagements/index.html")
