"""The Selbstcheck for the client organisation, without an account.

``/selbstcheck/<token>`` is the round's secret link that the consultant sends; each person
who opens it begins their own answers and gets a link of their own to resume them
(``/selbstcheck/<token>/<resume token>``): drafts are saved, then submitted once. A link that
is malformed, unknown or revoked, and a resume link of another round, answer 404; a
personal link under a round link renewed since then leads to the current one.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.extensions import csrf, db, limiter
from caseflow.intake.views.public import private_page
from caseflow.outcomes.forms import (
    DONT_KNOW,
    SESSION_EXPIRED,
    AnswersForm,
    ReadAnswers,
    StartForm,
    read_answers,
    values_of,
)
from caseflow.outcomes.models import SelfcheckResponse, SelfcheckRound
from caseflow.outcomes.rules import DONT_KNOW_LABEL, Rating
from caseflow.outcomes.services import (
    MIN_RESPONDENTS_FOR_CLIENT,
    SelfcheckError,
    answered_count,
    response_by_resume,
    response_by_token,
    round_by_token,
    round_link_token,
    save_answers,
    start_response,
    statement_ids,
)
from caseflow.outcomes.views.blueprint import bp
from caseflow.staff.access import public
from caseflow.translating import gettext as _
from caseflow.web.tokens import secret_key

# Beginning creates a row: a generous limit per address keeps a script from filling the
# table while a whole team behind one office address can still begin.
START_LIMIT = "30 per hour"


def _round_or_404(token: str) -> SelfcheckRound:
    round_ = round_by_token(db.session, token)
    if round_ is None:
        abort(404)
    return round_


def _response_or_404(round_: SelfcheckRound, resume: str) -> SelfcheckResponse:
    response = response_by_token(db.session, round_, resume)
    if response is None:
        abort(404)
    return response


def _sections(round_: SelfcheckRound) -> list[tuple[Any, list[Any]]]:
    """The round's statements grouped by category, in the order asked."""
    items = [item.statement for item in round_.statements]
    return [(category, list(group)) for category, group in groupby(items, lambda s: s.category)]


def _choices() -> list[tuple[str, str]]:
    return [(str(int(rating)), rating.label) for rating in Rating] + [
        (DONT_KNOW, str(DONT_KNOW_LABEL))
    ]


@bp.route("/selbstcheck/<token>", methods=["GET", "POST"])
@public
@private_page
@csrf.exempt
@limiter.limit(START_LIMIT, methods=["POST"], scope="selfcheck-start")
def selfcheck_start(token: str) -> Response | tuple[str, int]:
    """What the Selbstcheck is and who sees the answers; beginning one's own answers."""
    round_ = _round_or_404(token)
    form = StartForm()
    status = 200
    if round_.is_closed:
        status = 409 if request.method == "POST" else 200
    elif form.validate_on_submit():
        try:
            _response, resume = start_response(
                db.session,
                round_,
                name=form.respondent_name.data,
                role=form.respondent_role.data,
                now=clock.now(),
            )
        except SelfcheckError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = 422
        else:
            db.session.commit()
            return redirect(
                url_for("outcomes.selfcheck_answer", token=token, resume=resume, begun=1), 303
            )
    elif form.is_submitted():
        if form.csrf_failed:
            form.form_errors.append(str(SESSION_EXPIRED))
        status = 422
    return (
        render_template(
            "outcomes/selfcheck_start.html",
            round=round_,
            organisation=round_.engagement.organisation,
            form=form,
            token=token,
            statement_count=len(round_.statements),
            min_respondents=MIN_RESPONDENTS_FOR_CLIENT,
        ),
        status,
    )


def _render_form(
    round_: SelfcheckRound,
    response: SelfcheckResponse,
    token: str,
    resume: str,
    form: AnswersForm,
    read: ReadAnswers | None,
    *,
    status: int = 200,
    notice: str | None = None,
    unanswered: int = 0,
) -> tuple[str, int]:
    form.version.data = str(response.version)
    values = read.values if read is not None else values_of(response.answers)
    return (
        render_template(
            "outcomes/selfcheck_form.html",
            round=round_,
            response=response,
            organisation=round_.engagement.organisation,
            sections=_sections(round_),
            choices=_choices(),
            values=values,
            errors=read.errors if read is not None else {},
            form=form,
            token=token,
            resume=resume,
            resume_url=url_for(
                "outcomes.selfcheck_answer", token=token, resume=resume, _external=True
            ),
            notice=notice,
            unanswered=unanswered,
            begun=request.args.get("begun") == "1",
            answered=answered_count(response),
        ),
        status,
    )


@bp.route("/selbstcheck/<token>/<resume>", methods=["GET", "POST"])
@public
@private_page
@csrf.exempt
def selfcheck_answer(token: str, resume: str) -> Response | tuple[str, int]:
    """One person's questionnaire: save a draft, submit, or see what was submitted.

    Exempt from the global CSRF check: the form checks its own token, so that an expired
    session gives the questionnaire back with every answer instead of an error page."""
    round_ = round_by_token(db.session, token)
    if round_ is None:
        # A link renewed since the person began: their own link still leads on.
        moved = response_by_resume(db.session, resume)
        current = round_link_token(moved.round, secret_key()) if moved is not None else None
        if current is None or current == token:
            abort(404)
        return redirect(url_for("outcomes.selfcheck_answer", token=current, resume=resume), 303)
    response = _response_or_404(round_, resume)
    if response.is_submitted or round_.is_closed:
        closed_now = round_.is_closed and not response.is_submitted
        return render_template(
            "outcomes/selfcheck_done.html",
            round=round_,
            response=response,
            organisation=round_.engagement.organisation,
            sections=_sections(round_),
            values=values_of(response.answers),
            choices=dict(_choices()),
            closed=closed_now,
        ), (409 if closed_now and request.method == "POST" else 200)
    form = AnswersForm()
    if not form.is_submitted():
        return _render_form(round_, response, token, resume, form, None)
    read = read_answers(request.form, statement_ids(round_))
    if not form.validate():
        message = SESSION_EXPIRED if form.csrf_failed else _("Das Formular ist unvollständig.")
        return _render_form(
            round_, response, token, resume, form, read, status=422, notice=str(message)
        )
    if read.errors:
        return _render_form(
            round_,
            response,
            token,
            resume,
            form,
            read,
            status=422,
            notice=_("Bitte prüfen Sie die markierten Angaben."),
        )
    if form.version.data != str(response.version):
        return _render_form(
            round_,
            response,
            token,
            resume,
            form,
            read,
            status=409,
            notice=_(
                "Ihre Antworten wurden inzwischen in einem anderen Fenster gespeichert. Hier "
                "sehen Sie die Angaben aus diesem Fenster; speichern Sie sie, wenn sie gelten "
                "sollen."
            ),
        )
    action = form.chosen_action
    submit = action == "submit_incomplete" or (action == "submit" and read.unanswered == 0)
    try:
        save_answers(db.session, response, read.answers, submit=submit, now=clock.now())
        db.session.commit()
    except SelfcheckError as error:
        db.session.rollback()
        return _render_form(
            round_, response, token, resume, form, read, status=409, notice=str(error)
        )
    except StaleDataError:
        db.session.rollback()
        response = _response_or_404(round_, resume)
        return _render_form(
            round_,
            response,
            token,
            resume,
            form,
            read,
            status=409,
            notice=_(
                "Ihre Antworten wurden gerade in einem anderen Fenster gespeichert. Bitte "
                "speichern Sie noch einmal, wenn die Angaben aus diesem Fenster gelten sollen."
            ),
        )
    if submit:
        return redirect(url_for("outcomes.selfcheck_answer", token=token, resume=resume), 303)
    if action == "submit":
        return _render_form(
            round_,
            response,
            token,
            resume,
            AnswersForm(formdata=None),
            None,
            notice=_(
                "Ihre Antworten sind zwischengespeichert. Sie haben noch nicht alle Aussagen "
                "beantwortet."
            ),
            unanswered=read.unanswered,
        )
    return _render_form(
        round_,
        response,
        token,
        resume,
        AnswersForm(formdata=None),
        None,
        notice=_(
            "Ihre Antworten sind zwischengespeichert. Sie können jederzeit über Ihren Link "
            "weitermachen."
        ),
    )
