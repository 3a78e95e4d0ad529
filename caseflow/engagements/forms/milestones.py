"""The milestone and phase forms of the engagement pages: complete, drop, edit or add a
milestone, and the button forms (reopen, begin a phase) that carry only the version."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from caseflow.engagements.forms.common import (
    YEARS_MESSAGE,
    VersionedForm,
    line_breaks,
    max_length,
)
from caseflow.engagements.services.milestones import NOTE_MAX_LENGTH, TITLE_MAX_LENGTH
from caseflow.staff.models import StaffMember
from caseflow.translating import lazy_gettext as _l
from caseflow.web.filters import FILTER_YEARS


def _plausible_year(form: FlaskForm, field: DateField) -> None:
    """Refuse a day outside ``FILTER_YEARS``: day arithmetic on it could leave the calendar."""
    if field.data is not None and field.data.year not in FILTER_YEARS:
        raise ValidationError(YEARS_MESSAGE)


class VersionOnlyForm(VersionedForm):
    """A button on the engagement page (reopen a milestone, begin a phase): only the CSRF
    token and the engagement's version."""


class CompleteMilestoneForm(VersionedForm):
    """Completing a milestone: the day it was done and an optional evidence note."""

    completed_on = DateField(
        _l("Erledigt am"),
        validators=[
            InputRequired(_l("Bitte geben Sie an, wann der Meilenstein erledigt wurde.")),
            _plausible_year,
        ],
    )
    evidence_note = TextAreaField(
        _l("Nachweis"), filters=[line_breaks], validators=[Optional(), max_length(NOTE_MAX_LENGTH)]
    )


class DropMilestoneForm(VersionedForm):
    """Dropping a milestone: the reason is required."""

    reason = TextAreaField(
        _l("Begründung"),
        filters=[line_breaks],
        validators=[
            InputRequired(_l("Bitte begründen Sie, warum der Meilenstein entfällt.")),
            max_length(NOTE_MAX_LENGTH),
        ],
    )


class MilestoneForm(VersionedForm):
    """Title, owner and due date of a milestone (editing one, or adding one to a phase).
    Call ``offer`` with the people who may own it before validating."""

    title = StringField(
        _l("Titel"),
        validators=[
            InputRequired(_l("Bitte geben Sie dem Meilenstein einen Titel.")),
            max_length(TITLE_MAX_LENGTH),
        ],
    )
    owner = SelectField(_l("Verantwortlich"), validate_choice=False)
    due_date = DateField(
        _l("Fällig am"),
        validators=[InputRequired(_l("Bitte geben Sie das Fälligkeitsdatum an.")), _plausible_year],
    )

    def offer(self, owners: Sequence[StaffMember]) -> None:
        """The owner choices: ``owners`` (the active team, plus the current owner)."""
        self.owner.choices = [SelectChoice("", _l("– bitte wählen –"))] + [
            SelectChoice(str(member.id), member.name) for member in owners
        ]

    def validate_title(self, field: StringField) -> None:
        if field.data is not None and not field.data.strip():
            raise ValidationError(_l("Bitte geben Sie dem Meilenstein einen Titel."))

    def validate_owner(self, field: SelectField) -> None:
        offered = {choice.value for choice in field.choices or []} - {""}  # type: ignore[union-attr]
        if not field.data:
            raise ValidationError(_l("Bitte wählen Sie, wer verantwortlich ist."))
        if field.data not in offered:
            raise ValidationError(
                _l(
                    "Verantwortlich kann nur eine aktive Person aus dem Team dieser "
                    "Prozessbegleitung sein."
                )
            )

    @property
    def owner_id(self) -> int:
        """The chosen owner's id (after validation)."""
        return int(self.owner.data)

    @property
    def due(self) -> date:
        return self.due_date.data


class AddMilestoneForm(MilestoneForm):
    """A new milestone of a phase: as ``MilestoneForm``, and whether it is a gate."""

    is_gate = BooleanField(_l("Voraussetzung für den Beginn der nächsten Phase (Gate)"))
