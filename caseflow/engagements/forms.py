"""Forms of the engagement pages. They check what a browser can get wrong (an unknown
target, a missing or malformed version, too long a text) with German messages; the services
check the rules."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString, format_number
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.services import REASON_MAX_LENGTH

VERSION_MESSAGE = _l(
    "Dieses Formular ist veraltet oder unvollständig. Bitte laden Sie die Seite neu und "
    "versuchen Sie es noch einmal."
)
TARGET_MESSAGE = _l("Dieser Statuswechsel ist nicht möglich.")
# Versions count up from 1; anything longer than this is not one we handed out.
VERSION_MAX_DIGITS = 18
_TARGETS = {status.value for status in EngagementStatus}


def _version_number(form: FlaskForm, field: HiddenField) -> None:
    value = field.data or ""
    if not (value.isascii() and value.isdigit() and len(value) <= VERSION_MAX_DIGITS):
        raise ValidationError(VERSION_MESSAGE)


def _known_target(form: FlaskForm, field: HiddenField) -> None:
    if field.data not in _TARGETS:
        raise ValidationError(TARGET_MESSAGE)


class StatusForm(FlaskForm):
    """A status move of an engagement: the target, the engagement's ``version`` the form was
    shown with, and a reason (required to cancel, optional to pause; the service checks).
    Use with ``prefix="status"``; each form on a page gets ids of its own (``status-<target>-…``)
    as the page shows one form per allowed move."""

    target = HiddenField(validators=[_known_target])
    version = HiddenField(validators=[_version_number])
    reason = TextAreaField(
        _l("Begründung"),
        validators=[
            Optional(),
            Length(
                max=REASON_MAX_LENGTH,
                message=_l(
                    "Bitte kürzen Sie den Text auf höchstens %(max)s Zeichen.",
                    max=LazyString(format_number, REASON_MAX_LENGTH),
                ),
            ),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        suffix = self.target.data if self.target.data in _TARGETS else "unbekannt"
        for item in self:
            item.id = f"status-{suffix}-{item.short_name}"
            item.label.field_id = item.id

    def validate(self, extra_validators: dict | None = None) -> bool:
        is_valid = super().validate(extra_validators)
        # Hidden fields have no place for their messages: they go to the top of the form.
        self.form_errors.extend(str(message) for message in self.version.errors)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None:
            self.form_errors.extend(str(message) for message in csrf.errors)
        return is_valid

    @property
    def target_status(self) -> EngagementStatus:
        """The target (after validation)."""
        return EngagementStatus(self.target.data)

    @property
    def expected_version(self) -> int:
        """The engagement's version the form was filled in on (after validation)."""
        return int(self.version.data)
