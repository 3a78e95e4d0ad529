"""The forms of activities and of the barrier register. They read what a browser sends
(days as date inputs send them or typed the German way, whole numbers, known choices, text
lengths) with German messages at the fields; the services in ``services/activities.py``
and ``services/barriers.py`` check the rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask_babel import LazyString, format_number
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from caseflow.engagements.forms.common import DayField, VersionedForm, line_breaks, max_length
from caseflow.engagements.models import ActivityKind, BarrierCategory, BarrierStatus
from caseflow.engagements.services.activities import (
    MAX_DURATION_MINUTES,
    MAX_PARTICIPANTS,
    ActivityInput,
)
from caseflow.engagements.services.barriers import BarrierInput
from caseflow.engagements.services.common import RECORD_TEXT_MAX_LENGTH
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

# Enough digits for any sensible number; longer input is not a number we could mean.
_DIGITS = re.compile(r"[0-9]{1,9}")


class NumberField(StringField):
    """An optional whole number from 0 to ``maximum``; anything else (negative, a fraction,
    letters, too large) gets ``message``."""

    widget = NumberInput(min=0)

    def __init__(self, *args: Any, maximum: int, message: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.maximum = maximum
        self.message = message
        self.render_kw = {"max": maximum, "inputmode": "numeric", **(self.render_kw or {})}

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        raw = valuelist[0].strip()
        if _DIGITS.fullmatch(raw) is None or int(raw) > self.maximum:
            raise ValueError(str(self.message))
        self.data = int(raw)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


class _Known:
    """The value is one of ``enum_class``'s values."""

    def __init__(self, enum_class: type, message: Any) -> None:
        self.values = {member.value for member in enum_class}
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data not in self.values:
            raise StopValidation(str(self.message))


class _NotBlank:
    """Required text: whitespace alone does not count."""

    field_flags = {"required": True}

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if not (field.data or "").strip():
            raise StopValidation(str(self.message))


def _choices(enum_class: type) -> list[SelectChoice]:
    return [SelectChoice(member.value, member.label) for member in enum_class]


STAFF_MESSAGE = _l("Bitte wählen Sie nur Personen aus der Liste der Mitarbeitenden.")


class ActivityForm(VersionedForm):
    """An activity: kind, day, duration, participants, staff involved, note. Call ``offer``
    with the staff to choose from before validating."""

    kind = SelectField(
        _l("Art"),
        choices=_choices(ActivityKind),
        validate_choice=False,
        validators=[_Known(ActivityKind, _l("Bitte wählen Sie eine Art aus der Liste."))],
    )
    occurred_on = DayField(
        _l("Datum"),
        validators=[InputRequired(_l("Bitte geben Sie an, wann die Aktivität stattfand."))],
    )
    duration_minutes = NumberField(
        _l("Dauer in Minuten"),
        maximum=MAX_DURATION_MINUTES,
        message=_l(
            "Bitte geben Sie die Dauer als ganze Zahl von 0 bis %(max)s Minuten an.",
            max=LazyString(format_number, MAX_DURATION_MINUTES),
        ),
    )
    participants_count = NumberField(
        _l("Zahl der Teilnehmenden"),
        maximum=MAX_PARTICIPANTS,
        message=_l(
            "Bitte geben Sie die Zahl der Teilnehmenden als ganze Zahl von 0 bis %(max)s an.",
            max=LazyString(format_number, MAX_PARTICIPANTS),
        ),
    )
    staff = SelectMultipleField(
        _l("Beteiligte Mitarbeitende"),
        coerce=int,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        invalid_value_message=STAFF_MESSAGE,
        invalid_choice_message=lambda count: str(STAFF_MESSAGE),
    )
    note = TextAreaField(
        _l("Notiz"),
        filters=[line_breaks],
        validators=[Optional(), max_length(RECORD_TEXT_MAX_LENGTH)],
        render_kw={"rows": 6},
    )

    def offer(self, staff: Sequence[StaffMember]) -> None:
        """The staff members to choose from (the view loads them)."""
        self.staff.choices = [SelectChoice(member.id, member.name) for member in staff]

    def values(self) -> ActivityInput:
        """The entered activity (after validation)."""
        return ActivityInput(
            kind=ActivityKind(self.kind.data),
            occurred_on=self.occurred_on.data,
            duration_minutes=self.duration_minutes.data,
            participants_count=self.participants_count.data,
            staff_ids=tuple(self.staff.data or ()),
            note=self.note.data,
        )


class DeleteActivityForm(VersionedForm):
    """Confirming that an activity is deleted."""


class BarrierForm(VersionedForm):
    """A barrier of the register. Call ``offer`` with the statuses it can be given."""

    category = SelectField(
        _l("Kategorie"),
        choices=_choices(BarrierCategory),
        validate_choice=False,
        validators=[_Known(BarrierCategory, _l("Bitte wählen Sie eine Kategorie aus der Liste."))],
    )
    description = TextAreaField(
        _l("Beschreibung"),
        filters=[line_breaks],
        validators=[
            _NotBlank(_l("Bitte beschreiben Sie die Zugangsbarriere.")),
            max_length(RECORD_TEXT_MAX_LENGTH),
        ],
        render_kw={"rows": 4},
    )
    status = SelectField(
        _l("Status"),
        validate_choice=False,
        validators=[_Known(BarrierStatus, _l("Bitte wählen Sie einen Status aus der Liste."))],
    )
    identified_on = DayField(_l("Erkannt am"), validators=[Optional()])
    resolved_on = DayField(_l("Abgebaut am"), validators=[Optional()])
    measure_taken = TextAreaField(
        _l("Maßnahme"),
        filters=[line_breaks],
        validators=[Optional(), max_length(RECORD_TEXT_MAX_LENGTH)],
        render_kw={"rows": 4},
    )

    def offer(self, statuses: Sequence[BarrierStatus]) -> None:
        """The statuses offered (the current one and those the transition table allows)."""
        self.status.choices = [SelectChoice(status.value, status.label) for status in statuses]

    def validate_status(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices or ()}:
            raise ValidationError(
                _("Dieser Statuswechsel ist bei dieser Zugangsbarriere nicht möglich.")
            )

    def values(self) -> BarrierInput:
        """The entered barrier (after validation)."""
        return BarrierInput(
            category=BarrierCategory(self.category.data),
            description=self.description.data,
            status=BarrierStatus(self.status.data),
            identified_on=self.identified_on.data,
            resolved_on=self.resolved_on.data,
            measure_taken=self.measure_taken.data,
        )
