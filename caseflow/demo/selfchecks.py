"""The demo's Selbstchecks: the round at the start wherever the milestone "Selbstcheck
durchgeführt" is done, and the round at the end for completed engagements and for one in
its evaluation, so that results, the before/after comparison and the insights have
something to show.

Answers are drawn from the demo's random generator: each engagement starts from its own
level per category, people of one organisation differ by a step now and then, some say
"weiß nicht" or skip a statement, and at the end the categories where barriers were removed
moved most.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app

from caseflow.demo.context import DEMO_TODAY, Demo, at
from caseflow.engagements.models import (
    BarrierCategory,
    BarrierStatus,
    Engagement,
    EngagementStatus,
    MilestoneStatus,
)
from caseflow.outcomes.models import RoundKind, SelfcheckRound
from caseflow.outcomes.rules import Rating
from caseflow.outcomes.services import MILESTONE_TITLE as SELFCHECK_MILESTONE
from caseflow.outcomes.services import AnswerInput, open_round, save_answers, start_response

ROLES = ("Amtsleitung", "Teamleitung", "Sachbearbeitung", "Qualitätsmanagement", "Empfang")
# The engagement still in its evaluation on demo day, whose round at the end is under way.
IN_EVALUATION = "lietzensee"
DONT_KNOW_SHARE = 0.08
SKIP_SHARE = 0.04


def create_selfchecks(demo: Demo) -> None:
    for key, engagement in demo.engagements.items():
        done_on = _selfcheck_done_on(engagement)
        if done_on is None or engagement.status is EngagementStatus.ABGEBROCHEN:
            continue
        levels = {category: demo.rng.uniform(1.5, 2.7) for category in BarrierCategory}
        _round(demo, engagement, RoundKind.VORHER, done_on, levels, people=demo.rng.randint(3, 5))
        if engagement.status is EngagementStatus.ABGESCHLOSSEN:
            end = engagement.actual_end_date or engagement.planned_end_date
            _round(
                demo,
                engagement,
                RoundKind.NACHHER,
                end - timedelta(days=21),
                _after(demo, engagement, levels),
                people=demo.rng.randint(3, 5),
            )
        elif key == IN_EVALUATION:
            _round(
                demo,
                engagement,
                RoundKind.NACHHER,
                DEMO_TODAY - timedelta(days=3),
                _after(demo, engagement, levels),
                people=1,
                drafts=1,
            )
    demo.session.flush()


def _selfcheck_done_on(engagement: Engagement) -> date | None:
    for phase in engagement.phases:
        for milestone in phase.milestones:
            if (
                milestone.title == SELFCHECK_MILESTONE
                and milestone.status is MilestoneStatus.ERLEDIGT
            ):
                return milestone.completed_on
    return None


def _after(
    demo: Demo, engagement: Engagement, levels: dict[BarrierCategory, float]
) -> dict[BarrierCategory, float]:
    removed = {b.category for b in engagement.barriers if b.status is BarrierStatus.ABGEBAUT}
    return {
        category: level
        + (demo.rng.uniform(0.8, 1.4) if category in removed else demo.rng.uniform(0.1, 0.7))
        for category, level in levels.items()
    }


def _round(
    demo: Demo,
    engagement: Engagement,
    kind: RoundKind,
    answered_on: date,
    levels: dict[BarrierCategory, float],
    *,
    people: int,
    drafts: int = 0,
) -> SelfcheckRound:
    lead = next(a.staff_member for a in engagement.assignments if a.role.value == "lead")
    opened = at(answered_on - timedelta(days=10), 10)
    round_, _token = open_round(
        demo.session,
        engagement,
        kind,
        actor=lead,
        now=opened,
        secret=current_app.config["SECRET_KEY"],
    )
    for number in range(people + drafts):
        moment = at(answered_on - timedelta(days=demo.rng.randint(0, 6)), 9 + number)
        response, _resume = start_response(
            demo.session, round_, name=None, role=demo.rng.choice(ROLES), now=moment
        )
        answers = {}
        for item in round_.statements:
            draw = demo.rng.random()
            if draw < SKIP_SHARE:
                continue
            if draw < SKIP_SHARE + DONT_KNOW_SHARE:
                answers[item.statement_id] = AnswerInput(given=True, rating=None)
                continue
            value = round(levels[item.statement.category] + demo.rng.uniform(-0.7, 0.7))
            answers[item.statement_id] = AnswerInput(
                given=True, rating=Rating(min(4, max(1, value)))
            )
        save_answers(demo.session, response, answers, submit=number < people, now=moment)
    return round_
