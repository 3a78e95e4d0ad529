"""Fields and validators of the public application form: required and optional fields with
German messages, dates as the date input sends them or typed the German way. Whole numbers,
length limits, the organisation's choice fields and the website and email checks are the
organisation pages' own (``caseflow.organisations.forms`` and ``rules``), so that both say
the same."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import StopValidation
from wtforms.widgets import DateInput

from caseflow.web.filters import DATE_MESSAGE, parse_day

# Length limits: the model's columns for short texts, a generous page or two for long ones.
LONG_TEXT = 5000
MEDIUM_TEXT = 2000


class Required:
    """Like ``DataRequired``, with a German message, and silent when the value could not be
    read at all (the field already says why, e.g. "not a date")."""

    field_flags = {"required": True}

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()
        data = field.data
        if data is None or data is False or (isinstance(data, str) and not data.strip()):
            raise StopValidation(str(self.message))


class Optional:
    """Stop checking an empty optional field (also after a read error was reported)."""

    field_flags = {"optional": True}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()
        data = field.data
        if data is None or (isinstance(data, str) and not data.strip()):
            raise StopValidation()


class IsoDateField(StringField):
    """A calendar date as ``YYYY-MM-DD`` (what ``<input type="date">`` sends) or, typed into
    a browser's plain text box, as ``TT.MM.JJJJ`` (``caseflow.web.filters.parse_day``)."""

    widget = DateInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        self.data = parse_day(valuelist[0])
        if self.data is None:
            raise ValueError(str(DATE_MESSAGE))

    def _value(self) -> str:
        # A day that was read goes back as the date input needs it, whatever was typed.
        if isinstance(self.data, date):
            return self.data.isoformat()
        return self.raw_data[0] if self.raw_data else ""
