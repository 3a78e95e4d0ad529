"""The status form of the engagement page."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Optional, ValidationError

from caseflow.engagements.forms.common import VersionedForm, line_breaks, max_length
from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.services import REASON_MAX_LENGTH
from caseflow.translating import lazy_gettext as _l

TARGET_MESSAGE = _l("Dieser Statuswechsel ist nicht möglich.")
_TARGETS = {status.value for status in EngagementStatus}


def _known_target(form: FlaskForm, field: HiddenField) -> None:
    if field.data not in _TARGETS:
        raise ValidationError(TARGET_MESSAGE)


class StatusForm(VersionedForm):
    """A status move of an engagement: the target, the engagement's ``version`` the form was
    shown with, and a reason (required to cancel, optional to pause; the service checks).
    Use with ``prefix="status"``; each form on a page gets ids of its own (``status-<target>-…``)
    as the page shows one form per allowed move."""

    target = HiddenField(validators=[_known_target])
    reason = TextAreaField(
        _l("Begründung"),
        filters=[line_breaks],
        validators=[Optional(), max_length(REASON_MAX_LENGTH)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        suffix = self.target.data if self.target.data in _TARGETS else "unbekannt"
        for item in self:
            item.id = f"status-{suffix}-{item.short_name}"
            item.label.field_id = item.id

    @property
    def target_status(self) -> EngagementStatus:
        """The target (after validation)."""
        return EngagementStatus(self.target.data)
