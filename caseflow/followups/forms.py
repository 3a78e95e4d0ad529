"""Forms of the follow-ups: a new or changed follow-up, and the reason for discarding one.

They check what a browser can get wrong (a missing or malformed day or time, an unknown kind,
a person id that is not a number or beyond the database's ids, too long a text) with German
messages; the services check the rules (the day's range, a time that exists that day, an
active assignee with a login, who may do it). Texts count line breaks as the browser does:
one character each (browsers send CRLF, which the filter makes LF).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from caseflow.engagements.forms.common import line_breaks, max_length
from caseflow.followups.models import FollowUpKind
from caseflow.followups.services import NOTE_MAX_LENGTH
from caseflow.staff.models import StaffMember
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
