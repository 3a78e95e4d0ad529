"""The admins' settings form: one field per setting the deployment does not fix. The fields
only carry what was typed; ``services.change_many`` checks the values (German messages per
field) and saves all or nothing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from caseflow.settings.rules import IntKind, RolesKind, Setting
from caseflow.settings.services import Effective


class SettingsForm(FlaskForm):
    """Built per request by ``settings_form`` (the fields depend on what is fixed)."""

    def submitted(self, settings: Iterable[Setting]) -> dict[str, Any]:
        """What was typed, by setting key."""
        return {setting.key: self[setting.field_name].data or "" for setting in settings}

    def attach(self, errors: dict[str, str], settings: Iterable[Setting]) -> None:
        """Show the service's messages next to their fields."""
        for setting in settings:
            if setting.key in errors:
                self[setting.field_name].errors = [errors[setting.key]]


def _field(setting: Setting) -> Any:
    kind = setting.kind
    if isinstance(kind, RolesKind):
        return SelectMultipleField(
            setting.label,
            choices=[SelectChoice(code, label) for code, label in kind.choices],
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            validate_choice=False,
        )
    render_kw: dict[str, Any] = {"autocomplete": "off"}
    if kind.input_type == "date":
        render_kw["type"] = "date"
    elif isinstance(kind, IntKind):
        render_kw["inputmode"] = "numeric"
    return StringField(setting.label, render_kw=render_kw)


def settings_form(editable: list[Effective]) -> SettingsForm:
    """The form for the ``editable`` settings, filled with their values in effect (a POST
    replaces them with what was sent)."""
    fields = {item.setting.field_name: _field(item.setting) for item in editable}
    form_class = type("BoundSettingsForm", (SettingsForm,), fields)
    data = {item.setting.field_name: item.setting.kind.field_text(item.value) for item in editable}
    return form_class(data=data)
