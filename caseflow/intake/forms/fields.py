"""Fields and validators of the public application form: required and optional fields with
German messages, ISO dates typed as text. Whole numbers, length limits, the organisation's
choice fields and the website and email checks are the organisation pages' own
(``caseflow.organisations.forms`` and ``rules``), so that both say the same."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import StopValidation
from wtforms.widgets import DateInput

from caseflow.translating import gettext as _

# Length limits: the model's columns for short texts, a generous page or two for long ones.
LONG_TEXT = 5000
MEDIUM_TEXT = 2000
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
    """A calendar date as ``YYYY-MM-DD`` (what ``<input type="date">`` sends)."""

    widget = DateInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        raw = valuelist[0].strip()
        try:
            if ISO_DATE.fullmatch(raw) is None:
                raise ValueError(raw)
            self.data = date.fromisoformat(raw)
        except ValueError:
            raise ValueError(
                _(
                    "Bitte geben Sie ein gültiges Datum im Format JJJJ-MM-TT ein, "
                    "zum Beispiel 2025-09-01."
                )
            ) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""
