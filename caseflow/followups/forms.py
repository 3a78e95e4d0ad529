"""Forms of the follow-ups: a new or changed follow-up, the reason for discarding one, and
the notification preferences (a group of radio buttons per kind of notification).

They check what a browser can get wrong (a missing or malformed day or time, an unknown kind,
a person id that is not a number or beyond the database's ids, too long a text) with German
messages; the services check the rules (the day's range, a time that exists that day, an
active assignee with a login, who may do it). Texts count line breaks as the browser does:
one character each (browsers send CRLF, which the filter makes LF).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, time
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from caseflow.engagements.forms.common import line_breaks, max_length
from caseflow.followups.models import FollowUpKind
from caseflow.followups.preferences import APP, EMAIL, KINDS, OFF, Kind
from caseflow.followups.services import NOTE_MAX_LENGTH
from caseflow.staff.models import StaffMember
from caseflow.translating import lazy_gettext as _l
from caseflow.web.converters import MAX_ID
from caseflow.web.filters import FILTER_YEARS

_KINDS = {kind.value for kind in FollowUpKind}
_ID_DIGITS = len(str(MAX_ID))


def _day_in_plausible_years(form: FlaskForm, field: DateField) -> None:
    """Refuse a day whose midnight in UTC could leave the calendar (year 1 or 9999)."""
    if field.data is not None and field.data.year not in FILTER_YEARS:
        raise ValidationError(
            _l(
                "Bitte geben Sie ein Datum in den Jahren %(first)d bis %(last)d an.",
                first=FILTER_YEARS.start,
                last=FILTER_YEARS.stop - 1,
            )
        )


class FollowUpForm(FlaskForm):
    """A new follow-up: due day and (optional) time, kind, assignee and a note. Call
    ``offer`` before validating; the field names match the ``field`` of the service's
    errors."""

    due_on = DateField(
        _l("Fällig am"),
        validators=[
            InputRequired(_l("Bitte geben Sie an, wann die Wiedervorlage fällig ist.")),
            _day_in_plausible_years,
        ],
        invalid_value_message=_l("Bitte geben Sie ein gültiges Datum an (Tag, Monat, Jahr)."),
    )
    due_time = TimeField(
        _l("Uhrzeit"),
        format=["%H:%M", "%H:%M:%S"],
        # Empty is fine (09:00); Optional() then also drops the message of a blank value.
        validators=[Optional()],
        invalid_value_message=_l(
            "Bitte geben Sie die Uhrzeit als Stunden:Minuten an, z. B. 09:30."
        ),
    )
    kind = SelectField(_l("Art"), validate_choice=False)
    assignee = SelectField(_l("Zuständig"), validate_choice=False)
    note = TextAreaField(
        _l("Notiz"),
        filters=[line_breaks],
        validators=[Optional(), max_length(NOTE_MAX_LENGTH)],
    )

    def offer(self, *, assignees: Sequence[StaffMember]) -> None:
        """Fill the choices: the kinds with their German labels, the active staff who can
        log in (``assignee_candidates``)."""
        if self.kind is not None:  # not on the edit form
            self.kind.choices = [SelectChoice(kind.value, kind.label) for kind in FollowUpKind]
        self.assignee.choices = [SelectChoice("", str(_l("– bitte wählen –")))] + [
            SelectChoice(str(member.id), member.name) for member in assignees
        ]

    def validate_kind(self, field: SelectField) -> None:
        if field.data not in _KINDS:
            raise ValidationError(_l("Bitte wählen Sie eine der angebotenen Arten."))

    def validate_assignee(self, field: SelectField) -> None:
        value = field.data or ""
        if not value:
            raise ValidationError(_l("Bitte wählen Sie, wer zuständig ist."))
        if not (
            value.isascii()
            and value.isdigit()
            and len(value) <= _ID_DIGITS
            and int(value) <= MAX_ID
        ):
            raise ValidationError(
                _l("Bitte wählen Sie eine aktive Person aus der Liste als zuständig aus.")
            )

    @property
    def due_day(self) -> date:
        return self.due_on.data

    @property
    def due_wall_time(self) -> time | None:
        return self.due_time.data

    @property
    def chosen_kind(self) -> FollowUpKind:
        return FollowUpKind(self.kind.data)

    @property
    def assignee_id(self) -> int:
        return int(self.assignee.data)


class EditFollowUpForm(FollowUpForm):
    """Changing an open follow-up: due day and time, assignee and note (its kind stays).
    ``shown`` carries the ``fingerprint`` of the follow-up the form was filled in on; the
    service refuses the change when the follow-up has changed since."""

    kind = None
    shown = HiddenField()


class DiscardForm(FlaskForm):
    """Discarding a follow-up, with an optional reason (added to its note)."""

    reason = TextAreaField(
        _l("Grund (optional)"),
        filters=[line_breaks],
        validators=[Optional(), max_length(NOTE_MAX_LENGTH)],
    )


CHANNEL_LABELS = {
    APP: _l("Nur in caseflow"),
    EMAIL: _l("In caseflow und per E-Mail"),
    OFF: _l("Aus"),
}


def _channels(kind: Kind) -> tuple[str, ...]:
    return (APP, EMAIL, OFF) if kind.may_turn_off else (APP, EMAIL)


def _offered_channel(kind: Kind) -> Callable[[FlaskForm, RadioField], None]:
    """A validator: the value sent is one of the channels offered for ``kind``."""

    def check(form: FlaskForm, field: RadioField) -> None:
        value = field.raw_data[0] if field.raw_data else ""
        if not value:
            raise ValidationError(_l("Bitte wählen Sie, wie Sie benachrichtigt werden möchten."))
        if value == OFF and not kind.may_turn_off:
            raise ValidationError(_l("Diese Benachrichtigung lässt sich nicht ausschalten."))
        if value not in _channels(kind):
            raise ValidationError(_l("Bitte wählen Sie eine der angebotenen Möglichkeiten."))

    return check


class PreferencesForm(FlaskForm):
    """How a staff member wants each kind of notification: one radio group per kind of
    ``caseflow.followups.preferences.KINDS``, named by the kind's key (added below). Only the
    groups of ``kinds`` (those offered to the staff member) stay on the form: a value sent
    for any other kind is neither shown nor read."""

    def __init__(self, *args: Any, kinds: Sequence[Kind] = KINDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = tuple(kinds)
        offered = {kind.key for kind in self.kinds}
        for kind in KINDS:
            if kind.key not in offered:
                del self[kind.key]

    @property
    def choices(self) -> dict[str, str]:
        """``{kind: channel}`` for the offered kinds as chosen (after ``validate``)."""
        return {kind.key: self[kind.key].data for kind in self.kinds}

    @property
    def kind_fields(self) -> list[tuple[Kind, RadioField]]:
        return [(kind, self[kind.key]) for kind in self.kinds]


for _kind in KINDS:
    setattr(
        PreferencesForm,
        _kind.key,
        RadioField(
            _kind.label,
            choices=[
                SelectChoice(channel, CHANNEL_LABELS[channel]) for channel in _channels(_kind)
            ],
            validate_choice=False,
            validators=[_offered_channel(_kind)],
        ),
    )
