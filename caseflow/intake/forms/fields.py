"""Fields, validators and checks of the public application form: German messages,
length limits, whole numbers and ISO dates typed as text, mailable addresses, websites."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import Length, StopValidation, ValidationError
from wtforms.widgets import DateInput, NumberInput

# Length limits: the model's columns for short texts, a generous page or two for long ones.
LONG_TEXT = 5000
MEDIUM_TEXT = 2000
MAX_STAFF_SIZE = 1_000_000
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DIGITS = re.compile(r"[0-9]{1,12}")
# A host name: labels of letters (also umlauts), digits and hyphens, at least one dot.
HOST = re.compile(r"(?=.{1,253}\Z)([\w-]{1,63}\.)+[^\W\d_]{2,63}\.?", re.UNICODE)


def strip_text(value: Any) -> Any:
    """Trim surrounding whitespace; line breaks as browsers count them (CRLF → LF)."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


def length_limit(limit: int) -> Length:
    return Length(
        max=limit,
        message=_l(
            "Bitte höchstens %(max)d Zeichen eingeben – Sie haben %(length)d Zeichen eingegeben."
        ),
    )


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


class WholeNumberField(StringField):
    """A whole number of ASCII digits; anything else gets ``invalid_message``."""

    widget = NumberInput()

    def __init__(self, *args: Any, invalid_message: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        raw = valuelist[0].strip()
        if DIGITS.fullmatch(raw) is None:
            raise ValueError(str(self.invalid_message))
        self.data = int(raw)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


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


def mailable_address(address: str) -> str:
    """``address`` (syntactically valid) as it can be mailed: an internationalised domain in its
    ASCII form (``info@bürgeramt.de`` → ``info@xn--brgeramt-65a.de``), which every mail server
    takes; anything else as entered. Raises ``ValidationError`` (German) for characters before
    the @ that need SMTPUTF8 (``jürgen@amt.de``): few mail servers deliver to such addresses."""
    try:
        checked = validate_email(address, allow_smtputf8=False, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(
            _(
                "An Adressen mit Umlauten oder anderen Sonderzeichen vor dem @ können wir "
                "leider keine E-Mails senden. Bitte geben Sie eine Adresse ohne solche Zeichen "
                "an, zum Beispiel name@amt.de."
            )
        ) from None
    if address.isascii():
        return address
    local_part = address.rpartition("@")[0]  # ASCII: anything else was refused above
    return f"{local_part}@{checked.ascii_domain}"


def is_website(value: str) -> bool:
    if any(char.isspace() for char in value):
        return False
    if "://" in value:
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError:
            return False
        return parts.scheme.lower() in ("http", "https") and bool(host) and is_host(host)
    host = value.split("/", 1)[0]
    return is_host(host)


def is_host(host: str) -> bool:
    return HOST.fullmatch(host) is not None and ":" not in host


def normalise_website(value: str | None) -> str | None:
    """A checked website as a link target: a bare domain gets ``https://``."""
    if not value:
        return None
    return value if "://" in value else "https://" + value
