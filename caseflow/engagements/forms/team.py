"""The team form: the lead consultant (a select), co-consultants (checkboxes) and the
confirmation of a capacity warning."""

from __future__ import annotations

from collections.abc import Sequence

from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from caseflow.engagements.forms.common import VERSION_MAX_DIGITS, VersionedForm
from caseflow.engagements.services.team import Candidate
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.web.converters import MAX_ID

UNKNOWN_CHOICE = _l("Bitte wählen Sie aus der Liste.")


def _is_id(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) <= VERSION_MAX_DIGITS
        # Larger numbers are no staff id, and PostgreSQL refuses them for an integer column.
        and int(value) <= MAX_ID
    )


def _label(candidate: Candidate) -> str:
    if not candidate.member.is_active:
        return _("%(name)s (nicht aktiv)", name=candidate.member.name)
    return candidate.member.name


class TeamForm(VersionedForm):
    """Who leads the engagement and who accompanies it. Call ``offer`` before rendering or
    validating. The form checks that the values are staff ids; the service checks that they
    are people who may be on the team."""

    lead = SelectField(_l("Federführung"), validate_choice=False)
    co = SelectMultipleField(
        _l("Co-Begleitung"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    # Sent by the "save anyway" button: the ids of the people whose capacity warning was
    # shown ("3,7"); anything else counts as no confirmation.
    confirm = StringField()

    def offer(self, candidates: Sequence[Candidate]) -> None:
        """Fill the choices from ``team_candidates``."""
        self.lead.choices = [SelectChoice("", _("– bitte wählen –"))] + [
            SelectChoice(str(c.member.id), _label(c)) for c in candidates
        ]
        self.co.choices = [SelectChoice(str(c.member.id), _label(c)) for c in candidates]

    def validate_lead(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError(_l("Bitte wählen Sie, wer die Federführung übernimmt."))
        if not _is_id(field.data):
            raise ValidationError(UNKNOWN_CHOICE)

    def validate_co(self, field: SelectMultipleField) -> None:
        values = field.data or []
        # More values than boxes on the page: not sent by this form.
        if len(values) > len(field.choices or []) or not all(_is_id(v) for v in values):
            raise ValidationError(UNKNOWN_CHOICE)

    @property
    def lead_id(self) -> int:
        """The chosen lead's id (after validation)."""
        return int(self.lead.data)

    @property
    def co_ids(self) -> set[int]:
        """The chosen co-consultants' ids (after validation)."""
        return {int(value) for value in self.co.data or []}

    @property
    def confirmed_ids(self) -> set[int]:
        """The ids whose capacity warning the user confirmed (empty when none or garbled)."""
        values = (self.confirm.data or "").split(",")
        if not all(_is_id(value) for value in values):
            return set()
        return {int(value) for value in values}
