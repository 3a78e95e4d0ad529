"""Reviews: one per staff member and application, 1–5 on four criteria, editable by the
author only; the application page shows them with averages and the own review's form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.intake.models import ApplicationReview, ApplicationStatus
from caseflow.intake.services import reviews as reviews_service
from caseflow.intake.services.reviews import COMMENT_MAX_LENGTH, ReviewError, save_review
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text, table

NOW = datetime(2025, 2, 1, 10, 0, tzinfo=UTC)
LATER = datetime(2025, 2, 2, 10, 0, tzinfo=UTC)
SCORES = {"score_leadership": 4, "score_resources": 3, "score_relevance": 5, "score_feasibility": 2}


def _reviews(session, application) -> list[ApplicationReview]:
    return list(
        session.scalars(
            select(ApplicationReview).where(ApplicationReview.application_id == application.id)
        )
    )


def _events(session, application, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "application",
                AuditEvent.object_id == application.id,
                AuditEvent.action == action,
            )
        )
    )


# -- service ---------------------------------------------------------------------------------


def test_a_review_is_created_then_updated_by_its_author(session):
    reviewer = factories.make_staff_member(session, name="Ada Prüferin")
    application = factories.make_application(session)
    review = save_review(
        session, application, reviewer=reviewer, scores=SCORES, comment="  Gut  ", now=NOW
    )
    assert (review.score_leadership, review.score_feasibility, review.comment) == (4, 2, "Gut")
    assert review.created_at == review.updated_at == NOW

    again = save_review(
        session,
        application,
        reviewer=reviewer,
        scores={**SCORES, "score_feasibility": 5},
        comment="",
        now=LATER,
    )
    assert again.id == review.id
    assert (again.score_feasibility, again.comment) == (5, None)
    assert (again.created_at, again.updated_at) == (NOW, LATER)
    assert len(_reviews(session, application)) == 1

    created, updated = sorted(
        _events(session, application, "application.review_saved"), key=lambda e: e.id
    )
    assert created.actor_label == "Ada Prüferin"
    assert created.changes["new"] is True
    assert created.changes["score_leadership"] == [None, 4]
    assert updated.changes == {
        "review_id": review.id,
        "new": False,
        "score_feasibility": [2, 5],
        "comment": ["[Freitext]", None],  # not the text: audit rows outlive it
    }


def test_another_staff_members_save_never_touches_the_first_review(session):
    first = factories.make_staff_member(session)
    second = factories.make_staff_member(session)
    application = factories.make_application(session)
    mine = save_review(session, application, reviewer=first, scores=SCORES, comment="A", now=NOW)
    theirs = save_review(
        session,
        application,
        reviewer=second,
        scores={column: 1 for column in SCORES},
        comment="B",
        now=LATER,
    )
    assert theirs.id != mine.id
    session.refresh(mine)
    assert (mine.score_leadership, mine.comment, mine.reviewer_id) == (4, "A", first.id)


def test_unchanged_review_records_nothing(session):
    reviewer = factories.make_staff_member(session)
    application = factories.make_application(session)
    save_review(session, application, reviewer=reviewer, scores=SCORES, comment="x", now=NOW)
    save_review(session, application, reviewer=reviewer, scores=SCORES, comment="x", now=LATER)
    assert len(_events(session, application, "application.review_saved")) == 1


@pytest.mark.parametrize(
    ("scores", "field", "message"),
    [
        ({**SCORES, "score_resources": 0}, "score_resources", "zwischen 1 und 5"),
        ({**SCORES, "score_resources": 6}, "score_resources", "zwischen 1 und 5"),
        ({**SCORES, "score_relevance": "3"}, "score_relevance", "ganze Zahl"),
        ({**SCORES, "score_relevance": True}, "score_relevance", "ganze Zahl"),
        (
            {k: v for k, v in SCORES.items() if k != "score_feasibility"},
            "score_feasibility",
            "Bitte bewerten Sie „Machbarkeit im Förderzeitraum“.",
        ),
        ({**SCORES, "score_extra": 3}, None, "Unbekanntes Bewertungskriterium"),
    ],
)
def test_bad_scores_are_refused(session, scores, field, message):
    reviewer = factories.make_staff_member(session)
    application = factories.make_application(session)
    with pytest.raises(ReviewError) as raised:
        save_review(session, application, reviewer=reviewer, scores=scores, comment=None, now=NOW)
    assert message in str(raised.value)
    assert raised.value.field == field
    assert _reviews(session, application) == []


def test_overlong_comment_is_refused(session):
    reviewer = factories.make_staff_member(session)
    application = factories.make_application(session)
    with pytest.raises(ReviewError, match=r"höchstens 5\.000 Zeichen lang sein \(jetzt: 5\.001\)"):
        save_review(
            session,
            application,
            reviewer=reviewer,
            scores=SCORES,
            comment="x" * (COMMENT_MAX_LENGTH + 1),
            now=NOW,
        )
    assert _reviews(session, application) == []


def test_withdrawn_and_anonymised_applications_take_no_review(session):
    reviewer = factories.make_staff_member(session)
    withdrawn = factories.make_application(session, status=ApplicationStatus.ZURUECKGEZOGEN)
    anonymised = factories.make_application(session, anonymised_at=NOW)
    for application in (withdrawn, anonymised):
        with pytest.raises(ReviewError):
            save_review(
                session, application, reviewer=reviewer, scores=SCORES, comment=None, now=NOW
            )
    assert _reviews(session, withdrawn) == _reviews(session, anonymised) == []


def test_decided_applications_can_still_be_reviewed(session):
    lead = factories.make_staff_member(session, role=Role.LEAD)
    waiting = factories.make_application(
        session, status=ApplicationStatus.WARTELISTE, decided_by=lead
    )
    declined = factories.make_application(
        session, status=ApplicationStatus.ABGELEHNT, decided_by=lead
    )
    for application in (waiting, declined):
        save_review(session, application, reviewer=lead, scores=SCORES, comment=None, now=NOW)
        assert len(_reviews(session, application)) == 1


# -- pages -----------------------------------------------------------------------------------


def _post_review(client, application, **values):
    token = csrf_token(client, f"/applications/{application.id}")
    data = {"review-csrf_token": token}
    data.update({f"review-{key}": value for key, value in values.items()})
    return client.post(f"/applications/{application.id}/review", data=data)


def test_consultant_writes_and_edits_own_review_through_the_page(client, session, logged_in):
    me = logged_in(Role.CONSULTANT, name="Cem Berater")
    application = factories.make_application(session)
    page = client.get(f"/applications/{application.id}")
    text = page_text(page)
    assert "Meine Bewertung" in text
    assert "Bewertung speichern" in text
    html = page.get_data(as_text=True)
    assert "<legend>Leitungsunterstützung" in html

    response = _post_review(
        client,
        application,
        score_leadership="4",
        score_resources="3",
        score_relevance="5",
        score_feasibility="2",
        comment="<script>alert(1)</script>",
    )
    assert response.status_code == 302
    page = client.get(response.location)
    assert "Ihre Bewertung ist gespeichert." in page_text(page)
    assert table(page, "Bewertungen je Kriterium").row("Cem Berater") == [
        "Cem Berater",
        "4",
        "3",
        "5",
        "2",
        "3,5",
        "<script>alert(1)</script>",
    ]
    html = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "Meine Bewertung ändern" in page_text(page)
    # The form shows the saved values.
    assert re.search(r'<input checked id="review-score_relevance-4"[^>]* value="5">', html)

    response = _post_review(
        client,
        application,
        score_leadership="5",
        score_resources="5",
        score_relevance="5",
        score_feasibility="5",
        comment="",
    )
    assert response.status_code == 302
    [review] = _reviews(session, application)
    session.refresh(review)
    assert (review.reviewer_id, review.score_leadership, review.comment) == (me.id, 5, None)


def test_other_staff_cannot_edit_a_review(client, session, logged_in):
    author = factories.make_staff_member(session, name="Ada Prüferin")
    application = factories.make_application(session)
    theirs = factories.make_review(session, application, author, scores=(2, 2, 2, 2))
    logged_in(Role.LEAD, name="Lea Leitung")
    page = client.get(f"/applications/{application.id}")
    # The form is empty: it is for the lead's own review, not Ada's.
    assert "checked" not in page.get_data(as_text=True).split('id="my-review-title"')[1]
    response = _post_review(
        client,
        application,
        score_leadership="5",
        score_resources="5",
        score_relevance="5",
        score_feasibility="5",
        review_id=str(theirs.id),
    )
    assert response.status_code == 302
    session.refresh(theirs)
    assert (theirs.score_leadership, theirs.reviewer_id) == (2, author.id)
    assert len(_reviews(session, application)) == 2
    rows = table(client.get(f"/applications/{application.id}"), "Bewertungen je Kriterium")
    assert rows.row("Durchschnitt aller Bewertungen")[1:6] == ["3,5", "3,5", "3,5", "3,5", "3,5"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"score_leadership": "7"}, "Bitte wählen Sie einen Wert von 1 bis 5."),
        ({"score_leadership": "abc"}, "Bitte wählen Sie einen Wert von 1 bis 5."),
        ({"score_leadership": "0"}, "Bitte wählen Sie einen Wert von 1 bis 5."),
        ({"score_leadership": None}, "Bitte bewerten Sie „Leitungsunterstützung“."),
        ({"comment": "x" * 5001}, "Bitte kürzen Sie den Text auf höchstens 5.000 Zeichen."),
    ],
)
def test_bad_review_input_gets_a_message_next_to_the_field(
    client, session, logged_in, values, message
):
    logged_in(Role.CONSULTANT)
    application = factories.make_application(session)
    form = {
        "score_leadership": "3",
        "score_resources": "3",
        "score_relevance": "3",
        "score_feasibility": "3",
        "comment": "Kommentar bleibt stehen",
        **values,
    }
    response = _post_review(
        client, application, **{key: value for key, value in form.items() if value is not None}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in page_text(response)
    assert 'class="error-summary"' in html
    assert 'aria-invalid="true"' in html or "field--error" in html
    if "comment" not in values:
        assert "Kommentar bleibt stehen" in html
    assert _reviews(session, application) == []


def test_withdrawn_application_has_no_review_form_and_refuses_a_post(client, session, logged_in):
    logged_in(Role.CONSULTANT)
    application = factories.make_application(session, status=ApplicationStatus.ZURUECKGEZOGEN)
    page = client.get(f"/applications/{application.id}")
    assert "Bewertung speichern" not in page_text(page)
    assert "Diese Bewerbung kann nicht mehr bewertet werden." in page_text(page)
    response = _post_review(
        client,
        application,
        score_leadership="3",
        score_resources="3",
        score_relevance="3",
        score_feasibility="3",
    )
    assert response.status_code == 422
    assert "Eine zurückgezogene Bewerbung kann nicht mehr bewertet werden." in page_text(response)
    assert _reviews(session, application) == []


def test_review_of_an_unknown_application_is_a_404(client, logged_in):
    logged_in(Role.CONSULTANT)
    token = csrf_token(client, "/applications")
    response = client.post("/applications/999999/review", data={"review-csrf_token": token})
    assert response.status_code == 404
    assert client.get("/applications/2147483648").status_code == 404


def test_a_double_post_of_a_first_review_says_it_was_saved(client, session, logged_in, monkeypatch):
    """Two posts of one's first review at once: both look for the own review before either
    inserts it, so the later insert breaks the one-review-per-person rule. The user is told
    that the review is saved (by the other post), not that someone else changed something."""
    me = logged_in(Role.CONSULTANT)
    application = factories.make_application(session)
    factories.make_review(session, application, me)  # what the first post stored
    monkeypatch.setattr(reviews_service, "own_review", lambda *args, **kwargs: None)
    response = _post_review(
        client, application, **{key: str(value) for key, value in SCORES.items()}, comment="x"
    )
    assert response.status_code == 302
    assert response.location.endswith("#my-review-title")
    text = page_text(client.get(response.location))
    assert "Ihre Bewertung war inzwischen schon gespeichert" in text
    assert "Jemand anderes hat" not in text
    assert len(_reviews(session, application)) == 1
