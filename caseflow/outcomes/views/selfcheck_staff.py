"""The team's side of the Selbstcheck: the section on the engagement page (rounds, their
links, who answered), the results of a round (combined and per person), the before/after
comparison, and the changes: opening a round, a new link, switching the link off, closing,
reopening a round and letting one person change a submitted response (all audited).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import abort, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wtforms import HiddenField

from caseflow import clock
from caseflow.engagements.models import Engagement, EngagementStatus
from caseflow.engagements.services.common import EngagementError, StaleEngagement, may_edit
from caseflow.engagements.views.blueprint import engagement_sections
from caseflow.engagements.views.common import (
    Page,
    acting_member,
    load_engagement,
    save_change,
    saved,
    stale_message,
)
from caseflow.extensions import db
from caseflow.outcomes.comparison_chart import comparison_chart
from caseflow.outcomes.models import RoundKind, SelfcheckResponse, SelfcheckRound
from caseflow.outcomes.rules import DONT_KNOW_LABEL, Comparison, Rating
from caseflow.outcomes.services import (
    MIN_RESPONDENTS_FOR_CLIENT,
    answered_count,
    close_round,
    comments_by_statement,
    comparison_of,
    open_round,
    renew_link,
    reopen_response,
    reopen_round,
    revoke_link,
    round_link_token,
    round_of,
    round_overview,
    round_result,
    rounds_of,
    submitted,
)
from caseflow.outcomes.views.blueprint import bp
from caseflow.portfolio.views.blueprint import handout_sections
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _
from caseflow.web.sections import PageSection
from caseflow.web.tokens import secret_key

ANCHOR = "selfcheck-title"


class RoundForm(FlaskForm):
    """A change of a round: the CSRF token and the round's version the page showed."""

    version = HiddenField()


def _kind(value: str) -> RoundKind:
    try:
        return RoundKind(value)
    except ValueError:
        abort(404)


def _links(rounds: dict[RoundKind, SelfcheckRound]) -> dict[RoundKind, str | None]:
    secret = secret_key()
    links: dict[RoundKind, str | None] = {}
    for kind, round_ in rounds.items():
        token = round_link_token(round_, secret)
        links[kind] = (
            url_for("outcomes.selfcheck_start", token=token, _external=True) if token else None
        )
    return links


@engagement_sections.connect
def _selfcheck_section(
    engagement: Engagement, *, session: Session, today: date, **_kwargs: Any
) -> PageSection:
    """The Selbstcheck on the engagement page: each round with its link and how many have
    answered, and the way to the results and the comparison (one statement)."""
    overview = round_overview(session, engagement.id)
    rounds = {kind: item.round for kind, item in overview.items()}
    can_edit = may_edit(engagement, acting_member())
    return PageSection(
        "outcomes/_selfcheck_section.html",
        {
            "engagement_id": engagement.id,
            "rounds": rounds,
            "kinds": list(RoundKind),
            "links": _links(rounds),
            "submitted": {kind: item.submitted for kind, item in overview.items()},
            "drafts": {kind: item.drafts for kind, item in overview.items()},
            "can_edit": can_edit,
            "can_open": can_edit and engagement.status is not EngagementStatus.ABGEBROCHEN,
            "can_compare": len(overview) == len(RoundKind)
            and all(item.submitted for item in overview.values()),
        },
        order=20,
    )


@handout_sections.connect
def _handout_comparison(
    engagement: Engagement, *, session: Session, **_kwargs: Any
) -> PageSection | None:
    """The before/after comparison in the printable handout, which goes to the organisation:
    the combined figures only (no names, no comments), and only once each round has
    ``MIN_RESPONDENTS_FOR_CLIENT`` submitted responses, so that nobody's own ratings can be
    read off them (the start page of the Selbstcheck says so)."""
    rounds = rounds_of(session, engagement.id)
    comparison = comparison_of(rounds)
    if comparison is None or any(
        len(submitted(round_)) < MIN_RESPONDENTS_FOR_CLIENT for round_ in rounds.values()
    ):
        return None
    return PageSection(
        "outcomes/_handout_comparison.html",
        {"comparison": comparison, "chart": chart_of(comparison), "moved": comparison.moved_most()},
        order=10,
    )


def _round_or_404(engagement_id: int, kind: RoundKind, *, loaded: bool = True) -> SelfcheckRound:
    """The engagement's round of ``kind`` (404 when there is none); ``loaded`` with its
    statements, responses and answers (``rounds_of``), else the round's row alone."""
    if loaded:
        round_ = rounds_of(db.session, engagement_id).get(kind)
    else:
        round_ = round_of(db.session, engagement_id, kind)
    if round_ is None:
        abort(404)
    return round_


def _change(
    engagement_id: int, kind_value: str, change: Callable[[SelfcheckRound], Any], message: str
) -> Page:
    """One change of an existing round, on the version the page showed."""
    load_engagement(engagement_id, for_edit=True)
    kind = _kind(kind_value)
    round_ = _round_or_404(engagement_id, kind, loaded=False)
    form = RoundForm()
    if not form.validate_on_submit():
        abort(400)

    def run() -> None:
        if form.version.data != str(round_.version):
            raise StaleEngagement(stale_message())
        change(round_)

    return save_change(
        engagement_id, ANCHOR, run, lambda _result: saved(engagement_id, message, ANCHOR)
    )


@bp.post("/engagements/<int:engagement_id>/selbstcheck/<kind>/beginnen")
@staff_required
def open_selfcheck(engagement_id: int, kind: str) -> Page:
    """Open a round with the current questionnaire and its secret link."""
    engagement = load_engagement(engagement_id, for_edit=True)
    round_kind = _kind(kind)
    if not RoundForm().validate_on_submit():
        abort(400)

    def run() -> None:
        try:
            open_round(
                db.session,
                engagement,
                round_kind,
                actor=acting_member(),
                now=clock.now(),
                secret=secret_key(),
            )
        except IntegrityError:
            # Opened by someone else at the same moment: the unique constraint held.
            db.session.rollback()
            raise EngagementError(
                _("Der %(round)s wurde bereits begonnen.", round=round_kind.label)
            ) from None

    return save_change(
        engagement_id,
        ANCHOR,
        run,
        lambda _result: saved(
            engagement_id,
            _(
                "Der %(round)s ist begonnen. Schicken Sie den Link an die Organisation.",
                round=round_kind.label,
            ),
            ANCHOR,
        ),
    )


@bp.post("/engagements/<int:engagement_id>/selbstcheck/<kind>/neuer-link")
@staff_required
def renew_selfcheck_link(engagement_id: int, kind: str) -> Page:
    return _change(
        engagement_id,
        kind,
        lambda round_: renew_link(
            db.session, round_, actor=acting_member(), now=clock.now(), secret=secret_key()
        ),
        _(
            "Der Selbstcheck hat einen neuen Link; der bisherige öffnet nichts mehr. Wer "
            "schon begonnen hat, macht mit dem eigenen persönlichen Link weiter."
        ),
    )


@bp.post("/engagements/<int:engagement_id>/selbstcheck/<kind>/link-sperren")
@staff_required
def revoke_selfcheck_link(engagement_id: int, kind: str) -> Page:
    return _change(
        engagement_id,
        kind,
        lambda round_: revoke_link(db.session, round_, actor=acting_member(), now=clock.now()),
        _("Der Link ist gesperrt. Mit „Neuer Link“ können Sie einen neuen erzeugen."),
    )


@bp.post("/engagements/<int:engagement_id>/selbstcheck/<kind>/abschliessen")
@staff_required
def close_selfcheck(engagement_id: int, kind: str) -> Page:
    return _change(
        engagement_id,
        kind,
        lambda round_: close_round(db.session, round_, actor=acting_member(), now=clock.now()),
        _("Der Selbstcheck ist abgeschlossen; neue Antworten sind nicht mehr möglich."),
    )


@bp.post("/engagements/<int:engagement_id>/selbstcheck/<kind>/wieder-oeffnen")
@staff_required
def reopen_selfcheck(engagement_id: int, kind: str) -> Page:
    return _change(
        engagement_id,
        kind,
        lambda round_: reopen_round(db.session, round_, actor=acting_member(), now=clock.now()),
        _("Der Selbstcheck ist wieder geöffnet."),
    )


@bp.post(
    "/engagements/<int:engagement_id>/selbstcheck/<kind>/antworten/<int:response_id>/freigeben"
)
@staff_required
def reopen_selfcheck_response(engagement_id: int, kind: str, response_id: int) -> Page:
    """Let one person change their submitted answers again (through their own link)."""

    def change(round_: SelfcheckRound) -> None:
        response = db.session.get(SelfcheckResponse, response_id)
        if response is None or response.round_id != round_.id:
            abort(404)
        reopen_response(db.session, response, actor=acting_member(), now=clock.now())

    return _change(
        engagement_id,
        kind,
        change,
        _(
            "Die Antworten sind wieder zur Bearbeitung freigegeben; sie zählen erst wieder mit, "
            "wenn sie erneut abgesendet sind."
        ),
    )


def _person_label(response: SelfcheckResponse, number: int) -> str:
    if response.respondent_name and response.respondent_role:
        return f"{response.respondent_name} ({response.respondent_role})"
    return (
        response.respondent_name
        or response.respondent_role
        or _("Person %(number)d", number=number)
    )


@bp.get("/engagements/<int:engagement_id>/selbstcheck/<kind>")
@staff_required
def selfcheck_results(engagement_id: int, kind: str) -> str:
    """One round's result: per category and statement combined, then each person's answers;
    drafts are listed but do not count."""
    engagement = load_engagement(engagement_id)
    round_ = _round_or_404(engagement_id, _kind(kind))
    people = submitted(round_)
    answers = {
        response.id: {answer.statement_id: answer for answer in response.answers}
        for response in people
    }
    return render_template(
        "outcomes/selfcheck_results.html",
        engagement=engagement,
        round=round_,
        result=round_result(round_),
        people=[(response, _person_label(response, n)) for n, response in enumerate(people, 1)],
        answers=answers,
        drafts=[response for response in round_.responses if not response.is_submitted],
        answered_count=answered_count,
        comments=comments_by_statement(round_),
        statement_ids={item.statement.key: item.statement_id for item in round_.statements},
        ratings=list(Rating),
        dont_know_label=DONT_KNOW_LABEL,
        can_edit=may_edit(engagement, acting_member()),
    )


def chart_of(comparison: Comparison) -> Any:
    """The before/after chart of ``comparison`` with its title and text description."""
    labels = [change.category.label for change in comparison.categories]
    parts = [
        _(
            "%(category)s: vorher %(before)s, nachher %(after)s",
            category=label,
            before=_score_text(change.before),
            after=_score_text(change.after),
        )
        for change, label in zip(comparison.categories, labels, strict=True)
    ]
    return comparison_chart(
        comparison.categories,
        labels,
        title=_("Selbstcheck vorher und nachher nach Kategorie (0 bis 100)"),
        description="; ".join(parts) + ".",
    )


def _score_text(value: float | None) -> str:
    return "–" if value is None else str(round(value))


@bp.get("/engagements/<int:engagement_id>/selbstcheck/vergleich")
@staff_required
def selfcheck_comparison(engagement_id: int) -> str:
    """Before and after by category (chart and table) and the statements that moved most."""
    engagement = load_engagement(engagement_id)
    comparison = comparison_of(rounds_of(db.session, engagement_id))
    return render_template(
        "outcomes/selfcheck_comparison.html",
        engagement=engagement,
        comparison=comparison,
        chart=chart_of(comparison) if comparison is not None else None,
        moved=comparison.moved_most() if comparison is not None else [],
    )
