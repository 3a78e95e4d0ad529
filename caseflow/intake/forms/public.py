"""The public application form (field names: DESIGN.md §5) and the withdrawal confirmation.

Every field is checked on the server with a German message next to it; browsers' own checks
are switched off in the template (``novalidate``) so that everyone gets the same messages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, NumberRange, ValidationError

from caseflow.engagements.rules import (
    MAX_MONTHS,
    MIN_MONTHS,
    ProgrammeWindow,
    end_after_months,
    latest_start,
)
from caseflow.intake.forms.fields import (
    LONG_TEXT,
    MEDIUM_TEXT,
    IsoDateField,
    Optional,
    Required,
)
from caseflow.intake.services.submission import CONSENT_TEXT, ApplicationData
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.forms import (
    WholeNumberField,
    check_email,
    check_subtype,
    check_website,
    district_field,
    length_limit,
    sector_field,
    staff_size_field,
    strip_text,
    subtype_field,
)
from caseflow.organisations.rules import ascii_address, normalise_website
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.web.i18n import format_day

SESSION_EXPIRED = _l(
    "Ihre Sitzung war abgelaufen. Bitte senden Sie das Formular noch einmal ab – "
    "Ihre Angaben sind erhalten."
)
NOT_SENT = _l(
    "Ihre Bewerbung konnte nicht gesendet werden. Bitte prüfen Sie Ihre Angaben und senden "
    "Sie das Formular noch einmal ab."
)


class ApplicationForm(FlaskForm):
    """The application form. ``today`` and ``window`` (the programme window) decide which
    desired starts are possible."""

    # Organisation
    organisation_name = StringField(
        _l("Name der Organisation"),
        filters=[strip_text],
        validators=[
            Required(_l("Bitte geben Sie den Namen Ihrer Organisation an.")),
            length_limit(200),
        ],
        render_kw={"autocomplete": "organization"},
    )
    sector = sector_field(Required(_l("Bitte wählen Sie den Bereich Ihrer Organisation.")))
    subtype = subtype_field(Required(_l("Bitte wählen Sie die Art Ihrer Einrichtung.")))
    district = district_field(Required(_l("Bitte wählen Sie den Bezirk (oder „berlinweit“).")))
    address = TextAreaField(
        _l("Anschrift"),
        filters=[strip_text],
        validators=[Optional(), length_limit(300)],
        render_kw={"autocomplete": "street-address", "rows": 3},
    )
    website = StringField(
        _l("Website"),
        filters=[strip_text],
        validators=[Optional(), length_limit(300)],
        render_kw={"autocomplete": "url", "inputmode": "url", "spellcheck": "false"},
    )
    staff_size = staff_size_field()

    # Ansprechperson
    contact_name = StringField(
        _l("Name der Ansprechperson"),
        filters=[strip_text],
        validators=[
            Required(_l("Bitte geben Sie den Namen der Ansprechperson an.")),
            length_limit(200),
        ],
        render_kw={"autocomplete": "name"},
    )
    contact_role = StringField(
        _l("Funktion"),
        filters=[strip_text],
        validators=[Optional(), length_limit(200)],
        render_kw={"autocomplete": "organization-title"},
    )
    contact_email = EmailField(
        _l("E-Mail-Adresse"),
        filters=[strip_text],
        validators=[Required(_l("Bitte geben Sie Ihre E-Mail-Adresse an.")), length_limit(254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    contact_phone = StringField(
        _l("Telefon"),
        filters=[strip_text],
        validators=[Optional(), length_limit(50)],
        render_kw={"autocomplete": "tel", "type": "tel"},
    )

    # Anliegen
    motivation = TextAreaField(
        _l("Motivation"),
        filters=[strip_text],
        validators=[
            Required(_l("Bitte beschreiben Sie, warum Sie eine Prozessbegleitung möchten.")),
            length_limit(LONG_TEXT),
        ],
        render_kw={"rows": 8},
    )
    known_barriers = TextAreaField(
        _l("Bekannte Zugangsbarrieren"),
        filters=[strip_text],
        validators=[Optional(), length_limit(LONG_TEXT)],
        render_kw={"rows": 6},
    )
    target_groups = TextAreaField(
        _l("Zielgruppen"),
        filters=[strip_text],
        validators=[Optional(), length_limit(MEDIUM_TEXT)],
        render_kw={"rows": 4},
    )
    leadership_support = RadioField(
        _l("Unterstützt Ihre Leitung die Bewerbung?"),
        choices=[SelectChoice("ja", _l("ja")), SelectChoice("nein", _l("nein"))],
        validate_choice=False,
        validators=[
            Required(_l("Bitte geben Sie an, ob Ihre Leitung die Bewerbung unterstützt.")),
            AnyOf(["ja", "nein"], message=_l("Bitte wählen Sie „ja“ oder „nein“.")),
        ],
    )
    leadership_support_by = StringField(
        _l("Wer in der Leitung unterstützt die Bewerbung?"),
        filters=[strip_text],
        validators=[Optional(), length_limit(200)],
    )
    steering_group = TextAreaField(
        _l("Ressourcen für eine Steuerungsgruppe"),
        filters=[strip_text],
        validators=[Optional(), length_limit(MEDIUM_TEXT)],
        render_kw={"rows": 4},
    )

    # Rahmen
    desired_start = IsoDateField(
        _l("Gewünschter Beginn"),
        validators=[Required(_l("Bitte geben Sie den gewünschten Beginn an."))],
    )
    desired_duration_months = WholeNumberField(
        _l("Gewünschte Dauer in Monaten"),
        invalid_message=_l(
            "Bitte geben Sie die Dauer als ganze Zahl von Monaten an (%(min)d bis %(max)d).",
            min=MIN_MONTHS,
            max=MAX_MONTHS,
        ),
        validators=[
            Required(_l("Bitte geben Sie die gewünschte Dauer in Monaten an.")),
            NumberRange(
                min=MIN_MONTHS,
                max=MAX_MONTHS,
                message=_l("Die Dauer muss zwischen %(min)d und %(max)d Monaten liegen."),
            ),
        ],
        render_kw={"min": MIN_MONTHS, "max": MAX_MONTHS, "inputmode": "numeric"},
    )
    # A short label (it names the field in the error summary); the consent text itself is
    # the description, shown next to the box (templates/intake/apply.html).
    consent = BooleanField(
        _l("Einwilligung in die Datenverarbeitung"),
        description=CONSENT_TEXT,
        validators=[
            Required(
                _l(
                    "Bitte stimmen Sie der Verarbeitung Ihrer Angaben zu, damit wir Ihre "
                    "Bewerbung bearbeiten können."
                )
            )
        ],
    )

    # The version of the privacy notice the form links (caseflow.intake.notices): what the
    # applicant was shown, even if a newer version applies by the time they send it. Its
    # label is never shown; without one, WTForms would load its own message catalogue on
    # every request to translate a label made from the field name.
    privacy_notice_version = HiddenField(label="")

    # The honeypot: hidden from people (CSS, aria-hidden, out of the tab order); bots that
    # fill every field give themselves away.
    fax_number = StringField(_l("Bitte leer lassen"))

    def __init__(self, *args: Any, today: date, window: ProgrammeWindow, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.window = window

    @property
    def is_spam(self) -> bool:
        """The honeypot field was filled in."""
        return bool((self.fax_number.data or "").strip())

    @property
    def csrf_failed(self) -> bool:
        return bool(self.meta.csrf and self.csrf_token.errors)

    def validate_contact_email(self, field: Field) -> None:
        if field.errors:
            return
        raw = field.raw_data[0] if field.raw_data else ""
        if "\r" in raw or "\n" in raw:
            raise ValidationError(_("Die E-Mail-Adresse darf keinen Zeilenumbruch enthalten."))
        check_email(self, field)

    validate_website = check_website
    # Unlike on the organisation pages, a sub-type that is none of the list is also told that
    # it does not fit the sector.
    validate_subtype = check_subtype

    def validate_desired_start(self, field: Field) -> None:
        start: date = field.data
        window = self.window
        if start < self.today:
            raise ValidationError(
                _(
                    "Der gewünschte Beginn darf nicht in der Vergangenheit liegen "
                    "(frühestens %(day)s).",
                    day=format_day(max(self.today, window.start)),
                )
            )
        if start < window.start:
            raise ValidationError(
                _(
                    "Der Beginn darf nicht vor dem Start des Förderzeitraums (%(day)s) liegen.",
                    day=format_day(window.start),
                )
            )
        months = self.desired_duration_months.data
        has_months = isinstance(months, int) and MIN_MONTHS <= months <= MAX_MONTHS
        # A start after the programme end (9999-12-31 too) is refused before any month
        # arithmetic on it, which would overflow near the end of the calendar.
        if start > window.end and not has_months:
            raise ValidationError(
                _(
                    "Der Beginn liegt nach dem Ende des Förderzeitraums (%(day)s).",
                    day=format_day(window.end),
                )
            )
        if not has_months:
            return
        if start <= window.end and end_after_months(start, months) <= window.end:
            return
        latest = latest_start(months, window)
        earliest = max(self.today, window.start)
        if latest >= earliest:
            raise ValidationError(
                _(
                    "Eine Begleitung von %(months)d Monaten muss bis zum Ende des "
                    "Förderzeitraums (%(end)s) abgeschlossen sein. Für diese Dauer ist der "
                    "späteste mögliche Beginn der %(latest)s.",
                    months=months,
                    end=format_day(window.end),
                    latest=format_day(latest),
                )
            )
        longest = _longest_duration(earliest, window)
        if longest is None:
            raise ValidationError(
                _(
                    "Im Förderzeitraum (bis %(end)s) ist keine Begleitung von mindestens "
                    "%(min)d Monaten mehr möglich.",
                    end=format_day(window.end),
                    min=MIN_MONTHS,
                )
            )
        raise ValidationError(
            _(
                "Eine Begleitung von %(months)d Monaten passt nicht mehr in den Förderzeitraum "
                "(bis %(end)s). Möglich sind höchstens %(longest)d Monate bei Beginn am "
                "%(earliest)s.",
                months=months,
                end=format_day(window.end),
                longest=longest,
                earliest=format_day(earliest),
            )
        )

    def to_data(self) -> ApplicationData:
        """The checked values as the submission service takes them (call after validate)."""
        return ApplicationData(
            organisation_name=self.organisation_name.data,
            sector=Sector(self.sector.data),
            subtype=self.subtype.data,
            district=District(self.district.data),
            address=self.address.data or None,
            website=normalise_website(self.website.data),
            staff_size=self.staff_size.data,
            contact_name=self.contact_name.data,
            contact_role=self.contact_role.data or None,
            contact_email=ascii_address(self.contact_email.data),
            contact_phone=self.contact_phone.data or None,
            motivation=self.motivation.data,
            known_barriers=self.known_barriers.data or None,
            target_groups=self.target_groups.data or None,
            has_leadership_support=self.leadership_support.data == "ja",
            leadership_support_by=self.leadership_support_by.data or None,
            steering_group=self.steering_group.data or None,
            desired_start=self.desired_start.data,
            desired_duration_months=self.desired_duration_months.data,
            privacy_notice_version=self.privacy_notice_version.data or None,
        )


def _longest_duration(start: date, window: ProgrammeWindow) -> int | None:
    """The most months (6–18) an engagement starting on ``start`` can last in the window."""
    fitting = [
        months
        for months in range(MIN_MONTHS, MAX_MONTHS + 1)
        if end_after_months(start, months) <= window.end
    ]
    return max(fitting) if fitting else None


class WithdrawForm(FlaskForm):
    """The confirmation step of a withdrawal: only the CSRF token."""
