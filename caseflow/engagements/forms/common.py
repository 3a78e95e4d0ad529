"""What the engagement forms share: the engagement's version the form was shown with, and
messages of hidden fields shown at the top of the form."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString, format_number
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import Length, ValidationError

VERSION_MESSAGE = _l(
    "Dieses Formular ist veraltet oder unvollständig. Bitte laden Sie die Seite neu und "
    "versuchen Sie es noch einmal."
)
# Versions count up from 1; anything longer than this is not one we handed out.
VERSION_MAX_DIGITS = 18


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


def _version_number(form: FlaskForm, field: HiddenField) -> None:
    value = field.data or ""
    if not (value.isascii() and value.isdigit() and len(value) <= VERSION_MAX_DIGITS):
        raise ValidationError(VERSION_MESSAGE)


class VersionedForm(FlaskForm):
    """A form that changes an engagement: carries the engagement's ``version`` it was shown
    with (hidden), so a change made on an older state is refused, and puts the messages of
    hidden fields (version, CSRF) at the top of the form (``form_errors``)."""

    version = HiddenField(validators=[_version_number])

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
