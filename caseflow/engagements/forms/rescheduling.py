"""The forms of rescheduling (a new date for the start, a phase's end or a milestone) and of
extending an engagement. They check what a browser can get wrong (a missing or malformed
date, a date outside any plausible year, a missing reason); the services check the rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, StopValidation, ValidationError
from wtforms.widgets import DateInput

from caseflow.engagements.forms.common import VersionedForm, line_breaks, max_length
from caseflow.engagements.services.common import REASON_MAX_LENGTH
from caseflow.web.filters import FILTER_YEARS

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_MESSAGE = _l(
    "Bitte geben Sie ein gültiges Datum im Format JJJJ-MM-TT ein, zum Beispiel 2025-09-01."
)


class DayField(StringField):
    """A calendar day as ``YYYY-MM-DD`` (what ``<input type="date">`` sends), in a plausible
    year (day arithmetic on 9999-12-31 would leave the calendar)."""

    widget = DateInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        raw = valuelist[0].strip()
        try:
            day = date.fromisoformat(raw) if _ISO_DAY.fullmatch(raw) else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError(str(DATE_MESSAGE))
        if day.year not in FILTER_YEARS:
            raise ValueError(
                str(
                    _l(
                        "Bitte geben Sie ein Datum in den Jahren %(first)d bis %(last)d an.",
                        first=FILTER_YEARS.start,
                        last=FILTER_YEARS.stop - 1,
                    )
                )
            )
        self.data = day

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


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
        _l("Neues Datum"), validators=[_required_day(_l("Bitte geben Sie das neue Datum an."))]
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
