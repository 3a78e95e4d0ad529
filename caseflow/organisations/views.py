"""The organisation register: ``/organisations``, ``/organisations/<id>`` and the forms that
change an organisation and its contact persons (leads and admins; consultants read).

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
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.extensions import db
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.forms import ContactForm, OrganisationForm
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.organisations.queries import (
    SEARCH_MAX_LENGTH,
    OrganisationFilters,
    list_organisations,
    organisation_contact,
    organisation_detail,
)
from caseflow.organisations.services import (
    OrganisationError,
    OrganisationNotPermitted,
    StaleForm,
    create_contact,
    fingerprint,
    may_edit_contact,
    may_edit_organisation,
    update_contact,
    update_organisation,
)
from caseflow.staff.access import lead_required, staff_required
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.filters import enum_filter
from caseflow.web.sections import contributions

bp = Blueprint("organisations", __name__)

_signals = Namespace()
organisation_list_columns = _signals.signal("organisation-list-columns")
organisation_sections = _signals.signal("organisation-sections")


def _acting_member() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _filters(notes: list[str]) -> OrganisationFilters:
    """The list filters in the query string; unknown values are ignored with a note."""
    search = " ".join(request.args.get("q", "").split())
    if len(search) > SEARCH_MAX_LENGTH:
        notes.append(
            _(
                "Der Suchbegriff ist länger als %(max)d Zeichen; gesucht wird nach den ersten "
                "%(max)d Zeichen.",
                max=SEARCH_MAX_LENGTH,
            )
        )
        search = search[:SEARCH_MAX_LENGTH]
    sector = enum_filter(
        request.args.get("sector"),
        Sector,
        notes,
        message=_("Den Bereich „%(value)s“ gibt es nicht; der Filter wurde ignoriert."),
    )
    district = enum_filter(
        request.args.get("district"),
        District,
        notes,
        message=_("Den Bezirk „%(value)s“ gibt es nicht; der Filter wurde ignoriert."),
    )
    return OrganisationFilters(search=search or None, sector=sector, district=district)


@bp.get("/organisations")
@staff_required
def index() -> str:
    """The client organisations (filtered by name, sector, district) with their numbers of
    contacts (and what features add)."""
    notes: list[str] = []
    filters = _filters(notes)
    rows = list_organisations(db.session, filters)
    columns = contributions(organisation_list_columns, None, session=db.session)
    return render_template(
        "organisations/index.html",
        rows=rows,
        columns=columns,
        filters=filters,
        notes=notes,
        sectors=list(Sector),
        districts=list(District),
    )


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
    member = _acting_member()
    return render_template(
        "organisations/detail.html",
        organisation=organisation,
        sections=sections,
        can_edit=may_edit_organisation(member),
        editable_contacts={
            contact.id for contact in organisation.contacts if may_edit_contact(contact, member)
        },
    )


def _load_organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _detail_url(organisation_id: int, anchor: str | None = None) -> str:
    return url_for("organisations.detail", organisation_id=organisation_id, _anchor=anchor)


def _refused(organisation_id: int, message: str, anchor: str | None = None) -> Response:
    """Roll back, flash ``message`` as an error and go back to the organisation page."""
    db.session.rollback()
    flash(message, "error")
    return redirect(_detail_url(organisation_id, anchor))


def _attach(form: OrganisationForm | ContactForm, field: str | None, message: str) -> None:
    """Show a service's message next to ``field`` of ``form`` (or at the form's top)."""
    if field is not None and field in form:
        form[field].errors = [*form[field].errors, message]
    else:
        form.form_errors.append(message)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@lead_required
def edit(organisation_id: int) -> Response | tuple[str, int]:
    """Change an organisation's name, sector and sub-type, district, address, website and
    staff size."""
    organisation = _load_organisation(organisation_id)
    form = OrganisationForm()
    if not form.is_submitted():
        form.shown.data = fingerprint(organisation)
        form.name.data = organisation.name
        form.sector.data = organisation.sector.value
        form.subtype.data = organisation.subtype
        form.district.data = organisation.district.value
        form.address.data = organisation.address
        form.website.data = organisation.website
        form.staff_size.data = organisation.staff_size
    elif form.validate():
        try:
            changes = update_organisation(
                db.session,
                organisation,
                data=form.to_data(),
                actor=_acting_member(),
                now=clock.now(),
                expected_fingerprint=form.shown.data or "",
            )
            db.session.commit()
        except OrganisationNotPermitted:
            db.session.rollback()
            abort(403)
        except StaleForm as error:
            return _refused(organisation_id, str(error))
        except OrganisationError as error:
            db.session.rollback()
            _attach(form, error.field, str(error))
        else:
            if changes:
                flash(_("Die Angaben zur Organisation sind gespeichert."), "success")
            else:
                flash(_("Sie haben nichts geändert."), "info")
            return redirect(_detail_url(organisation_id))
    status = 422 if form.is_submitted() else 200
    return render_template("organisations/edit.html", form=form, organisation=organisation), status


def _contact_page(
    form: ContactForm, organisation: Organisation, contact: ContactPerson | None
) -> tuple[str, int]:
    status = 422 if form.is_submitted() else 200
    page = render_template(
        "organisations/contact_form.html", form=form, organisation=organisation, contact=contact
    )
    return page, status


@bp.route("/organisations/<int:organisation_id>/contacts/new", methods=["GET", "POST"])
@lead_required
def new_contact(organisation_id: int) -> Response | tuple[str, int]:
    """Add a contact person to an organisation."""
    organisation = _load_organisation(organisation_id)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            contact = create_contact(
                db.session,
                organisation,
                data=form.to_data(),
                actor=_acting_member(),
                now=clock.now(),
            )
            db.session.commit()
        except OrganisationNotPermitted:
            db.session.rollback()
            abort(403)
        except OrganisationError as error:
            db.session.rollback()
            _attach(form, error.field, str(error))
        else:
            flash(_("%(name)s ist als Ansprechperson angelegt.", name=contact.name), "success")
            return redirect(_detail_url(organisation_id, "contacts-title"))
    return _contact_page(form, organisation, None)


@bp.route(
    "/organisations/<int:organisation_id>/contacts/<int:contact_id>/edit",
    methods=["GET", "POST"],
)
@lead_required
def edit_contact(organisation_id: int, contact_id: int) -> Response | tuple[str, int]:
    """Change a contact person (restricted ones: admins only; anonymised ones: nobody)."""
    organisation = _load_organisation(organisation_id)
    contact = organisation_contact(db.session, organisation_id, contact_id)
    if contact is None:
        abort(404)
    if not may_edit_contact(contact, _acting_member()):
        abort(403)
    form = ContactForm()
    if not form.is_submitted():
        form.shown.data = fingerprint(contact)
        form.name.data = contact.name
        form.role.data = contact.role
        form.email.data = contact.email
        form.phone.data = contact.phone
        form.is_primary.data = contact.is_primary
    elif form.validate():
        try:
            changed = update_contact(
                db.session,
                contact,
                data=form.to_data(),
                actor=_acting_member(),
                now=clock.now(),
                expected_fingerprint=form.shown.data or "",
            )
            db.session.commit()
        except OrganisationNotPermitted:
            db.session.rollback()
            abort(403)
        except StaleForm as error:
            return _refused(organisation_id, str(error), "contacts-title")
        except OrganisationError as error:
            db.session.rollback()
            _attach(form, error.field, str(error))
        else:
            if changed:
                flash(_("Die Angaben zu %(name)s sind gespeichert.", name=contact.name), "success")
            else:
                flash(_("Sie haben nichts geändert."), "info")
            return redirect(_detail_url(organisation_id, "contacts-title"))
    return _contact_page(form, organisation, contact)
