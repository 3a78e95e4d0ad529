"""The application state machine: every move per role, and the preliminary talk's date rule."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from caseflow.intake import transitions
from caseflow.intake.models import ApplicationStatus as S
from caseflow.intake.transitions import (
    MoveNotPermitted,
    TalkDateError,
    TransitionError,
    allowed_moves,
    check_move,
    check_talk_date,
    withdrawable_statuses,
)
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import page_text

# Written out independently of the module's table: (from, to) → the lowest role allowed.
STAFF_MOVES = {
    (S.EINGEGANGEN, S.IN_PRUEFUNG): Role.CONSULTANT,
    (S.IN_PRUEFUNG, S.VORGESPRAECH): Role.CONSULTANT,
    (S.VORGESPRAECH, S.VORGESPRAECH): Role.CONSULTANT,
    (S.EINGEGANGEN, S.ABGELEHNT): Role.LEAD,
    (S.IN_PRUEFUNG, S.ABGELEHNT): Role.LEAD,
    (S.VORGESPRAECH, S.ABGELEHNT): Role.LEAD,
    (S.WARTELISTE, S.ABGELEHNT): Role.LEAD,
    (S.IN_PRUEFUNG, S.WARTELISTE): Role.LEAD,
    (S.VORGESPRAECH, S.WARTELISTE): Role.LEAD,
    (S.VORGESPRAECH, S.ANGENOMMEN): Role.LEAD,
    (S.WARTELISTE, S.ANGENOMMEN): Role.LEAD,
}

ALL_CASES = list(itertools.product(S, S, Role))


@pytest.fixture(autouse=True)
def _app_context(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize(("current", "target", "role"), ALL_CASES)
def test_every_move_for_every_role(current: S, target: S, role: Role) -> None:
    minimum = STAFF_MOVES.get((current, target))
    if minimum is not None and role.rank >= minimum.rank:
        check_move(current, target, role)
        assert target in allowed_moves(current, role)
    elif minimum is not None:
        with pytest.raises(MoveNotPermitted):
            check_move(current, target, role)
        assert target not in allowed_moves(current, role)
    else:
        with pytest.raises(TransitionError) as raised:
            check_move(current, target, role)
        assert not isinstance(raised.value, MoveNotPermitted)
        assert target not in allowed_moves(current, role)


def test_allowed_moves_per_role() -> None:
    assert allowed_moves(S.EINGEGANGEN, Role.CONSULTANT) == [S.IN_PRUEFUNG]
    assert allowed_moves(S.EINGEGANGEN, Role.LEAD) == [S.IN_PRUEFUNG, S.ABGELEHNT]
    assert allowed_moves(S.IN_PRUEFUNG, Role.LEAD) == [S.VORGESPRAECH, S.ABGELEHNT, S.WARTELISTE]
    assert allowed_moves(S.VORGESPRAECH, Role.CONSULTANT) == [S.VORGESPRAECH]
    assert allowed_moves(S.VORGESPRAECH, Role.ADMIN) == [
        S.VORGESPRAECH,
        S.ANGENOMMEN,
        S.ABGELEHNT,
        S.WARTELISTE,
    ]
    assert allowed_moves(S.WARTELISTE, Role.CONSULTANT) == []
    assert allowed_moves(S.WARTELISTE, Role.LEAD) == [S.ANGENOMMEN, S.ABGELEHNT]
    for final in (S.ANGENOMMEN, S.ABGELEHNT, S.ZURUECKGEZOGEN):
        assert allowed_moves(final, Role.ADMIN) == []


def test_only_the_applicant_withdraws_and_only_open_applications() -> None:
    assert withdrawable_statuses() == [S.EINGEGANGEN, S.IN_PRUEFUNG, S.VORGESPRAECH]
    with pytest.raises(TransitionError, match="Nur die Bewerber\\*innen selbst"):
        check_move(S.EINGEGANGEN, S.ZURUECKGEZOGEN, Role.ADMIN)


def test_messages_are_german_and_specific() -> None:
    with pytest.raises(TransitionError) as final:
        check_move(S.ANGENOMMEN, S.ABGELEHNT, Role.LEAD)
    assert str(final.value) == (
        "Die Bewerbung ist bereits „angenommen“; ihr Status kann nicht mehr geändert werden."
    )
    with pytest.raises(TransitionError) as skipped:
        check_move(S.EINGEGANGEN, S.ANGENOMMEN, Role.LEAD)
    assert str(skipped.value) == (
        "Eine Bewerbung mit dem Status „eingegangen“ kann nicht auf „angenommen“ gesetzt werden."
    )
    with pytest.raises(TransitionError, match="bereits „in Prüfung“"):
        check_move(S.IN_PRUEFUNG, S.IN_PRUEFUNG, Role.LEAD)
    with pytest.raises(MoveNotPermitted, match="Nur die Projektleitung kann"):
        check_move(S.VORGESPRAECH, S.ANGENOMMEN, Role.CONSULTANT)


SUBMITTED = date(2025, 1, 15)
END = date(2026, 7, 31)


@pytest.mark.parametrize("talk_on", [SUBMITTED, date(2025, 2, 3), END])
def test_talk_dates_from_submission_to_programme_end(talk_on: date) -> None:
    check_talk_date(talk_on, submitted_on=SUBMITTED, programme_end=END)


@pytest.mark.parametrize(
    ("talk_on", "message"),
    [
        (None, "Bitte geben Sie das Datum des Vorgesprächs an."),
        (
            date(2025, 1, 14),
            "Das Vorgespräch kann nicht vor dem Eingang der Bewerbung (15.01.2025) liegen.",
        ),
        (
            date(2026, 8, 1),
            "Das Vorgespräch kann nicht nach dem Ende des Förderzeitraums (31.07.2026) liegen.",
        ),
    ],
)
def test_talk_dates_refused(talk_on: date | None, message: str) -> None:
    with pytest.raises(TalkDateError) as raised:
        check_talk_date(talk_on, submitted_on=SUBMITTED, programme_end=END)
    assert str(raised.value) == message


def test_the_page_offers_every_step_the_table_offers(client, session, logged_in, monkeypatch):
    """Should the table ever offer two steps from one status, the page shows a form for
    each (it did assume exactly one)."""
    monkeypatch.setitem(transitions.TRANSITIONS, (S.EINGEGANGEN, S.VORGESPRAECH), Role.CONSULTANT)
    logged_in(Role.CONSULTANT)
    application = factories.make_application(session)
    response = client.get(f"/applications/{application.id}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Status auf „in Prüfung“ setzen" in text
    assert "Status auf „im Vorgespräch“ setzen" in text
    html = response.get_data(as_text=True)
    assert html.count(f'action="/applications/{application.id}/move"') == 2
