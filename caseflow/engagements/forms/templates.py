"""The phase template editor (admin): one form with a row per phase, each with rows for its
milestones, that works without JavaScript. "Phase hinzufügen" and "Meilenstein hinzufügen"
are submit buttons that show the form again with one more empty row; a row is removed by
ticking its "entfernen" box; the order comes from the order numbers. The form checks each
field (German messages); the service checks the rules again, and the sum of the shares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import format_number
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError

from caseflow.engagements.forms.common import VERSION_MESSAGE, max_length
from caseflow.engagements.models import LABELS, MilestonePosition, PhaseTemplate
from caseflow.engagements.planning import MilestoneSpec, PhaseSpec
from caseflow.engagements.services.templates import (
    MAX_MILESTONES,
    MAX_PHASES,
    NAME_MAX_LENGTH,
    TemplateRefused,
    template_version,
)
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

ORDER_MAX = 999
_POSITIONS = {position.value for position in MilestonePosition}


def _required(message: Any) -> Any:
    def check(form: Form, field: StringField) -> None:
        if not (field.data or "").strip():
            raise StopValidation(str(message))

    return check


def _whole_number(text: str | None, *, low: int, high: int) -> int | None:
    value = (text or "").strip().removesuffix("%").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 3):
        return None
    number = int(value)
    return number if low <= number <= high else None


def _share(form: Form, field: StringField) -> None:
    if _whole_number(field.data, low=1, high=100) is None:
        raise ValidationError(_("Bitte geben Sie den Anteil als ganze Zahl von 1 bis 100 ein."))


def _order(form: Form, field: StringField) -> None:
    if (field.data or "").strip() and _whole_number(field.data, low=0, high=ORDER_MAX) is None:
        raise ValidationError(
            _(
                "Bitte geben Sie die Reihenfolge als ganze Zahl von 0 bis %(max)s ein.",
                max=format_number(ORDER_MAX),
            )
        )


def _position(form: Form, field: SelectField) -> None:
    if field.data not in _POSITIONS:
        raise ValidationError(_("Bitte wählen Sie Anfang, Mitte oder Ende der Phase."))


def _content_version(form: FlaskForm, field: HiddenField) -> None:
    value = field.data or ""
    if not (len(value) == 64 and all(char in "0123456789abcdef" for char in value)):
        raise ValidationError(VERSION_MESSAGE)


class RowList(FieldList):
    """A ``FieldList`` that reads at most ``limit`` rows and remembers that more were sent
    (``FieldList(max_entries=…)`` drops them silently). Only plain row numbers of up to
    three ASCII digits count as rows; other keys (``phases-²-name``) are ignored."""

    def __init__(self, unbound_field: Any, *, limit: int, **kwargs: Any) -> None:
        super().__init__(unbound_field, max_entries=limit, **kwargs)
        self.too_many = False

    def _extract_indices(self, prefix: str, formdata: Any) -> Iterator[int]:
        # FieldList's own accepts every str.isdigit() ("²", "٣") and then int("²") raises.
        start = prefix + self._field_separator
        for key in formdata:
            if key.startswith(start):
                index = key[len(start) :].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 3:
                    yield int(index)

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.too_many = bool(formdata) and (
            len(set(self._extract_indices(self.name, formdata))) > self.max_entries
        )
        super().process(formdata, data, extra_filters)

    @property
    def is_full(self) -> bool:
        return len(self.entries) >= self.max_entries


class _Row(Form):
    """A phase or milestone row: a ticked ``remove`` box means the row is left out, so its
    fields are not checked."""

    remove = BooleanField()

    def validate(self, extra_validators: Any = None) -> bool:
        if self.remove.data:
            return True
        return super().validate(extra_validators)

    @property
    def order_key(self) -> int | None:
        return _whole_number(self.order.data, low=0, high=ORDER_MAX)  # type: ignore[attr-defined]


class MilestoneRow(_Row):
    title = StringField(
        _l("Titel"),
        validators=[_required(_l("Bitte geben Sie einen Titel ein.")), max_length(NAME_MAX_LENGTH)],
    )
    position = SelectField(
        _l("Lage in der Phase"),
        choices=[SelectChoice(position.value, LABELS[position]) for position in MilestonePosition],
        validate_choice=False,
        validators=[_position],
    )
    is_gate = BooleanField(_l("Gate: die nächste Phase beginnt erst, wenn er erledigt ist"))
    order = StringField(_l("Reihenfolge"), validators=[_order])
    remove = BooleanField(_l("Meilenstein entfernen"))


class PhaseRow(_Row):
    name = StringField(
        _l("Name der Phase"),
        validators=[_required(_l("Bitte geben Sie einen Namen ein.")), max_length(NAME_MAX_LENGTH)],
    )
    share = StringField(_l("Anteil an der Laufzeit in Prozent"), validators=[_share])
    order = StringField(_l("Reihenfolge"), validators=[_order])
    remove = BooleanField(_l("Phase entfernen"))
    milestones = RowList(FormField(MilestoneRow), limit=MAX_MILESTONES)

    def validate(self, extra_validators: Any = None) -> bool:
        if self.remove.data:
            return True
        is_valid = super().validate(extra_validators)
        if self.milestones.too_many:
            self.form_errors.append(
                _(
                    "Eine Phase kann höchstens %(max)s Meilensteine haben.",
                    max=format_number(MAX_MILESTONES),
                )
            )
            is_valid = False
        return is_valid


@dataclass
class ErrorItem:
    """One message of the error summary: the id of the control it belongs to (None: the
    form as a whole), what the control is, and the message."""

    target: str | None
    label: str | None
    message: str


def _ordered(rows: list[Any]) -> list[Any]:
    """Rows not removed, by their order number (a blank one keeps the row's place)."""
    kept = [(index, row.form) for index, row in enumerate(rows) if not row.form.remove.data]
    return [
        form
        for _index, form in sorted(
            kept,
            key=lambda item: (
                item[1].order_key if item[1].order_key is not None else item[0] + 1,
                item[0],
            ),
        )
    ]


class TemplateForm(FlaskForm):
    """The whole template: its name, the hidden content version it was shown with, and the
    phase rows. ``specs()`` gives the phases as the service takes them."""

    version = HiddenField(validators=[_content_version])
    name = StringField(
        _l("Name der Vorlage"),
        validators=[
            _required(_l("Bitte geben Sie einen Namen für die Vorlage ein.")),
            max_length(NAME_MAX_LENGTH),
        ],
    )
    phases = RowList(FormField(PhaseRow), limit=MAX_PHASES)

    @classmethod
    def of(cls, template: PhaseTemplate) -> TemplateForm:
        """The form filled in with ``template`` as it is stored."""
        data = {
            "version": template_version(template),
            "name": template.name,
            "phases": [
                {
                    "name": phase.name,
                    "share": str(phase.share_percent),
                    "order": str(number),
                    "milestones": [
                        {
                            "title": milestone.title,
                            "position": milestone.position.value,
                            "is_gate": milestone.is_gate,
                            "order": str(milestone_number),
                        }
                        for milestone_number, milestone in enumerate(phase.milestones, start=1)
                    ],
                }
                for number, phase in enumerate(template.phases, start=1)
            ],
        }
        return cls(formdata=None, data=data)

    def validate(self, extra_validators: dict | None = None) -> bool:
        is_valid = super().validate(extra_validators)
        self._ordered_rows: list[tuple[PhaseRow, list[MilestoneRow]]] | None = None
        if self.phases.too_many:
            self.form_errors.append(
                _(
                    "Eine Vorlage kann höchstens %(max)s Phasen haben.",
                    max=format_number(MAX_PHASES),
                )
            )
            is_valid = False
        if not any(not row.form.remove.data for row in self.phases):
            self.form_errors.append(_("Die Vorlage braucht mindestens eine Phase."))
            is_valid = False
        return is_valid

    @property
    def hidden_errors(self) -> list[str]:
        """Messages of the hidden fields: a tampered or missing version, or CSRF."""
        csrf = getattr(self, "csrf_token", None)
        return [str(m) for m in self.version.errors] + [
            str(m) for m in (csrf.errors if csrf is not None else [])
        ]

    @property
    def expected_version(self) -> str:
        return self.version.data

    def _rows(self) -> list[tuple[PhaseRow, list[MilestoneRow]]]:
        if getattr(self, "_ordered_rows", None) is None:
            self._ordered_rows = [
                (phase, _ordered(list(phase.milestones))) for phase in _ordered(list(self.phases))
            ]
        return self._ordered_rows

    def specs(self) -> list[PhaseSpec]:
        """The phases not removed, in their order, as plain values (after validation)."""
        return [
            PhaseSpec(
                name=phase.name.data or "",
                share_percent=_whole_number(phase.share.data, low=1, high=100) or 0,
                milestones=tuple(
                    MilestoneSpec(
                        milestone.title.data or "",
                        MilestonePosition(milestone.position.data),
                        bool(milestone.is_gate.data),
                    )
                    for milestone in milestones
                ),
            )
            for phase, milestones in self._rows()
        ]

    def attach(self, error: TemplateRefused) -> None:
        """Show a service's refusal next to the control it is about (indices as in
        ``specs()``), or at the top of the form."""
        target: Any = None
        if error.phase_index is None:
            target = self if error.field == "name" else None
        else:
            phase, milestones = self._rows()[error.phase_index]
            target = phase if error.milestone_index is None else milestones[error.milestone_index]
        # "milestones" (too many of them) is about the phase as a whole.
        field_name = {"share_percent": "share", "milestones": None}.get(
            error.field or "", error.field
        )
        if target is not None and field_name and field_name in target:
            target[field_name].errors = [*target[field_name].errors, str(error)]
        elif target is not None and target is not self:
            target.form_errors.append(str(error))
        else:
            self.form_errors.append(str(error))

    def add_phase(self) -> bool:
        """One more empty phase row (False when the form already has the most it can)."""
        if self.phases.is_full:
            self.form_errors.append(
                _(
                    "Eine Vorlage kann höchstens %(max)s Phasen haben.",
                    max=format_number(MAX_PHASES),
                )
            )
            return False
        self.phases.append_entry()
        return True

    def add_milestone(self, phase_index: int) -> bool:
        """One more empty milestone row in the phase row at ``phase_index`` (False when
        there is no such row or it already has the most it can)."""
        if not 0 <= phase_index < len(self.phases.entries):
            self.form_errors.append(VERSION_MESSAGE)
            return False
        row = self.phases.entries[phase_index].form
        if row.milestones.is_full:
            row.form_errors.append(
                _(
                    "Eine Phase kann höchstens %(max)s Meilensteine haben.",
                    max=format_number(MAX_MILESTONES),
                )
            )
            return False
        row.milestones.append_entry()
        return True

    def error_items(self) -> list[ErrorItem]:
        """Every message of the form, for the error summary at its top."""
        items = [ErrorItem(None, None, str(message)) for message in self.form_errors]
        items += [ErrorItem(None, None, message) for message in self.hidden_errors]
        items += [
            ErrorItem(self.name.id, str(self.name.label.text), str(m)) for m in self.name.errors
        ]
        for number, entry in enumerate(self.phases.entries, start=1):
            phase = entry.form
            where = _("Phase %(number)s", number=number)
            items += [
                ErrorItem(f"{entry.id}-fieldset", where, str(message))
                for message in phase.form_errors
            ]
            for control in (phase.name, phase.share, phase.order):
                items += [
                    ErrorItem(control.id, f"{where}, {control.label.text}", str(message))
                    for message in control.errors
                ]
            for milestone_number, milestone_entry in enumerate(phase.milestones.entries, start=1):
                milestone = milestone_entry.form
                milestone_where = _(
                    "Phase %(number)s, Meilenstein %(milestone)s",
                    number=number,
                    milestone=milestone_number,
                )
                for control in (milestone.title, milestone.position, milestone.order):
                    items += [
                        ErrorItem(control.id, f"{milestone_where}, {control.label.text}", str(m))
                        for m in control.errors
                    ]
        return items


class CopyForm(FlaskForm):
    """A new template as a copy of the one shown: its name."""

    name = StringField(
        _l("Name der neuen Vorlage"),
        validators=[
            _required(_l("Bitte geben Sie einen Namen für die neue Vorlage ein.")),
            max_length(NAME_MAX_LENGTH),
        ],
    )
