"""The Selbstcheck through the browser's eyes: the team opens a round on the engagement page,
people of the organisation answer through the secret link (drafts, resuming, submitting,
refusals), the team sees results and the comparison; links that are unknown, revoked or of
another round answer 404."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import EngagementStatus
from caseflow.outcomes.models import RoundKind, SelfcheckResponse, SelfcheckRound
from caseflow.outcomes.rules import Rating
from caseflow.outcomes.services import (
    AnswerInput,
    close_round,
    open_round,
    renew_link,
    revoke_link,
    save_answers,
    start_response,
)
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import CSRF_PATTERN

SECRET = "test-secret-key"


@pytest.fixture
def team(session, logged_in):
    lead = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(
        session,
        lead=lead,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.AKTIV,
    )
    return lead, engagement


def _csrf(client, path):
    match = CSRF_PATTERN.search(client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1)


def _open_through_page(client, engagement, kind="vorher"):
    page = f"/engagements/{engagement.id}"
    token = _csrf(client, page)
    answer = client.post(
        f"/engagements/{engagement.id}/selbstcheck/{kind}/beginnen", data={"csrf_token": token}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'value="(http://caseflow\.test/selbstcheck/([A-Za-z0-9_-]{43}))"', html)
    assert match, "the section shows the link"
    return match.group(2)


def _begin(anonymous, token, **fields):
    csrf = _csrf(anonymous, f"/selbstcheck/{token}")
    answer = anonymous.post(f"/selbstcheck/{token}", data={"csrf_token": csrf, **fields})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return answer.headers["Location"].split("?")[0]


def _form_fields(html):
    return {
        "csrf_token": CSRF_PATTERN.search(html).group(1),
        "version": re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1),
    }


def _statement_ids(session, token):
    round_ = session.scalar(select(SelfcheckRound))
    return [item.statement_id for item in round_.statements]


def test_a_person_begins_saves_a_draft_resumes_and_submits(app, client, session, team):
    _lead, engagement = team
    token = _open_through_page(client, engagement)
    anonymous = app.test_client()

    start = anonymous.get(f"/selbstcheck/{token}")
    assert start.status_code == 200
    assert "Wer Ihre Antworten sieht" in start.get_data(as_text=True)
    assert start.headers["Referrer-Policy"] == "no-referrer"
    resume_path = _begin(anonymous, token, respondent_name="Frau Beispiel", respondent_role="")

    ids = _statement_ids(session, token)
    html = anonymous.get(resume_path).get_data(as_text=True)
    assert "Ihr persönlicher Link" in html
    fields = _form_fields(html) | {
        f"answer-{ids[0]}": "3",
        f"answer-{ids[1]}": "weiss_nicht",
        f"comment-{ids[1]}": "Das wissen wir noch nicht.",
        "action": "save",
    }
    saved = anonymous.post(resume_path, data=fields)
    assert saved.status_code == 200
    assert "zwischengespeichert" in saved.get_data(as_text=True)

    # Another browser with the same personal link sees the draft.
    again = app.test_client().get(resume_path).get_data(as_text=True)
    assert re.search(rf'name="answer-{ids[0]}" id="answer-{ids[0]}-2" value="3" checked', again)
    assert "Das wissen wir noch nicht." in again

    # Submitting with statements left open asks first, and keeps the draft.
    own = anonymous.get(resume_path).get_data(as_text=True)
    fields = _form_fields(own) | {f"answer-{ids[0]}": "4", "action": "submit"}
    asked = anonymous.post(resume_path, data=fields)
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Trotzdem absenden" in body
    assert f"{len(ids) - 1} Aussagen sind noch offen" in body
    fields = _form_fields(body) | {f"answer-{ids[0]}": "4", "action": "submit_incomplete"}
    done = anonymous.post(resume_path, data=fields)
    assert done.status_code == 303
    thanks = anonymous.get(resume_path).get_data(as_text=True)
    assert "Vielen Dank für Ihre Antworten" in thanks and "trifft voll zu" in thanks

    response = session.scalar(select(SelfcheckResponse))
    session.refresh(response)
    assert response.respondent_name == "Frau Beispiel" and response.submitted_at is not None
    assert {(a.statement_id, a.rating) for a in response.answers} == {(ids[0], 4)}

    # A submitted response cannot be changed through the form.
    late = anonymous.post(resume_path, data=fields | {f"answer-{ids[0]}": "1"})
    assert late.status_code == 200 and "Vielen Dank" in late.get_data(as_text=True)
    session.refresh(response)
    assert response.answers[0].rating == 4


def test_bad_input_is_refused_in_german_and_nothing_is_saved(app, client, session, team):
    _lead, engagement = team
    token = _open_through_page(client, engagement)
    anonymous = app.test_client()
    resume_path = _begin(anonymous, token)
    ids = _statement_ids(session, token)
    html = anonymous.get(resume_path).get_data(as_text=True)

    wrong = anonymous.post(
        resume_path,
        data=_form_fields(html)
        | {f"answer-{ids[0]}": "7", f"answer-{ids[1]}": "2", "action": "save"},
    )
    assert wrong.status_code == 422
    body = wrong.get_data(as_text=True)
    assert "Bitte wählen Sie eine der angebotenen Antworten." in body
    assert re.search(rf'name="answer-{ids[1]}" id="answer-{ids[1]}-1" value="2" checked', body)
    long_comment = anonymous.post(
        resume_path,
        data=_form_fields(html) | {f"comment-{ids[0]}": "x" * 1001, "action": "submit"},
    )
    assert long_comment.status_code == 422
    assert "höchstens 1000 Zeichen" in long_comment.get_data(as_text=True)

    expired = anonymous.post(
        resume_path, data={"version": "1", f"answer-{ids[0]}": "2", "action": "save"}
    )
    assert expired.status_code == 422
    assert "Ihre Sitzung war abgelaufen" in expired.get_data(as_text=True)
    assert re.search(rf'id="answer-{ids[0]}-1" value="2" checked', expired.get_data(as_text=True))

    response = session.scalar(select(SelfcheckResponse))
    session.refresh(response)
    assert response.answers == []


def test_a_form_from_an_older_save_is_not_saved_over_a_newer_one(app, client, session, team):
    _lead, engagement = team
    token = _open_through_page(client, engagement)
    anonymous = app.test_client()
    resume_path = _begin(anonymous, token)
    ids = _statement_ids(session, token)
    old_fields = _form_fields(anonymous.get(resume_path).get_data(as_text=True))
    first = anonymous.post(resume_path, data=old_fields | {f"answer-{ids[0]}": "1"})
    assert first.status_code == 200
    stale = anonymous.post(resume_path, data=old_fields | {f"answer-{ids[0]}": "4"})
    assert stale.status_code == 409
    assert "in einem anderen Fenster gespeichert" in stale.get_data(as_text=True)
    response = session.scalar(select(SelfcheckResponse))
    session.refresh(response)
    assert response.answers[0].rating == 1


@pytest.mark.parametrize(
    "path",
    [
        "/selbstcheck/{bad}",
        "/selbstcheck/{short}",
        "/selbstcheck/{token}/{bad}",
        "/selbstcheck/{token}/{foreign}",
        "/selbstcheck/{revoked}",
    ],
)
def test_unknown_revoked_or_foreign_links_answer_404(app, session, team, make_staff, path):
    lead, engagement = team
    round_, token = open_round(
        session, engagement, RoundKind.VORHER, actor=lead, now=_now(), secret=SECRET
    )
    other = factories.make_engagement(session, lead=lead)
    other_round, _other_token = open_round(
        session, other, RoundKind.VORHER, actor=lead, now=_now(), secret=SECRET
    )
    _response, foreign = start_response(session, other_round, name=None, role=None, now=_now())
    revoked_round, revoked = open_round(
        session, other, RoundKind.NACHHER, actor=lead, now=_now(), secret=SECRET
    )
    revoked_round.token_hash = None
    session.flush()
    url = path.format(bad="A" * 43, short="abc", token=token, foreign=foreign, revoked=revoked)
    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 404
    assert anonymous.post(url, data={}).status_code == 404


def _now():
    from caseflow import clock

    return clock.now()


def _submitted_round(session, engagement, lead, kind, ratings_per_person):
    round_, _token = open_round(session, engagement, kind, actor=lead, now=_now(), secret=SECRET)
    ids = [item.statement_id for item in round_.statements]
    for ratings in ratings_per_person:
        response, _resume = start_response(session, round_, name=None, role=None, now=_now())
        save_answers(
            session,
            response,
            {ids[i]: AnswerInput(given=True, rating=rating) for i, rating in enumerate(ratings)},
            submit=True,
            now=_now(),
        )
    return round_


def test_results_show_combined_and_individual_answers_with_fixed_queries(
    client, session, team, count_queries
):
    lead, engagement = team
    _submitted_round(session, engagement, lead, RoundKind.VORHER, [[Rating(1), Rating(4)]])
    path = f"/engagements/{engagement.id}/selbstcheck/vorher"
    client.get(path)
    with count_queries() as few:
        page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Einzelne Antworten" in html and "Person 1" in html

    round_ = session.scalar(select(SelfcheckRound))
    ids = [item.statement_id for item in round_.statements]
    for _ in range(5):
        response, _resume = start_response(session, round_, name=None, role=None, now=_now())
        save_answers(
            session,
            response,
            {ids[0]: AnswerInput(given=True, rating=Rating(2))},
            submit=True,
            now=_now(),
        )
    with count_queries() as many:
        assert client.get(path).status_code == 200
    assert many.count == few.count


def test_outsiders_see_neither_results_nor_the_section(app, client, session, team, make_staff):
    lead, engagement = team
    _submitted_round(session, engagement, lead, RoundKind.VORHER, [[Rating(1)]])
    client.post("/logout", data={"csrf_token": _csrf(client, "/dashboard")})
    from tests.conftest import login

    stranger = make_staff(Role.CONSULTANT)
    login(client, stranger.email)
    assert client.get(f"/engagements/{engagement.id}/selbstcheck/vorher").status_code == 404
    assert client.get(f"/engagements/{engagement.id}/selbstcheck/vergleich").status_code == 404
    token = _csrf(client, "/dashboard")
    refused = client.post(
        f"/engagements/{engagement.id}/selbstcheck/nachher/beginnen", data={"csrf_token": token}
    )
    assert refused.status_code == 404


def test_comparison_page_draws_an_accessible_chart_and_a_table(client, session, team):
    lead, engagement = team
    _submitted_round(
        session, engagement, lead, RoundKind.VORHER, [[Rating(1), Rating(2)], [Rating(2)]]
    )
    _submitted_round(session, engagement, lead, RoundKind.NACHHER, [[Rating(4), Rating(2)]])
    page = client.get(f"/engagements/{engagement.id}/selbstcheck/vergleich")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'role="img"' in html and "<desc" in html and "<table" in html
    assert "Aussagen mit der größten Veränderung" in html
    # Sprache & Information: before (0 + 16.7)/2 ≈ 8 … statement 1: mean 1.5 → 17, after 100.
    assert re.search(r"Sprache &amp; Information</th>\s*<td class=\"num\">\d+</td>", html)


def test_reopening_a_submitted_response_from_the_results_page_is_audited(
    app, client, session, team
):
    lead, engagement = team
    round_ = _submitted_round(session, engagement, lead, RoundKind.VORHER, [[Rating(3)]])
    response = round_.responses[0]
    path = f"/engagements/{engagement.id}/selbstcheck/vorher"
    token = _csrf(client, path)
    answer = client.post(
        f"{path}/antworten/{response.id}/freigeben",
        data={"csrf_token": token, "version": str(round_.version)},
    )
    assert answer.status_code == 302
    session.refresh(response)
    assert response.submitted_at is None
    assert (
        session.scalar(
            select(AuditEvent).where(AuditEvent.action == "selfcheck.response_reopened")
        ).actor_id
        == lead.id
    )


def test_a_round_action_on_an_older_page_is_refused(client, session, team):
    lead, engagement = team
    round_ = _submitted_round(session, engagement, lead, RoundKind.VORHER, [])
    page = f"/engagements/{engagement.id}"
    token = _csrf(client, page)
    old_version = str(round_.version)
    close = f"/engagements/{engagement.id}/selbstcheck/vorher/abschliessen"
    assert client.post(close, data={"csrf_token": token, "version": old_version}).status_code == 302
    again = client.post(
        f"/engagements/{engagement.id}/selbstcheck/vorher/neuer-link",
        data={"csrf_token": token, "version": old_version},
        follow_redirects=True,
    )
    assert "gerade geändert" in again.get_data(as_text=True)


def test_the_printable_handout_carries_the_comparison_only_from_three_people_on(
    client, session, team
):
    lead, engagement = team
    path = f"/engagements/{engagement.id}/export"
    before = _submitted_round(
        session, engagement, lead, RoundKind.VORHER, [[Rating(1)], [Rating(1)]]
    )
    after = _submitted_round(
        session, engagement, lead, RoundKind.NACHHER, [[Rating(4)], [Rating(4)], [Rating(4)]]
    )
    # Two people at the start: their own ratings could be read off the combined figures.
    assert "Selbstcheck: vorher und nachher" not in client.get(path).get_data(as_text=True)

    before.closed_at = None  # opening the round at the end closed it
    third = before.responses[0]
    third.respondent_name = "Frau Namentlich"
    third.answers[0].comment = "Ein interner Kommentar"
    ids = [item.statement_id for item in before.statements]
    response, _resume = start_response(session, before, name=None, role=None, now=_now())
    save_answers(
        session,
        response,
        {ids[0]: AnswerInput(given=True, rating=Rating(1))},
        submit=True,
        now=_now(),
    )
    assert len(after.responses) == 3
    html = client.get(path).get_data(as_text=True)
    assert "Selbstcheck: vorher und nachher" in html and 'role="img"' in html
    assert "von 0 auf 100" in html  # the statement that moved most
    assert "Frau Namentlich" not in html and "Ein interner Kommentar" not in html


def test_a_personal_link_survives_a_renewed_round_link_but_not_a_revoked_one(app, session, team):
    lead, engagement = team
    round_, token = open_round(
        session, engagement, RoundKind.VORHER, actor=lead, now=_now(), secret=SECRET
    )
    _response, resume = start_response(session, round_, name=None, role=None, now=_now())
    new_token = renew_link(session, round_, actor=lead, now=_now(), secret=SECRET)
    anonymous = app.test_client()
    assert anonymous.get(f"/selbstcheck/{token}").status_code == 404
    moved = anonymous.get(f"/selbstcheck/{token}/{resume}")
    assert moved.status_code == 303
    assert moved.headers["Location"].endswith(f"/selbstcheck/{new_token}/{resume}")
    assert anonymous.get(f"/selbstcheck/{new_token}/{resume}").status_code == 200
    revoke_link(session, round_, actor=lead, now=_now())
    assert anonymous.get(f"/selbstcheck/{token}/{resume}").status_code == 404
    assert anonymous.get(f"/selbstcheck/{new_token}/{resume}").status_code == 404


def test_a_closed_round_shows_the_draft_read_only(app, session, team):
    lead, engagement = team
    round_, token = open_round(
        session, engagement, RoundKind.VORHER, actor=lead, now=_now(), secret=SECRET
    )
    response, resume = start_response(session, round_, name=None, role=None, now=_now())
    first = round_.statements[0].statement_id
    save_answers(
        session,
        response,
        {first: AnswerInput(given=True, rating=Rating(2))},
        submit=False,
        now=_now(),
    )
    close_round(session, round_, actor=lead, now=_now())
    anonymous = app.test_client()
    page = anonymous.get(f"/selbstcheck/{token}/{resume}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Dieser Selbstcheck ist abgeschlossen" in html and "trifft eher nicht zu" in html
    assert 'type="radio"' not in html and "Absenden" not in html
    assert anonymous.post(f"/selbstcheck/{token}/{resume}", data={}).status_code == 409
