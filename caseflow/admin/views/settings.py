"""``/admin/settings``: the programme settings admins may change (issue 7 point 2) — programme
window, durations, reminders, capacity, retention, login and rate limits, mail sender. Each
shows its value in effect and where it comes from; what a deployment fixes (environment
variable, instance file) is shown read-only."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.admin.views.blueprint import bp
from caseflow.extensions import db
from caseflow.settings.forms import SettingsForm, settings_form
from caseflow.settings.rules import GROUPS
from caseflow.settings.services import (
    Change,
    Effective,
    SettingsRefused,
    Source,
    change_many,
    configured,
    effective_all,
    reset,
)
from caseflow.staff.access import admin_required
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _


def _actor() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _source_text(item: Effective) -> str:
    if item.source is Source.ENVIRONMENT:
        return _("Umgebungsvariable %(name)s", name=item.variable)
    if item.source is Source.INSTANCE:
        return _("Datei %(name)s im Instanzordner", name=item.variable)
    if item.source is Source.STORED:
        return _("gespeichert")
    return _("Standard")


def _render(form: SettingsForm, items: list[Effective], status: int = 200) -> tuple[str, int]:
    groups = [
        (group, [item for item in items if item.setting.group == group.id]) for group in GROUPS
    ]
    stored = [item for item in items if item.source is Source.STORED]
    return (
        render_template(
            "admin/settings.html",
            form=form,
            groups=groups,
            stored=stored,
            source_text=_source_text,
            default_text={
                item.setting.key: item.setting.kind.display(configured(item.setting))
                for item in stored
            },
        ),
        status,
    )


def _summary(changes: list[Change]) -> str:
    return "; ".join(
        _(
            "%(label)s: %(old)s → %(new)s",
            label=change.setting.label,
            old=change.old_display,
            new=change.new_display,
        )
        for change in changes
    )


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings() -> Any:
    """The settings form; a POST checks every value and saves all of them or none."""
    items = effective_all(db.session)
    editable = [item for item in items if not item.is_locked]
    form = settings_form(editable)
    if not form.validate_on_submit():
        return _render(form, items)
    try:
        changes = change_many(
            db.session,
            form.submitted(item.setting for item in editable),
            actor=_actor(),
            now=clock.now(),
        )
        db.session.commit()
    except SettingsRefused as refused:
        db.session.rollback()
        form.attach(refused.errors, (item.setting for item in editable))
        return _render(form, effective_all(db.session), status=422)
    if changes:
        flash(_("Einstellungen gespeichert. %(changes)s", changes=_summary(changes)), "success")
    else:
        flash(_("Es wurde nichts geändert."), "info")
    return redirect(url_for("admin.settings"))


@bp.post("/settings/reset")
@admin_required
def reset_setting() -> Response:
    """Delete the stored value of one setting (``key`` in the form), so its default applies."""
    key = request.form.get("key", "")
    if key not in {item.setting.key for item in effective_all(db.session)}:
        flash(_("Diese Einstellung gibt es nicht."), "error")
        return redirect(url_for("admin.settings"))
    try:
        change = reset(db.session, key, actor=_actor(), now=clock.now())
        db.session.commit()
    except SettingsRefused as refused:
        db.session.rollback()
        flash(" ".join(refused.errors.values()), "error")
        return redirect(url_for("admin.settings"))
    if change is None:
        flash(_("Für diese Einstellung war kein Wert gespeichert."), "info")
    else:
        flash(
            _("Auf den Standard zurückgesetzt. %(changes)s", changes=_summary([change])), "success"
        )
    return redirect(
        url_for("admin.settings", _anchor=change.setting.field_name if change else None)
    )
