"""The forms of rescheduling (a new date for the start, a phase's end or a milestone) and of
extending an engagement. They check what a browser can get wrong (a missing or malformed
date, a date outside any plausible year, a missing reason); the services check the rules."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import LazyString
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, StopValidation, ValidationError

from caseflow.engagements.forms.common import (
    YEARS_MESSAGE,
    DayField,
    VersionedForm,
    line_breaks,
    max_length,
)
from caseflow.engagements.services.common import REASON_MAX_LENGTH
from caseflow.translating import lazy_gettext as _l


def _required_day(message: LazyString) -> Callable[[FlaskForm, DayField], None]:
    """A missing day (a malformed one already has its message from ``DayField``)."""

    def check(form: FlaskForm, field: DayField) -> None:
        if field.data is None and not field.process_errors:
            raise StopValidation(str(message))

    return check


class RescheduleForm(VersionedForm):
    """A new date for the anchor (the start, a phase's end, a milestone), whether every later
    open date moves with it, and which button was pressed: ``preview`` shows the result,
    ``save`` makes it (both re-check everything). ``plan_digest`` is the digest of the plan
    the preview showed (only a page with a preview has it and the "Verschieben" button)."""

    new_date = DayField(
        _l("Neues Datum"),
        year_message=YEARS_MESSAGE,
        validators=[_required_day(_l("Bitte geben Sie das neue Datum an."))],
    )
    shift_later = BooleanField(
        _l("Alle späteren offenen Meilensteine und Wiedervorlagen mitverschieben"), default=True
    )
    plan_digest = HiddenField()
    preview = SubmitField(_l("Vorschau"))
    save = SubmitField(_l("Verschieben"))

    @property
    def is_saving(self) -> bool:
        """Whether the "Verschieben" button was pressed (else: the preview)."""
        return bool(self.save.data)


class ExtendForm(VersionedForm):
    """The new planned end of an extension and its reason (both required)."""

    new_end = DayField(
        _l("Neues geplantes Ende"),
        year_message=YEARS_MESSAGE,
        validators=[_required_day(_l("Bitte geben Sie das neue geplante Ende an."))],
    )
    reason = TextAreaField(
        _l("Begründung der Verlängerung"),
        filters=[line_breaks],
        validators=[
            InputRequired(_l("Bitte begründen Sie die Verlängerung.")),
            max_length(REASON_MAX_LENGTH),
        ],
    )

    def validate_reason(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Bitte begründen Sie die Verlängerung."))
