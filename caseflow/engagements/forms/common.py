"""What the engagement forms share: the engagement's version the form was shown with,
messages of hidden fields shown at the top of the form, and the calendar day field."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import LazyString, format_number
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import DateInput

from caseflow.translating import lazy_gettext as _l
from caseflow.web.filters import DATE_MESSAGE, FILTER_YEARS, parse_day

VERSION_MESSAGE = _l(
    "Dieses Formular ist veraltet oder unvollständig. Bitte laden Sie die Seite neu und "
    "versuchen Sie es noch einmal."
)
# Versions count up from 1; anything longer than this is not one we handed out.
VERSION_MAX_DIGITS = 18

YEARS_MESSAGE = _l(
    "Bitte geben Sie ein Datum in den Jahren %(first)d bis %(last)d an.",
    first=FILTER_YEARS.start,
    last=FILTER_YEARS.stop - 1,
)


def line_breaks(value: Any) -> Any:
    """A filter for text areas: line breaks as the browser counts them for ``maxlength``
    (it sends CRLF but counts one character), CRLF and a lone CR become LF."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def max_length(limit: int) -> Length:
    """A ``Length`` validator with the German message naming ``limit``."""
    return Length(
        max=limit,
        message=_l(
            "Bitte kürzen Sie den Text auf höchstens %(max)s Zeichen.",
            max=LazyString(format_number, limit),
        ),
    )


class DayField(StringField):
    """A calendar day as ``YYYY-MM-DD`` (what ``<input type="date">`` sends; typed into a
    plain text box also ``TT.MM.JJJJ``, ``caseflow.web.filters.parse_day``), in
    ``FILTER_YEARS`` (day arithmetic on 9999-12-31 would leave the calendar). A malformed day
    gets ``DATE_MESSAGE``, a day in another year ``year_message`` (by default the same)."""

    widget = DateInput()

    def __init__(self, *args: Any, year_message: Any = DATE_MESSAGE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.year_message = year_message

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        day = parse_day(valuelist[0])
        if day is None:
            raise ValueError(str(DATE_MESSAGE))
        if day.year not in FILTER_YEARS:
            raise ValueError(str(self.year_message))
        self.data = day

    def _value(self) -> str:
        # A day that was read goes back as the date input needs it, whatever was typed.
        if isinstance(self.data, date):
            return self.data.isoformat()
        return self.raw_data[0] if self.raw_data else ""


def version_number(form: FlaskForm, field: HiddenField) -> None:
    """Validator of a hidden ``version``: digits we could have handed out, else
    ``VERSION_MESSAGE`` (the engagement forms and the intake's staff forms use it)."""
    value = field.data or ""
    if not (value.isascii() and value.isdigit() and len(value) <= VERSION_MAX_DIGITS):
        raise ValidationError(VERSION_MESSAGE)


class VersionedForm(FlaskForm):
    """A form that changes an engagement: carries the engagement's ``version`` it was shown
    with (hidden), so a change made on an older state is refused, and puts the messages of
    hidden fields (version, CSRF) at the top of the form (``form_errors``)."""

    version = HiddenField(validators=[version_number])

    def validate(self, extra_validators: dict | None = None) -> bool:
        is_valid = super().validate(extra_validators)
        self.form_errors.extend(str(message) for message in self.version.errors)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None:
            self.form_errors.extend(str(message) for message in csrf.errors)
        return is_valid

    @property
    def expected_version(self) -> int:
        """The engagement's version the form was filled in on (after validation)."""
        return int(self.version.data)
