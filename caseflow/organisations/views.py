"""The organisation register: ``/organisations`` and ``/organisations/<id>``.

What else belongs to an organisation — its engagements, its applications — lives in features
above this one, which organisations must not import (DESIGN.md §7). Those features add to
these pages through two signals instead, the way Indico's modules extend each other's pages:

- ``organisation_list_columns`` is sent with ``session`` while the list is built; a receiver
  returns a ``ListColumn`` (a heading and a value per organisation id);
- ``organisation_sections`` is sent with the organisation, ``session`` and ``today``; a
  receiver returns a ``PageSection`` (a template and its context) shown after the contacts.

Receivers load their data in a fixed number of statements, so the pages stay fixed too.
"""

from __future__ import annotations

from blinker import Namespace
from flask import Blueprint, abort, render_template

from caseflow import clock
from caseflow.extensions import db
from caseflow.organisations.queries import list_organisations, organisation_detail
from caseflow.staff.access import staff_required
from caseflow.web.sections import contributions

bp = Blueprint("organisations", __name__)

_signals = Namespace()
organisation_list_columns = _signals.signal("organisation-list-columns")
organisation_sections = _signals.signal("organisation-sections")


@bp.get("/organisations")
@staff_required
def index() -> str:
    """All client organisations with their numbers of contacts (and what features add)."""
    rows = list_organisations(db.session)
    columns = contributions(organisation_list_columns, None, session=db.session)
    return render_template("organisations/index.html", rows=rows, columns=columns)


@bp.get("/organisations/<int:organisation_id>")
@staff_required
def detail(organisation_id: int) -> str:
    """One organisation: facts, contact persons, and the sections features add."""
    organisation = organisation_detail(db.session, organisation_id)
    if organisation is None:
        abort(404)
    sections = contributions(
        organisation_sections, organisation, session=db.session, today=clock.today()
    )
    return render_template(
        "organisations/detail.html", organisation=organisation, sections=sections
    )
