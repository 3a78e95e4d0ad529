"""``/admin/``: the staff accounts."""

from __future__ import annotations

from flask import render_template

from caseflow.admin.queries import staff_accounts
from caseflow.admin.views.blueprint import bp
from caseflow.extensions import db
from caseflow.staff.access import admin_required


@bp.get("/")
@admin_required
def index() -> str:
    """The staff accounts with role, state and last login."""
    return render_template("admin/index.html", accounts=staff_accounts(db.session))
