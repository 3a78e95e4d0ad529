"""Staff forms of the intake: reviews, status moves, decisions, acceptance and rounds.

The forms check what a browser can get wrong (missing, non-numeric, out of range, too long,
malformed dates) with German messages next to each field; the services check the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from caseflow.engagements.forms.common import max_length, version_number
from caseflow.engagements.rules import MAX_MONTHS, MIN_MONTHS
from caseflow.intake.models import REVIEW_CRITERIA, ApplicationStatus
from caseflow.intake.services.decisions import REASON_MAX_LENGTH
from caseflow.intake.services.reviews import COMMENT_MAX_LENGTH, MAX_SCORE, MIN_SCORE
from caseflow.intake.services.rounds import NAME_MAX_LENGTH
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.translating import ngettext
from caseflow.web.filters import FILTER_YEARS

SCORE_CHOICES = [SelectChoice(str(score), str(score)) for score in range(MIN_SCORE, MAX_SCORE + 1)]
NEW_ORGANISATION = "neu"
OTHER_ORGANISATION = "andere"
MOVE_TARGETS = (ApplicationStatus.IN_PRUEFUNG, ApplicationStatus.VORGESPRAECH)


def _day_in_plausible_years(form: FlaskForm, field: DateField) -> None:
    """Refuse a day outside ``FILTER_YEARS`` (0001-01-01, 9999-12-31): day arithmetic on it,
    or midnight in UTC, could leave the calendar."""
    if field.data is not None and field.data.year not in FILTER_YEARS:
        raise ValidationError(
            _l(
                "Bitte geben Sie ein Datum in den Jahren %(first)d bis %(last)d an.",
                first=FILTER_YEARS.start,
                last=FILTER_YEARS.stop - 1,
            )
        )


def _score_in_range(form: FlaskForm, field: RadioField) -> None:
    try:
        value = int(field.data)
    except (TypeError, ValueError):
        value = None
    if value is None or not MIN_SCORE <= value <= MAX_SCORE:
        raise ValidationError(
            _l("Bitte wählen Sie einen Wert von %(min)d bis %(max)d.", min=MIN_SCORE, max=MAX_SCORE)
        )


def _score_field(column: str) -> RadioField:
    return RadioField(
        REVIEW_CRITERIA[column],
        choices=SCORE_CHOICES,
        validate_choice=False,
        validators=[
            InputRequired(
                _l("Bitte bewerten Sie „%(criterion)s“.", criterion=REVIEW_CRITERIA[column])
            ),
            _score_in_range,
        ],
    )


class _VersionedForm(FlaskForm):
    """A form that changes an application. It carries the ``version`` of the application it
    was filled in on, so that a form left open while someone else changed the application is
    refused instead of overwriting that change (render it with ``version=application.version``
    in ``data``)."""

    version = HiddenField(validators=[version_number])

    def validate(self, extra_validators: dict | None = None) -> bool:
        is_valid = super().validate(extra_validators)
        # A hidden field has no place for its message: it goes to the top of the form.
        self.form_errors.extend(str(message) for message in self.version.errors)
        return is_valid

    @property
    def expected_version(self) -> int:
        """The application's version the form was filled in on (after validation)."""
        return int(self.version.data)


class ReviewForm(FlaskForm):
    """One's own review: the four criteria (1–5) and a comment. Use with ``prefix="review"``."""

    score_leadership = _score_field("score_leadership")
    score_resources = _score_field("score_resources")
    score_relevance = _score_field("score_relevance")
    score_feasibility = _score_field("score_feasibility")
    comment = TextAreaField(
        _l("Kommentar"), validators=[Optional(), max_length(COMMENT_MAX_LENGTH)]
    )

    def scores(self) -> dict[str, int]:
        """The validated scores by ``REVIEW_CRITERIA`` key."""
        return {column: int(self[column].data) for column in REVIEW_CRITERIA}


def _status_target(form: FlaskForm, field: HiddenField) -> None:
    if field.data not in {status.value for status in MOVE_TARGETS}:
        raise ValidationError(_l("Dieser Statuswechsel ist nicht möglich."))


class MoveForm(_VersionedForm):
    """A step along the review: to ``in_pruefung``, or to ``vorgespraech`` (or a new date for
    the talk) with the talk's date. Use with ``prefix="move"``."""

    target = HiddenField(validators=[_status_target])
    talk_on = DateField(
        _l("Datum des Vorgesprächs"),
        validators=[Optional(), _day_in_plausible_years],
        render_kw={"autocomplete": "off"},
    )

    @property
    def target_status(self) -> ApplicationStatus:
        return ApplicationStatus(self.target.data)


class DeclineForm(_VersionedForm):
    """Declining with a reason (internal). Use with ``prefix="decline"``."""

    reason = TextAreaField(
        _l("Begründung der Absage"),
        validators=[
            InputRequired(_l("Bitte begründen Sie die Absage.")),
            max_length(REASON_MAX_LENGTH),
        ],
    )

    def validate_reason(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Bitte begründen Sie die Absage."))


class WaitlistForm(_VersionedForm):
    """A waitlist place, with an optional internal note. Use with ``prefix="waitlist"``."""

    note = TextAreaField(
        _l("Notiz zur Warteliste"), validators=[Optional(), max_length(REASON_MAX_LENGTH)]
    )


def _values(field: RadioField | SelectField) -> set[str]:
    return {choice.value for choice in field.choices}


def _duration_label(months: int) -> str:
    return ngettext("%(num)d Monat", "%(num)d Monate", months)


class AcceptForm(_VersionedForm):
    """Acceptance: organisation (new from the application, or an existing one), start,
    duration, lead consultant and an optional note. Call ``offer`` before validating."""

    # The shortest and longest duration offered (set by ``offer`` from the settings).
    durations: tuple[int, int] = (MIN_MONTHS, MAX_MONTHS)

    organisation = RadioField(
        _l("Zu welcher Organisation gehört die Bewerbung?"),
        validate_choice=False,
        validators=[InputRequired(_l("Bitte wählen Sie, zu welcher Organisation es gehört."))],
    )
    # No Optional(): it would stop the chain before ``validate_other_organisation``.
    other_organisation = SelectField(_l("Andere bestehende Organisation"), validate_choice=False)
    start_date = DateField(
        _l("Beginn der Prozessbegleitung"),
        validators=[InputRequired(_l("Bitte geben Sie den Beginn an.")), _day_in_plausible_years],
    )
    duration_months = SelectField(_l("Dauer"), validate_choice=False)
    lead = SelectField(_l("Federführung"), validate_choice=False)
    note = TextAreaField(
        _l("Notiz zur Entscheidung"), validators=[Optional(), max_length(REASON_MAX_LENGTH)]
    )

    def offer(
        self,
        *,
        new_label: str,
        similar: Sequence[Organisation],
        all_organisations: Sequence[Organisation],
        leads: Sequence[StaffMember],
        durations: tuple[int, int] = (MIN_MONTHS, MAX_MONTHS),
    ) -> None:
        """Fill the choices: the new organisation, similar ones, and "another one"; all
        organisations for the select; the lead candidates; the durations from the shortest
        to the longest (``durations``, the settings in effect)."""
        self.durations = durations
        self.organisation.choices = [
            SelectChoice(NEW_ORGANISATION, new_label),
            *(SelectChoice(str(org.id), f"{org.name} ({org.district.label})") for org in similar),
        ]
        if all_organisations:
            self.organisation.choices.append(
                SelectChoice(
                    OTHER_ORGANISATION, _("Eine andere bestehende Organisation (Auswahl unten)")
                )
            )
        self.other_organisation.choices = [SelectChoice("", _("– bitte wählen –"))] + [
            SelectChoice(str(org.id), f"{org.name} ({org.district.label})")
            for org in all_organisations
        ]
        self.duration_months.choices = [
            SelectChoice(str(months), _duration_label(months))
            for months in range(durations[0], durations[1] + 1)
        ]
        self.lead.choices = [SelectChoice("", _("– bitte wählen –"))] + [
            SelectChoice(str(member.id), member.name) for member in leads
        ]

    def validate_organisation(self, field: RadioField) -> None:
        if field.data not in _values(field):
            raise ValidationError(_l("Bitte wählen Sie eine der angebotenen Möglichkeiten."))

    def validate_other_organisation(self, field: SelectField) -> None:
        if self.organisation.data != OTHER_ORGANISATION:
            return
        offered = _values(field) - {""}
        if not field.data:
            raise ValidationError(_l("Bitte wählen Sie die bestehende Organisation aus."))
        if field.data not in offered:
            raise ValidationError(_l("Diese Organisation gibt es nicht (mehr)."))

    def validate_duration_months(self, field: SelectField) -> None:
        try:
            months = int(field.data)
        except (TypeError, ValueError):
            months = None
        shortest, longest = self.durations
        if months is None or not shortest <= months <= longest:
            raise ValidationError(
                _l(
                    "Bitte wählen Sie eine Dauer von %(min)d bis %(max)d Monaten.",
                    min=shortest,
                    max=longest,
                )
            )

    def validate_lead(self, field: SelectField) -> None:
        offered = _values(field) - {""}
        if not field.data:
            raise ValidationError(_l("Bitte wählen Sie, wer die Prozessbegleitung leitet."))
        if field.data not in offered:
            raise ValidationError(
                _l("Bitte wählen Sie eine aktive Person aus Maßnahme 3 (Organisationsberatung).")
            )

    @property
    def chosen_organisation_id(self) -> int | None:
        """The id of the chosen existing organisation, or None for a new one."""
        if self.organisation.data == NEW_ORGANISATION:
            return None
        if self.organisation.data == OTHER_ORGANISATION:
            return int(self.other_organisation.data)
        return int(self.organisation.data)

    @property
    def months(self) -> int:
        return int(self.duration_months.data)

    @property
    def lead_id(self) -> int:
        return int(self.lead.data)


class RoundForm(FlaskForm):
    """An application round: name, first and last day (whole days, Europe/Berlin)."""

    name = StringField(
        _l("Name der Runde"),
        validators=[
            InputRequired(_l("Bitte geben Sie der Runde einen Namen.")),
            Length(
                max=NAME_MAX_LENGTH,
                message=_l(
                    "Der Name darf höchstens %(max)d Zeichen lang sein.", max=NAME_MAX_LENGTH
                ),
            ),
        ],
    )
    first_day = DateField(
        _l("Erster Tag"),
        validators=[
            InputRequired(_l("Bitte geben Sie den ersten Tag an.")),
            _day_in_plausible_years,
        ],
    )
    last_day = DateField(
        _l("Letzter Tag"),
        validators=[
            InputRequired(_l("Bitte geben Sie den letzten Tag an.")),
            _day_in_plausible_years,
        ],
    )

    def validate_last_day(self, field: DateField) -> None:
        if field.errors:  # not a date, or outside the plausible years: said already
            return
        first: date | None = self.first_day.data
        if first is not None and field.data is not None and field.data < first:
            raise ValidationError(_l("Der letzte Tag darf nicht vor dem ersten Tag liegen."))
