"""Running the Selbstcheck: opening a round and its secret link, people answering through
it (drafts, then submitted), the team closing and reopening, and the results.

Services check the rules, change rows, write the audit trail and flush; the caller commits.
Staff actions raise the engagement feature's errors (``EngagementError``,
``EngagementNotPermitted``); what a respondent sends is refused with ``SelfcheckError``.
Nothing of a refused change is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_number
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from caseflow import clock
from caseflow.audit.services import record, redacted
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.engagements.services.common import (
    EngagementError,
    require_editor,
    touch,
)
from caseflow.outcomes.models import (
    COMMENT_LENGTH,
    NAME_LENGTH,
    RoundKind,
    SelfcheckAnswer,
    SelfcheckResponse,
    SelfcheckRound,
    SelfcheckRoundStatement,
    SelfcheckStatement,
)
from caseflow.outcomes.rules import (
    Comparison,
    Rating,
    Response,
    RoundResult,
    Statement,
    combine,
    compare,
)
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.tokens import (
    derive,
    derive_again,
    hash_token,
    is_well_formed,
    new_salt,
    random_token,
)

_PURPOSE = b"caseflow selfcheck round link\x00"
# The template milestone a submitted response of the round at the start checks.
MILESTONE_TITLE = "Selbstcheck durchgeführt"
# The fewest people per round whose combined result goes to the organisation (the printed
# handout): with fewer, one person's own ratings could be read off it.
MIN_RESPONDENTS_FOR_CLIENT = 3


class SelfcheckError(ValueError):
    """What a respondent sent was refused; the message is German and meant for them.
    ``field`` names the offending input when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- the questionnaire ----------------------------------------------------------------


def current_statements(session: Session) -> list[SelfcheckStatement]:
    """The questionnaire as a new round would ask it: every current statement, in order."""
    return list(
        session.scalars(
            select(SelfcheckStatement)
            .where(SelfcheckStatement.retired_at.is_(None))
            .order_by(SelfcheckStatement.position, SelfcheckStatement.id)
        )
    )


# --- rounds and their links -----------------------------------------------------------


def rounds_of(session: Session, engagement_id: int) -> dict[RoundKind, SelfcheckRound]:
    """The engagement's rounds by kind, with their statements, responses and answers
    (four statements, however many people answered)."""
    rounds = session.scalars(
        select(SelfcheckRound)
        .where(SelfcheckRound.engagement_id == engagement_id)
        .options(
            selectinload(SelfcheckRound.statements).joinedload(SelfcheckRoundStatement.statement),
            selectinload(SelfcheckRound.responses).selectinload(SelfcheckResponse.answers),
        )
    )
    return {round_.kind: round_ for round_ in rounds}


def round_of(session: Session, engagement_id: int, kind: RoundKind) -> SelfcheckRound | None:
    """The engagement's round of ``kind``, its row alone (for a change of the round)."""
    return session.scalar(
        select(SelfcheckRound).where(
            SelfcheckRound.engagement_id == engagement_id, SelfcheckRound.kind == kind
        )
    )


@dataclass(frozen=True)
class RoundOverview:
    """A round with how many people submitted and how many drafts are waiting."""

    round: SelfcheckRound
    submitted: int
    drafts: int


def round_overview(session: Session, engagement_id: int) -> dict[RoundKind, RoundOverview]:
    """The engagement's rounds by kind with their counts, in one statement (the engagement
    page shows no more than that)."""
    submitted_count = func.count(SelfcheckResponse.submitted_at)
    rows = session.execute(
        select(SelfcheckRound, submitted_count, func.count(SelfcheckResponse.id))
        .outerjoin(SelfcheckResponse, SelfcheckResponse.round_id == SelfcheckRound.id)
        .where(SelfcheckRound.engagement_id == engagement_id)
        .group_by(SelfcheckRound.id)
    )
    return {
        round_.kind: RoundOverview(round=round_, submitted=done, drafts=started - done)
        for round_, done, started in rows
    }


def round_link_token(round_: SelfcheckRound, secret: str) -> str | None:
    """The round's link token again (None when revoked or the ``SECRET_KEY`` changed)."""
    return derive_again(_PURPOSE, round_.token_salt, round_.token_hash, secret)


def _issue_link(round_: SelfcheckRound, secret: str) -> str:
    salt = new_salt()
    token = derive(_PURPOSE, salt, secret)
    round_.token_salt = salt
    round_.token_hash = hash_token(token)
    return token


def open_round(
    session: Session,
    engagement: Engagement,
    kind: RoundKind,
    *,
    actor: StaffMember,
    now: datetime,
    secret: str,
) -> tuple[SelfcheckRound, str]:
    """Open the engagement's round of ``kind`` with the current questionnaire and a new
    secret link; return the round and the link's token.

    Refused (``EngagementError``) for an engagement that was cancelled, for a kind that is
    already open, and when the questionnaire has no current statement. Opening the round
    at the end closes the round at the start (``_close_the_start``). One
    ``selfcheck.round_opened`` audit event; flushed (a concurrent opening of the same kind
    fails there on the unique constraint)."""
    require_editor(engagement, actor)
    if engagement.status is EngagementStatus.ABGEBROCHEN:
        raise EngagementError(
            _("Für eine abgebrochene Prozessbegleitung kann kein Selbstcheck begonnen werden.")
        )
    exists = session.scalar(
        select(func.count())
        .select_from(SelfcheckRound)
        .where(SelfcheckRound.engagement_id == engagement.id, SelfcheckRound.kind == kind)
    )
    if exists:
        raise EngagementError(_("Der %(round)s wurde bereits begonnen.", round=kind.label))
    statements = current_statements(session)
    if not statements:
        raise EngagementError(
            _("Der Fragebogen enthält keine Aussagen; bitte wenden Sie sich an die Verwaltung.")
        )
    round_ = SelfcheckRound(
        engagement_id=engagement.id, kind=kind, opened_at=now, opened_by_id=actor.id
    )
    round_.statements = [
        SelfcheckRoundStatement(statement_id=statement.id, position=position)
        for position, statement in enumerate(statements, start=1)
    ]
    token = _issue_link(round_, secret)
    session.add(round_)
    session.flush()
    if kind is RoundKind.NACHHER:
        _close_the_start(session, engagement.id, actor=actor, now=now)
    record(
        session,
        actor=actor,
        action="selfcheck.round_opened",
        object_type="engagement",
        object_id=engagement.id,
        changes={"round": round_.id, "kind": kind, "statements": len(statements)},
        at=now,
    )
    session.flush()
    return round_, token


def _close_the_start(
    session: Session, engagement_id: int, *, actor: StaffMember, now: datetime
) -> None:
    """Close the round at the start if it is still open: once the round at the end has
    begun, late answers would move the baseline of the comparison."""
    start = session.scalar(
        select(SelfcheckRound).where(
            SelfcheckRound.engagement_id == engagement_id,
            SelfcheckRound.kind == RoundKind.VORHER,
            SelfcheckRound.closed_at.is_(None),
        )
    )
    if start is not None:
        start.closed_at = now
        _staff_change(
            session,
            start,
            action="selfcheck.round_closed",
            actor=actor,
            now=now,
            changes={"closed_at": [None, now], "because": "nachher"},
        )


def _staff_change(
    session: Session,
    round_: SelfcheckRound,
    *,
    action: str,
    actor: StaffMember,
    now: datetime,
    changes: Mapping[str, object],
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        object_type="engagement",
        object_id=round_.engagement_id,
        changes={"round": round_.id, "kind": round_.kind, **changes},
        at=now,
    )
    session.flush()


def renew_link(
    session: Session, round_: SelfcheckRound, *, actor: StaffMember, now: datetime, secret: str
) -> str:
    """Give the round a new link; the old one opens nothing any more. Drafts stay (their
    own resume links still need the round's link)."""
    require_editor(round_.engagement, actor)
    token = _issue_link(round_, secret)
    _staff_change(
        session, round_, action="selfcheck.link_renewed", actor=actor, now=now, changes={}
    )
    return token


def revoke_link(
    session: Session, round_: SelfcheckRound, *, actor: StaffMember, now: datetime
) -> None:
    """Switch the round's link off; a new one can be issued with ``renew_link``."""
    require_editor(round_.engagement, actor)
    if round_.token_hash is None:
        return
    round_.token_hash = None
    round_.token_salt = None
    _staff_change(
        session, round_, action="selfcheck.link_revoked", actor=actor, now=now, changes={}
    )


def close_round(
    session: Session, round_: SelfcheckRound, *, actor: StaffMember, now: datetime
) -> None:
    """No new answers: drafts can no longer be submitted and no one can begin."""
    require_editor(round_.engagement, actor)
    if round_.closed_at is not None:
        raise EngagementError(
            _("Der %(round)s ist bereits abgeschlossen.", round=round_.kind.label)
        )
    round_.closed_at = now
    _staff_change(
        session,
        round_,
        action="selfcheck.round_closed",
        actor=actor,
        now=now,
        changes={"closed_at": [None, now]},
    )


def reopen_round(
    session: Session, round_: SelfcheckRound, *, actor: StaffMember, now: datetime
) -> None:
    require_editor(round_.engagement, actor)
    if round_.closed_at is None:
        raise EngagementError(_("Der %(round)s ist nicht abgeschlossen.", round=round_.kind.label))
    closed_at = round_.closed_at
    round_.closed_at = None
    _staff_change(
        session,
        round_,
        action="selfcheck.round_reopened",
        actor=actor,
        now=now,
        changes={"closed_at": [closed_at, None]},
    )


def reopen_response(
    session: Session, response: SelfcheckResponse, *, actor: StaffMember, now: datetime
) -> None:
    """Let the person change a submitted response again (through their own link); until
    they submit it again it counts as a draft. Audited."""
    round_ = response.round
    require_editor(round_.engagement, actor)
    if response.submitted_at is None:
        raise EngagementError(_("Diese Antwort ist noch nicht abgesendet."))
    if round_.closed_at is not None:
        raise EngagementError(
            _(
                "Der %(round)s ist abgeschlossen: Öffnen Sie ihn zuerst wieder, damit die "
                "Person ihre Antworten ändern und erneut absenden kann.",
                round=round_.kind.label,
            )
        )
    submitted_at = response.submitted_at
    response.submitted_at = None
    _staff_change(
        session,
        round_,
        action="selfcheck.response_reopened",
        actor=actor,
        now=now,
        changes={"response": response.id, "submitted_at": [submitted_at, None]},
    )


# --- answering ------------------------------------------------------------------------


def round_by_token(session: Session, token: str) -> SelfcheckRound | None:
    """The round whose current link is ``token``; None for anything else (malformed,
    unknown or revoked)."""
    if not is_well_formed(token):
        return None
    return session.scalar(
        select(SelfcheckRound)
        .where(SelfcheckRound.token_hash == hash_token(token))
        .options(
            selectinload(SelfcheckRound.statements).joinedload(SelfcheckRoundStatement.statement)
        )
    )


def response_by_token(
    session: Session, round_: SelfcheckRound, token: str
) -> SelfcheckResponse | None:
    """The response of ``round_`` that ``token`` resumes; None for anything else, including
    a response of another round."""
    if not is_well_formed(token):
        return None
    return session.scalar(
        select(SelfcheckResponse)
        .where(
            SelfcheckResponse.resume_token_hash == hash_token(token),
            SelfcheckResponse.round_id == round_.id,
        )
        .options(selectinload(SelfcheckResponse.answers))
    )


def response_by_resume(session: Session, token: str) -> SelfcheckResponse | None:
    """The response that ``token`` resumes, whatever the round's current link, as long as
    the round has one (a renewed link keeps people who began; a revoked one stops them)."""
    if not is_well_formed(token):
        return None
    return session.scalar(
        select(SelfcheckResponse)
        .join(SelfcheckRound, SelfcheckResponse.round_id == SelfcheckRound.id)
        .where(
            SelfcheckResponse.resume_token_hash == hash_token(token),
            SelfcheckRound.token_hash.is_not(None),
        )
    )


def _closed_message() -> str:
    return _(
        "Dieser Selbstcheck ist abgeschlossen; Antworten sind nicht mehr möglich. Bitte "
        "wenden Sie sich an Ihre Prozessbegleitung."
    )


def _clean_short(value: str | None, field: str) -> str | None:
    cleaned = " ".join((value or "").split())
    if len(cleaned) > NAME_LENGTH:
        raise SelfcheckError(
            _("Bitte höchstens %(max)s Zeichen angeben.", max=format_number(NAME_LENGTH)),
            field=field,
        )
    return cleaned or None


def start_response(
    session: Session,
    round_: SelfcheckRound,
    *,
    name: str | None,
    role: str | None,
    now: datetime,
) -> tuple[SelfcheckResponse, str]:
    """Begin one person's answers (name and role are optional); return the response and the
    token of its own resume link (shown to the person only: its hash is kept)."""
    if round_.closed_at is not None:
        raise SelfcheckError(_closed_message())
    response = SelfcheckResponse(
        respondent_name=_clean_short(name, "respondent_name"),
        respondent_role=_clean_short(role, "respondent_role"),
        started_at=now,
        saved_at=now,
    )
    response.round = round_
    token = random_token()
    response.resume_token_hash = hash_token(token)
    session.add(response)
    session.flush()
    record(
        session,
        actor=None,
        action="selfcheck.response_started",
        object_type="engagement",
        object_id=round_.engagement_id,
        changes={"round": round_.id, "response": response.id},
        at=now,
    )
    session.flush()
    return response, token


@dataclass(frozen=True)
class AnswerInput:
    """One statement's answer as sent: a rating, ``None`` for "weiß nicht", or left out
    (``given`` False); and the comment."""

    given: bool
    rating: Rating | None = None
    comment: str | None = None


def save_answers(
    session: Session,
    response: SelfcheckResponse,
    answers: Mapping[int, AnswerInput],
    *,
    submit: bool,
    now: datetime,
) -> None:
    """Keep ``answers`` (statement id → answer) as the response's answers, replacing what
    was saved before; with ``submit`` the response is submitted and can no longer be changed.

    Refused (``SelfcheckError``) when the response was submitted already, the round is
    closed, an answer is for a statement the round does not ask (a tampered form), or a
    comment is too long (``field`` ``comment-<statement id>``). Submitting a response of
    the round at the start checks the engagement's milestone "Selbstcheck durchgeführt"
    while it is open (``_check_milestone``). Audited without the answers' content; flushed."""
    round_ = response.round
    if response.submitted_at is not None:
        raise SelfcheckError(
            _(
                "Ihre Antworten sind bereits abgesendet und können nicht mehr geändert werden. "
                "Falls Sie etwas korrigieren möchten, wenden Sie sich bitte an Ihre "
                "Prozessbegleitung."
            )
        )
    if round_.closed_at is not None:
        raise SelfcheckError(_closed_message())
    asked = {item.statement_id for item in round_.statements}
    unknown = set(answers) - asked
    if unknown:
        raise SelfcheckError(_("Das Formular passt nicht zu diesem Fragebogen."))
    for statement_id, answer in answers.items():
        if answer.comment is not None and len(answer.comment.strip()) > COMMENT_LENGTH:
            raise SelfcheckError(
                _(
                    "Ein Kommentar darf höchstens %(max)s Zeichen lang sein (jetzt: %(length)s).",
                    max=format_number(COMMENT_LENGTH),
                    length=format_number(len(answer.comment.strip())),
                ),
                field=f"comment-{statement_id}",
            )
    kept = {answer.statement_id: answer for answer in response.answers}
    for statement_id in asked:
        answer = answers.get(statement_id)
        comment = (answer.comment or "").strip() or None if answer is not None else None
        wanted = answer is not None and (answer.given or comment is not None)
        row = kept.get(statement_id)
        if not wanted:
            if row is not None:
                response.answers.remove(row)
            continue
        assert answer is not None
        rating = int(answer.rating) if answer.given and answer.rating is not None else None
        dont_know = answer.given and answer.rating is None
        if row is None:
            response.answers.append(
                SelfcheckAnswer(
                    statement_id=statement_id, rating=rating, dont_know=dont_know, comment=comment
                )
            )
        else:
            row.rating, row.dont_know, row.comment = rating, dont_know, comment
    response.saved_at = now
    if submit:
        response.submitted_at = now
    record(
        session,
        actor=None,
        action="selfcheck.response_submitted" if submit else "selfcheck.response_saved",
        object_type="engagement",
        object_id=round_.engagement_id,
        changes={
            "round": round_.id,
            "response": response.id,
            "answered": sum(1 for answer in answers.values() if answer.given),
            "comments": redacted("x") if any(a.comment for a in answers.values()) else None,
        },
        at=now,
    )
    session.flush()
    if submit and round_.kind is RoundKind.VORHER:
        _check_milestone_once(session, round_, now)


def _check_milestone_once(session: Session, round_: SelfcheckRound, now: datetime) -> None:
    """``_check_milestone`` in a savepoint. When the engagement changed at the same moment
    (another person's submission checking the milestone, or a change by the team), the flush
    finds its version moved on (``StaleDataError``): the savepoint is undone, the engagement
    read again and the check tried once more (it finds nothing to do if the other did it);
    the person's own answers are kept either way."""
    for _attempt in range(2):
        try:
            with session.begin_nested():
                _check_milestone(session, round_, now)
            return
        except StaleDataError:
            session.refresh(round_.engagement)


def _check_milestone(session: Session, round_: SelfcheckRound, now: datetime) -> None:
    """Mark the engagement's open "Selbstcheck durchgeführt" milestone done (by the system,
    on today's date), if it has one, has begun and is not closed: the milestones of a
    closed engagement stay as they were (``require_open``). The milestone is found by its
    title (``MILESTONE_TITLE``, as the default phase template names it): a template that
    renames it leaves the check to the team."""
    engagement = round_.engagement
    if engagement.status in CLOSED_STATUSES:
        return
    milestone = session.scalar(
        select(Milestone)
        .join(Phase)
        .where(
            Phase.engagement_id == engagement.id,
            Milestone.title == MILESTONE_TITLE,
            Milestone.status == MilestoneStatus.OFFEN,
        )
        .order_by(Milestone.due_date, Milestone.id)
        .limit(1)
    )
    today = clock.local(now).date()
    if milestone is None or today < engagement.start_date:
        return
    milestone.status = MilestoneStatus.ERLEDIGT
    milestone.completed_on = today
    milestone.completed_by_id = None
    touch(engagement)
    record(
        session,
        actor=None,
        action="engagement.milestone_completed",
        object_type="engagement",
        object_id=engagement.id,
        changes={
            "milestone": milestone.id,
            "status": [MilestoneStatus.OFFEN, MilestoneStatus.ERLEDIGT],
            "completed_on": [None, today],
            "by": "selfcheck",
        },
        at=now,
    )


# --- results --------------------------------------------------------------------------


def asked_statements(round_: SelfcheckRound) -> list[Statement]:
    """The round's statements as the rules see them, with the words the round asked."""
    return [
        Statement(
            key=item.statement.key, category=item.statement.category, text=item.statement.text
        )
        for item in round_.statements
    ]


def _as_response(keys: Mapping[int, str], response: SelfcheckResponse) -> Response:
    """``response`` as the rules see it: statement key (``keys``: by statement id) → rating,
    or None for "weiß nicht"; a comment without a rating is no answer."""
    return Response(
        answers={
            keys[answer.statement_id]: None if answer.rating is None else Rating(answer.rating)
            for answer in response.answers
            if answer.statement_id in keys and (answer.rating is not None or answer.dont_know)
        }
    )


def submitted(round_: SelfcheckRound) -> list[SelfcheckResponse]:
    return [response for response in round_.responses if response.submitted_at is not None]


def round_result(round_: SelfcheckRound) -> RoundResult:
    """The combined result of the round's submitted responses (drafts do not count)."""
    keys = {item.statement_id: item.statement.key for item in round_.statements}
    return combine(
        asked_statements(round_), [_as_response(keys, response) for response in submitted(round_)]
    )


def comparison_of(rounds: Mapping[RoundKind, SelfcheckRound]) -> Comparison | None:
    """Before and after, when both rounds have at least one submitted response."""
    before, after = rounds.get(RoundKind.VORHER), rounds.get(RoundKind.NACHHER)
    if before is None or after is None or not submitted(before) or not submitted(after):
        return None
    return compare(round_result(before), round_result(after))


def comments_by_statement(round_: SelfcheckRound) -> dict[int, list[str]]:
    """The comments of the submitted responses, per statement id, in answering order."""
    result: dict[int, list[str]] = {}
    for response in submitted(round_):
        for answer in response.answers:
            if answer.comment:
                result.setdefault(answer.statement_id, []).append(answer.comment)
    return result


def answered_count(response: SelfcheckResponse) -> int:
    """How many statements the person answered (a rating or "weiß nicht")."""
    return sum(1 for answer in response.answers if answer.rating is not None or answer.dont_know)


def statement_ids(round_: SelfcheckRound) -> Sequence[int]:
    return [item.statement_id for item in round_.statements]
