"""The Selbstcheck's services on a real database: opening a round freezes the questionnaire,
drafts and submissions, the milestone it checks, reopening (audited), links, and the
combined result and comparison from stored answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import EngagementStatus, MilestoneStatus
from caseflow.engagements.services.common import EngagementError, EngagementNotPermitted
from caseflow.outcomes.catalogue import shipped_statements
from caseflow.outcomes.models import RoundKind, SelfcheckAnswer, SelfcheckStatement
from caseflow.outcomes.rules import Rating
from caseflow.outcomes.services import (
    AnswerInput,
    SelfcheckError,
    close_round,
    comparison_of,
    current_statements,
    open_round,
    renew_link,
    reopen_response,
    reopen_round,
    response_by_token,
    revoke_link,
    round_by_token,
    round_link_token,
    round_result,
    rounds_of,
    save_answers,
    start_response,
)
from caseflow.staff.models import Role
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
SECRET = "test-secret-key"


@pytest.fixture
def engagement(session, make_staff):
    lead = make_staff(Role.CONSULTANT)
    engagement = factories.make_engagement(
        session,
        lead=lead,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.AKTIV,
    )
    return engagement


def _lead_of(engagement):
    return next(a.staff_member for a in engagement.assignments if a.role.value == "lead")


def _open(session, engagement, kind=RoundKind.VORHER):
    return open_round(session, engagement, kind, actor=_lead_of(engagement), now=NOW, secret=SECRET)


def _answer(session, round_, ratings: dict[str, Rating | None], *, submit=True, name=None):
    response, token = start_response(session, round_, name=name, role=None, now=NOW)
    ids = {item.statement.key: item.statement_id for item in round_.statements}
    answers = {ids[key]: AnswerInput(given=True, rating=rating) for key, rating in ratings.items()}
    save_answers(session, response, answers, submit=submit, now=NOW)
    return response, token


def _events(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_migration_ships_the_questionnaire_as_version_one(session):
    statements = current_statements(session)
    assert len(statements) == 27
    assert {statement.version for statement in statements} == {1}
    assert [s.position for s in statements] == sorted(s.position for s in statements)
    shipped = shipped_statements()
    if shipped.version == 1:  # the migration wrote out the file as it was then
        assert [(s.key, s.category, s.text) for s in statements] == [
            (s.key, s.category, s.text) for s in shipped.statements
        ]


def test_opening_a_round_freezes_the_current_statements_and_issues_a_link(session, engagement):
    round_, token = _open(session, engagement)
    assert [item.statement_id for item in round_.statements] == [
        s.id for s in current_statements(session)
    ]
    assert round_by_token(session, token) is round_
    assert round_link_token(round_, SECRET) == token
    assert round_.token_hash != token  # only the hash is stored
    assert len(_events(session, "selfcheck.round_opened")) == 1


def test_a_kind_opens_once_and_a_cancelled_engagement_not_at_all(session, engagement):
    _open(session, engagement)
    with pytest.raises(EngagementError, match="bereits begonnen"):
        _open(session, engagement)
    engagement.status = EngagementStatus.ABGEBROCHEN
    with pytest.raises(EngagementError, match="abgebrochene"):
        _open(session, engagement, RoundKind.NACHHER)


def test_only_the_team_or_a_lead_opens_a_round(session, engagement, make_staff):
    stranger = make_staff(Role.CONSULTANT)
    with pytest.raises(EngagementNotPermitted):
        open_round(session, engagement, RoundKind.VORHER, actor=stranger, now=NOW, secret=SECRET)


def test_links_revoked_renewed_malformed_or_of_another_round_open_nothing(
    session, engagement, make_staff
):
    round_, token = _open(session, engagement)
    response, resume = start_response(session, round_, name=None, role=None, now=NOW)
    lead = _lead_of(engagement)
    assert round_by_token(session, "x" * 43) is None
    assert round_by_token(session, "../etc") is None
    other = factories.make_engagement(session, lead=lead)
    other_round, _other_token = _open(session, other)
    assert response_by_token(session, other_round, resume) is None  # another round's
    assert response_by_token(session, round_, resume) is response

    new_token = renew_link(session, round_, actor=lead, now=NOW, secret=SECRET)
    assert round_by_token(session, token) is None
    assert round_by_token(session, new_token) is round_
    revoke_link(session, round_, actor=lead, now=NOW)
    assert round_by_token(session, new_token) is None
    assert round_link_token(round_, SECRET) is None
    assert len(_events(session, "selfcheck.link_revoked")) == 1


def test_a_draft_is_saved_and_replaced_then_submitted_once(session, engagement):
    round_, _token = _open(session, engagement)
    response, _resume = start_response(session, round_, name="  A.  Muster ", role="", now=NOW)
    assert response.respondent_name == "A. Muster" and response.respondent_role is None
    first, second, third = [item.statement_id for item in round_.statements[:3]]
    save_answers(
        session,
        response,
        {
            first: AnswerInput(given=True, rating=Rating.TRIFFT_EHER_ZU),
            second: AnswerInput(given=True, rating=None, comment="unklar"),
            third: AnswerInput(given=False, comment="nur ein Kommentar"),
        },
        submit=False,
        now=NOW,
    )
    rows = {a.statement_id: a for a in response.answers}
    assert rows[first].rating == 3 and not rows[first].dont_know
    assert rows[second].rating is None and rows[second].dont_know
    assert rows[third].rating is None and not rows[third].dont_know
    assert response.submitted_at is None

    # Saving again replaces: the first is now left out, the third rated.
    save_answers(
        session,
        response,
        {first: AnswerInput(given=False), third: AnswerInput(given=True, rating=Rating(4))},
        submit=True,
        now=NOW,
    )
    session.flush()
    stored = session.scalars(
        select(SelfcheckAnswer).where(SelfcheckAnswer.response_id == response.id)
    ).all()
    assert {(a.statement_id, a.rating, a.dont_know) for a in stored} == {(third, 4, False)}
    assert response.submitted_at == NOW
    with pytest.raises(SelfcheckError, match="bereits abgesendet"):
        save_answers(session, response, {}, submit=False, now=NOW)


def test_answers_to_statements_the_round_did_not_ask_are_refused(session, engagement):
    round_, _token = _open(session, engagement)
    response, _resume = start_response(session, round_, name=None, role=None, now=NOW)
    unknown = max(s.id for s in session.scalars(select(SelfcheckStatement))) + 1
    with pytest.raises(SelfcheckError):
        save_answers(
            session,
            response,
            {unknown: AnswerInput(given=True, rating=Rating(1))},
            submit=False,
            now=NOW,
        )
    assert response.answers == []


def test_too_long_a_comment_is_refused_and_nothing_is_saved(session, engagement):
    round_, _token = _open(session, engagement)
    response, _resume = start_response(session, round_, name=None, role=None, now=NOW)
    first, second = [item.statement_id for item in round_.statements[:2]]
    with pytest.raises(SelfcheckError) as refused:
        save_answers(
            session,
            response,
            {
                first: AnswerInput(given=True, rating=Rating(2)),
                second: AnswerInput(given=True, rating=Rating(2), comment="x" * 1001),
            },
            submit=True,
            now=NOW,
        )
    assert refused.value.field == f"comment-{second}"
    assert response.answers == [] and response.submitted_at is None


def test_the_first_submission_at_the_start_checks_the_milestone(session, engagement):
    milestone = next(
        m
        for phase in engagement.phases
        for m in phase.milestones
        if m.title == "Selbstcheck durchgeführt"
    )
    round_, _token = _open(session, engagement)
    _answer(session, round_, {}, submit=False)
    assert milestone.status is MilestoneStatus.OFFEN  # a draft does not
    with clock.frozen(date(2025, 3, 10)):
        _answer(session, round_, {})
    assert milestone.status is MilestoneStatus.ERLEDIGT
    assert milestone.completed_on == date(2025, 3, 10)
    (event,) = [
        e
        for e in _events(session, "engagement.milestone_completed")
        if e.changes.get("milestone") == milestone.id
    ]
    assert event.actor_id is None and event.changes["by"] == "selfcheck"


def test_the_round_at_the_end_does_not_touch_the_milestone(session, engagement):
    milestone = next(
        m
        for phase in engagement.phases
        for m in phase.milestones
        if m.title == "Selbstcheck durchgeführt"
    )
    round_, _token = _open(session, engagement, RoundKind.NACHHER)
    _answer(session, round_, {})
    assert milestone.status is MilestoneStatus.OFFEN


def test_closing_stops_answers_and_reopening_a_response_is_audited(session, engagement):
    lead = _lead_of(engagement)
    round_, _token = _open(session, engagement)
    response, _resume = _answer(session, round_, {})
    close_round(session, round_, actor=lead, now=NOW)
    with pytest.raises(SelfcheckError, match="abgeschlossen"):
        start_response(session, round_, name=None, role=None, now=NOW)
    reopen_round(session, round_, actor=lead, now=NOW)
    reopen_response(session, response, actor=lead, now=NOW)
    assert response.submitted_at is None
    (event,) = _events(session, "selfcheck.response_reopened")
    assert event.actor_id == lead.id and event.changes["response"] == response.id
    with pytest.raises(EngagementError):
        reopen_response(session, response, actor=lead, now=NOW)


def test_combined_result_and_comparison_from_stored_answers(session, engagement):
    before, _t = _open(session, engagement)
    keys = [item.statement.key for item in before.statements]
    a, b = keys[0], keys[1]
    _answer(session, before, {a: Rating(1), b: Rating(2)})
    _answer(session, before, {a: Rating(3), b: None})
    _answer(session, before, {a: Rating(4)}, submit=False)  # a draft: does not count
    result = round_result(before)
    assert result.respondents == 2
    assert result.statement(a).ratings == (Rating(1), Rating(3))
    assert result.statement(a).score == pytest.approx(100 / 3)
    assert result.statement(b).dont_know == 1 and result.statement(b).missing == 0
    assert result.statement(keys[2]).missing == 2

    assert comparison_of(rounds_of(session, engagement.id)) is None
    after, _t = _open(session, engagement, RoundKind.NACHHER)
    _answer(session, after, {a: Rating(4), b: Rating(2)})
    comparison = comparison_of(rounds_of(session, engagement.id))
    moved = comparison.moved_most()
    assert moved[0].key == a and moved[0].change == pytest.approx(100 - 100 / 3)


def test_a_closed_engagement_keeps_its_milestone_as_it_was(session, engagement):
    milestone = _selfcheck_milestone(engagement)
    round_, _token = _open(session, engagement)
    engagement.status = EngagementStatus.ABGESCHLOSSEN
    engagement.actual_end_date = date(2025, 12, 31)
    with clock.frozen(date(2025, 3, 10)):
        _answer(session, round_, {})
    assert milestone.status is MilestoneStatus.OFFEN


def test_a_submission_before_the_start_leaves_the_milestone_to_a_later_one(session, engagement):
    milestone = _selfcheck_milestone(engagement)
    round_, _token = _open(session, engagement)
    early = datetime(2024, 12, 20, 9, 0, tzinfo=UTC)
    response, _resume = start_response(session, round_, name=None, role=None, now=early)
    save_answers(session, response, {}, submit=True, now=early)
    assert milestone.status is MilestoneStatus.OFFEN  # the engagement had not begun
    _answer(session, round_, {})
    assert milestone.status is MilestoneStatus.ERLEDIGT


def test_a_response_of_a_closed_round_is_not_reopened(session, engagement):
    lead = _lead_of(engagement)
    round_, _token = _open(session, engagement)
    response, _resume = _answer(session, round_, {})
    close_round(session, round_, actor=lead, now=NOW)
    with pytest.raises(EngagementError, match="Öffnen Sie ihn zuerst wieder"):
        reopen_response(session, response, actor=lead, now=NOW)
    assert response.submitted_at is not None


def test_opening_the_round_at_the_end_closes_the_round_at_the_start(session, engagement):
    before, _token = _open(session, engagement)
    _open(session, engagement, RoundKind.NACHHER)
    assert before.closed_at == NOW
    (event,) = _events(session, "selfcheck.round_closed")
    assert event.changes["because"] == "nachher" and event.changes["round"] == before.id
    with pytest.raises(SelfcheckError, match="abgeschlossen"):
        start_response(session, before, name=None, role=None, now=NOW)


def _selfcheck_milestone(engagement):
    return next(
        m
        for phase in engagement.phases
        for m in phase.milestones
        if m.title == "Selbstcheck durchgeführt"
    )
