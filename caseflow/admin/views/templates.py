"""``/admin/templates``: the phase templates new engagements are planned from; edit one,
make one the default, copy one. Engagements already planned keep their own phases."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.admin.queries import phase_template, phase_templates
from caseflow.admin.views.blueprint import bp
from caseflow.engagements.forms.common import VERSION_MESSAGE
from caseflow.engagements.forms.templates import CopyForm, TemplateForm
from caseflow.engagements.models import PhaseTemplate
from caseflow.engagements.services.templates import (
    MAX_MILESTONES,
    MAX_PHASES,
    Saved,
    StaleTemplate,
    TemplateNotPermitted,
    TemplateRefused,
    copy_template,
    install_shipped_template,
    make_default,
    suggested_copy_name,
    template_version,
    update_template,
)
from caseflow.extensions import db
from caseflow.staff.access import admin_required
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _

ADD_MILESTONE = "add_milestone-"


def _actor() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _edit_url(template_id: int, anchor: str | None = None) -> str:
    return url_for("admin.edit_template", template_id=template_id, _anchor=anchor)


def _refused(template_id: int, message: str) -> Response:
    """Roll back, flash ``message`` as an error and show the template as it is stored."""
    db.session.rollback()
    flash(message, "error")
    return redirect(_edit_url(template_id))


def _load(template_id: int, *, for_update: bool = False) -> PhaseTemplate:
    if for_update:
        # Locked, so two admins saving at once are checked one after the other.
        template = db.session.get(PhaseTemplate, template_id, with_for_update=True)
    else:
        template = phase_template(db.session, template_id)
    if template is None:
        abort(404)
    return template


def _render_edit(
    template: PhaseTemplate,
    *,
    form: TemplateForm | None = None,
    copy_form: CopyForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    if copy_form is None:
        copy_form = CopyForm(
            prefix="copy", formdata=None, data={"name": suggested_copy_name(db.session, template)}
        )
    page = render_template(
        "admin/template_edit.html",
        template=template,
        form=form or TemplateForm.of(template),
        copy_form=copy_form,
        max_phases=MAX_PHASES,
        max_milestones=MAX_MILESTONES,
    )
    return page, status


@bp.get("/templates")
@admin_required
def templates() -> str:
    """The phase templates; which one is the default."""
    return render_template("admin/templates.html", templates=phase_templates(db.session))


@bp.post("/templates/standard")
@admin_required
def install_template() -> Response:
    """Create the shipped default template (when there is none yet)."""
    try:
        template = install_shipped_template(db.session, actor=_actor(), now=clock.now())
        db.session.commit()
    except IntegrityError:  # another request created it a moment ago
        db.session.rollback()
        flash(
            _(
                "Gleichzeitig wurde schon eine Vorlage angelegt – von jemand anderem oder "
                "durch einen doppelten Klick. Bitte prüfen Sie die Liste."
            ),
            "info",
        )
        return redirect(url_for("admin.templates"))
    return redirect(_edit_url(template.id))


@bp.get("/templates/<int:template_id>")
@admin_required
def edit_template(template_id: int) -> tuple[str, int]:
    """One template: its phases and milestones to edit, make it the default, copy it."""
    return _render_edit(_load(template_id))


@bp.post("/templates/<int:template_id>")
@admin_required
def save_template(template_id: int) -> Response | tuple[str, int]:
    """Save the template, or show the form again with one more phase or milestone row."""
    template = _load(template_id, for_update=True)
    form = TemplateForm()
    action = request.form.get("action", "save")
    if action == "add_phase":
        added = form.add_phase()
        return _render_edit(template, form=form, status=200 if added else 422)
    if action.startswith(ADD_MILESTONE):
        index = action.removeprefix(ADD_MILESTONE)
        if not (index.isascii() and index.isdigit() and len(index) <= 3):
            return _refused(template_id, str(VERSION_MESSAGE))
        added = form.add_milestone(int(index))
        return _render_edit(template, form=form, status=200 if added else 422)
    if action != "save":
        return _refused(template_id, str(VERSION_MESSAGE))
    if not form.validate_on_submit():
        if form.version.errors:  # tampered with, or not sent at all
            return _refused(template_id, str(VERSION_MESSAGE))
        return _render_edit(template, form=form, status=422)
    try:
        saved = update_template(
            db.session,
            template,
            name=form.name.data or "",
            phases=form.specs(),
            expected_version=form.expected_version,
            actor=_actor(),
            now=clock.now(),
        )
        db.session.commit()
    except TemplateNotPermitted:
        db.session.rollback()
        abort(403)
    except StaleTemplate as error:
        # Shown again with what was typed and the current version: sending it once more
        # replaces the other change on purpose.
        db.session.rollback()
        template = _load(template_id)
        form.form_errors.append(str(error))
        form.version.data = template_version(template)
        return _render_edit(template, form=form, status=409)
    except TemplateRefused as error:
        db.session.rollback()
        form.attach(error)
        return _render_edit(template, form=form, status=422)
    except IntegrityError:  # another admin took the name a moment ago
        return _refused(
            template_id,
            _("Die Vorlage wurde nicht gespeichert. Bitte versuchen Sie es noch einmal."),
        )
    if saved is not Saved.UNCHANGED:  # saved now, or a moment ago by the same form
        flash(_("Die Vorlage „%(name)s“ wurde gespeichert.", name=template.name), "success")
    else:
        flash(_("Sie haben nichts geändert."), "info")
    return redirect(_edit_url(template_id))


@bp.post("/templates/<int:template_id>/default")
@admin_required
def set_default_template(template_id: int) -> Response:
    """Make the template the one new engagements are planned from."""
    template = _load(template_id)
    try:
        make_default(db.session, template, actor=_actor(), now=clock.now())
        db.session.commit()
    except TemplateNotPermitted:
        db.session.rollback()
        abort(403)
    except IntegrityError:  # another admin chose a default at the same moment
        return _refused(
            template_id,
            _(
                "Die Vorlage wurde nicht als Standard festgelegt. Bitte versuchen Sie es noch "
                "einmal."
            ),
        )
    flash(
        _(
            "Neue Prozessbegleitungen werden jetzt mit der Vorlage „%(name)s“ geplant.",
            name=template.name,
        ),
        "success",
    )
    return redirect(url_for("admin.templates"))


@bp.post("/templates/<int:template_id>/copy")
@admin_required
def copy_template_view(template_id: int) -> Response | tuple[str, int]:
    """A new template with the phases and milestones of this one, under a new name."""
    template = _load(template_id)
    copy_form = CopyForm(prefix="copy")
    if not copy_form.validate_on_submit():
        return _render_edit(template, copy_form=copy_form, status=422)
    try:
        copy = copy_template(
            db.session, template, name=copy_form.name.data or "", actor=_actor(), now=clock.now()
        )
        db.session.commit()
    except TemplateNotPermitted:
        db.session.rollback()
        abort(403)
    except TemplateRefused as error:
        db.session.rollback()
        copy_form.name.errors = [*copy_form.name.errors, str(error)]
        return _render_edit(template, copy_form=copy_form, status=422)
    except IntegrityError:  # another admin took the name a moment ago
        return _refused(
            template_id, _("Die Kopie wurde nicht angelegt. Bitte versuchen Sie es noch einmal.")
        )
    flash(_("Die Vorlage „%(name)s“ wurde angelegt.", name=copy.name), "success")
    return redirect(_edit_url(copy.id))
