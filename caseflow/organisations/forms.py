"""The forms of the organisation pages: an organisation's facts and a contact person; and
the fields and checks the public application form (intake) shares with them, so that both
offer the same choices and give the same messages.

Every field is checked on the server with a German message next to it (the templates switch
the browsers' own checks off with ``novalidate``); the services check the same rules again.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError
from wtforms.widgets import NumberInput

from caseflow.organisations.choices import (
    DISTRICT_LABELS,
    SECTOR_LABELS,
    SUBTYPES,
    District,
    Sector,
)
from caseflow.organisations.rules import email_problem, subtype_problem, website_problem
from caseflow.organisations.services import (
    ADDRESS_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    MAX_STAFF_SIZE,
    NAME_MAX_LENGTH,
    PHONE_MAX_LENGTH,
    ROLE_MAX_LENGTH,
    WEBSITE_MAX_LENGTH,
    ContactData,
    OrganisationData,
)
from caseflow.translating import lazy_gettext as _l

CHOOSE = _l("Bitte wählen")
SECTOR_VALUES = frozenset(sector.value for sector in Sector)
_DIGITS = re.compile(r"[0-9]{1,12}")


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


class WholeNumberField(StringField):
    """A whole number of ASCII digits, or nothing; anything else gets ``invalid_message``."""

    widget = NumberInput()

    def __init__(self, *args: Any, invalid_message: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        raw = valuelist[0].strip()
        if _DIGITS.fullmatch(raw) is None:
            raise ValueError(str(self.invalid_message))
        self.data = int(raw)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


def _staff_size_range(form: FlaskForm, field: WholeNumberField) -> None:
    if field.data is not None and not 1 <= field.data <= MAX_STAFF_SIZE:
        raise ValidationError(_l("Bitte geben Sie eine Zahl zwischen 1 und 1.000.000 an."))


def _subtype_choices() -> list[SelectChoice]:
    choices = [SelectChoice("", CHOOSE)]
    for sector, options in SUBTYPES.items():
        group = str(SECTOR_LABELS[sector])
        choices.extend(
            SelectChoice(value, str(label), optgroup=group) for value, label in options.items()
        )
    return choices


# --- the fields of an organisation's facts (field names: DESIGN.md §5) ----------------------
# ``required`` is the validator that refuses an empty choice, with the form's own message.


def _choice_field(
    label: Any, choices: Any, required: Any, *, values: list[str], unknown: Any
) -> SelectField:
    """A select field: ``required`` refuses the empty choice, ``unknown`` is the message for a
    value that is none of ``values``."""
    return SelectField(
        label,
        choices=choices,
        validate_choice=False,
        validators=[required, AnyOf(values, message=unknown)],
    )


def sector_field(required: Any) -> SelectField:
    return _choice_field(
        _l("Bereich"),
        [
            SelectChoice("", CHOOSE),
            *(SelectChoice(sector.value, label) for sector, label in SECTOR_LABELS.items()),
        ],
        required,
        values=[sector.value for sector in Sector],
        unknown=_l("Bitte wählen Sie einen Bereich aus der Liste."),
    )


def subtype_field(required: Any) -> SelectField:
    return _choice_field(
        _l("Art der Einrichtung"),
        _subtype_choices,
        required,
        values=[value for options in SUBTYPES.values() for value in options],
        unknown=_l("Bitte wählen Sie eine Art aus der Liste."),
    )


def district_field(required: Any) -> SelectField:
    return _choice_field(
        _l("Bezirk"),
        [
            SelectChoice("", CHOOSE),
            *(SelectChoice(district.value, label) for district, label in DISTRICT_LABELS.items()),
        ],
        required,
        values=[district.value for district in District],
        unknown=_l("Bitte wählen Sie einen Bezirk aus der Liste."),
    )


def staff_size_field() -> WholeNumberField:
    return WholeNumberField(
        _l("Zahl der Mitarbeitenden"),
        invalid_message=_l("Bitte geben Sie die Zahl der Mitarbeitenden als ganze Zahl an."),
        validators=[_staff_size_range],
        render_kw={"min": 1, "max": MAX_STAFF_SIZE, "inputmode": "numeric"},
    )


# --- inline checks (``validate_<field> = check_...``). The website and email checks are
# silent on an empty field and on one that already has a message; the sub-type check speaks
# whenever the sector is one of the list (the organisation form skips it after a message).


def check_website(form: FlaskForm, field: Field) -> None:
    if field.errors or not field.data:
        return
    problem = website_problem(field.data)
    if problem is not None:
        raise ValidationError(problem)


def check_subtype(form: Any, field: Field) -> None:
    """The sub-type belongs to the chosen sector (``form.sector``); nothing to say while the
    sector is none of the list."""
    if form.sector.data not in SECTOR_VALUES:
        return
    problem = subtype_problem(Sector(form.sector.data), field.data)
    if problem is not None:
        raise ValidationError(problem)


def check_email(form: FlaskForm, field: Field) -> None:
    if field.errors or not field.data:
        return
    problem = email_problem(field.data)
    if problem is not None:
        raise ValidationError(problem)


class OrganisationForm(FlaskForm):
    """An organisation's facts (``/organisations/<id>/edit``); ``shown`` carries the
    ``fingerprint`` of the organisation the form was filled in on."""

    shown = HiddenField()
    name = StringField(
        _l("Name der Organisation"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie den Namen der Organisation an.")),
            length_limit(NAME_MAX_LENGTH),
        ],
        render_kw={"autocomplete": "off"},
    )
    sector = sector_field(DataRequired(_l("Bitte wählen Sie den Bereich der Organisation.")))
    subtype = subtype_field(DataRequired(_l("Bitte wählen Sie die Art der Einrichtung.")))
    district = district_field(DataRequired(_l("Bitte wählen Sie den Bezirk (oder „berlinweit“).")))
    address = TextAreaField(
        _l("Anschrift"),
        filters=[strip_text],
        validators=[Optional(), length_limit(ADDRESS_MAX_LENGTH)],
        render_kw={"rows": 3},
    )
    website = StringField(
        _l("Website"),
        filters=[strip_text],
        validators=[Optional(), length_limit(WEBSITE_MAX_LENGTH)],
        render_kw={"inputmode": "url", "spellcheck": "false"},
    )
    staff_size = staff_size_field()

    validate_website = check_website

    def validate_subtype(self, field: Field) -> None:
        if not field.errors:
            check_subtype(self, field)

    def to_data(self) -> OrganisationData:
        """The checked values as ``update_organisation`` takes them (after validation)."""
        return OrganisationData(
            name=self.name.data,
            sector=Sector(self.sector.data),
            subtype=self.subtype.data,
            district=District(self.district.data),
            address=self.address.data or None,
            website=self.website.data or None,
            staff_size=self.staff_size.data,
        )


class ContactDataForm(FlaskForm):
    """The data of one contact person: name, function, email, phone; ``shown`` carries what
    the form was filled in on (to refuse a form made on an older state). Also the
    admins' rectification form (caseflow.admin.views.subjects)."""

    shown = HiddenField()
    name = StringField(
        _l("Name"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie den Namen der Ansprechperson an.")),
            length_limit(NAME_MAX_LENGTH),
        ],
        render_kw={"autocomplete": "off"},
    )
    role = StringField(
        _l("Funktion"),
        filters=[strip_text],
        validators=[Optional(), length_limit(ROLE_MAX_LENGTH)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("E-Mail-Adresse"),
        filters=[strip_text],
        validators=[Optional(), length_limit(EMAIL_MAX_LENGTH)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    phone = StringField(
        _l("Telefon"),
        filters=[strip_text],
        validators=[Optional(), length_limit(PHONE_MAX_LENGTH)],
        render_kw={"autocomplete": "off", "type": "tel"},
    )


class ContactForm(ContactDataForm):
    """A contact person of an organisation (new or changed); when changed, ``shown`` carries
    the ``fingerprint`` of the contact the form was filled in on."""

    is_primary = BooleanField(_l("Hauptansprechperson"))

    validate_email = check_email

    def to_data(self) -> ContactData:
        """The checked values as the contact services take them (after validation)."""
        return ContactData(
            name=self.name.data,
            role=self.role.data or None,
            email=self.email.data or None,
            phone=self.phone.data or None,
            is_primary=bool(self.is_primary.data),
        )
