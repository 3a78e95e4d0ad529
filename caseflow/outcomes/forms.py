"""The Selbstcheck's forms: beginning (an optional name and role) and the questionnaire.

The questionnaire's statements depend on the round, so its answers are read from the posted
fields ``answer-<statement id>`` (``1`` … ``4`` or ``weiss_nicht``) and
``comment-<statement id>`` by ``read_answers`` rather than declared as WTForms fields; the
form itself carries the CSRF token, the response's version and the chosen action.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Optional

from caseflow.engagements.forms.common import line_breaks, max_length
from caseflow.outcomes.models import COMMENT_LENGTH, NAME_LENGTH
from caseflow.outcomes.rules import Rating
from caseflow.outcomes.services import AnswerInput
from caseflow.translating import lazy_gettext as _l

DONT_KNOW = "weiss_nicht"
CHOICES = tuple(str(int(rating)) for rating in Rating) + (DONT_KNOW,)
ACTIONS = ("save", "submit", "submit_incomplete")

SESSION_EXPIRED = _l(
    "Ihre Sitzung war abgelaufen. Bitte speichern Sie noch einmal – Ihre Angaben sind erhalten."
)
UNKNOWN_CHOICE = _l("Bitte wählen Sie eine der angebotenen Antworten.")


class StartForm(FlaskForm):
    respondent_name = StringField(
        _l("Ihr Name (freiwillig)"),
        validators=[Optional(), max_length(NAME_LENGTH)],
        filters=[lambda value: " ".join(value.split()) if isinstance(value, str) else value],
    )
    respondent_role = StringField(
        _l("Ihre Funktion oder Ihr Arbeitsbereich (freiwillig)"),
        validators=[Optional(), max_length(NAME_LENGTH)],
        filters=[lambda value: " ".join(value.split()) if isinstance(value, str) else value],
    )

    @property
    def csrf_failed(self) -> bool:
        return bool(self.meta.csrf and self.csrf_token.errors)


class AnswersForm(FlaskForm):
    version = HiddenField()
    action = HiddenField()

    @property
    def csrf_failed(self) -> bool:
        return bool(self.meta.csrf and self.csrf_token.errors)

    @property
    def chosen_action(self) -> str:
        return self.action.data if self.action.data in ACTIONS else "save"


@dataclass
class ReadAnswers:
    """The answers read from a posted questionnaire, the raw values to show again, and the
    messages per field (``answer-<id>``, ``comment-<id>``)."""

    answers: dict[int, AnswerInput] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def unanswered(self) -> int:
        return sum(1 for answer in self.answers.values() if not answer.given)


def read_answers(formdata: Mapping[str, Any], statement_ids: Sequence[int]) -> ReadAnswers:
    """Each statement's answer and comment from ``formdata`` (only the round's statements
    are read; other fields are ignored). An unknown choice is an error, not a guess."""
    result = ReadAnswers()
    for statement_id in statement_ids:
        choice_name, comment_name = f"answer-{statement_id}", f"comment-{statement_id}"
        choice = (formdata.get(choice_name) or "").strip()
        comment = line_breaks(formdata.get(comment_name) or "")
        result.values[choice_name], result.values[comment_name] = choice, comment
        if choice and choice not in CHOICES:
            result.errors[choice_name] = str(UNKNOWN_CHOICE)
            choice = ""
        if len(comment.strip()) > COMMENT_LENGTH:
            result.errors[comment_name] = str(
                _l(
                    "Bitte kürzen Sie den Kommentar auf höchstens %(max)d Zeichen.",
                    max=COMMENT_LENGTH,
                )
            )
        result.answers[statement_id] = AnswerInput(
            given=bool(choice),
            rating=Rating(int(choice)) if choice and choice != DONT_KNOW else None,
            comment=comment.strip() or None,
        )
    return result


def values_of(answers: Sequence[Any]) -> dict[str, str]:
    """The saved answers (``SelfcheckAnswer`` rows) as the form's raw values."""
    values: dict[str, str] = {}
    for answer in answers:
        if answer.rating is not None:
            values[f"answer-{answer.statement_id}"] = str(answer.rating)
        elif answer.dont_know:
            values[f"answer-{answer.statement_id}"] = DONT_KNOW
        if answer.comment:
            values[f"comment-{answer.statement_id}"] = answer.comment
    return values
