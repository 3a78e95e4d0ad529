"""Editing the Selbstcheck's questionnaire: adding (keys made from the German wording, unique
for good), revising (a new version; answers and rounds keep the words they were given
against, and before and after still compare by key), retiring, restoring and moving
statements; every refusal with a German message and nothing saved; every change audited."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import BarrierCategory
from caseflow.extensions import db
from caseflow.outcomes.catalogue import KEY, MAX_TEXT, shipped_statements
from caseflow.outcomes.models import (
    RoundKind,
    SelfcheckAnswer,
    SelfcheckRound,
    SelfcheckStatement,
)
from caseflow.outcomes.questionnaire import (
    QuestionnaireError,
    StaleStatement,
    add_statement,
    answer_counts,
    current_by_category,
    free_key,
    history_of,
    move_statement,
    restore_statement,
    retire_statement,
    retired_statements,
    revise_statement,
    slug_of,
)
from caseflow.outcomes.rules import Rating, compare
from caseflow.outcomes.services import (
    AnswerInput,
    current_statements,
    open_round,
    round_result,
    save_answers,
    start_response,
)
from caseflow.staff.models import Role, StaffMember
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)
SECRET = "test-secret-key"
SPRACHMITTLUNG = "sprache_information.sprachmittlung"
NEW_TEXT = "Wir ziehen für wichtige Gespräche professionelle Sprachmittlung hinzu."


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN)


@pytest.fixture
def consultant(make_staff):
    return make_staff(Role.CONSULTANT)


def _current(session, key: str) -> SelfcheckStatement:
    return session.scalars(
        select(SelfcheckStatement).where(
            SelfcheckStatement.key == key, SelfcheckStatement.retired_at.is_(None)
        )
    ).one()


def _rows(session) -> int:
    return session.scalar(select(func.count()).select_from(SelfcheckStatement))


def _events(session) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("selfcheck.statement_%"))
            .order_by(AuditEvent.id)
        )
    )


def _answered_round(session, engagement, kind, lead, answers, *, now=NOW):
    """Open the engagement's round of ``kind`` and submit one response per mapping of
    ``answers`` (statement key → rating, None for "weiß nicht")."""
    round_, _token = open_round(session, engagement, kind, actor=lead, now=now, secret=SECRET)
    ids = {item.statement.key: item.statement_id for item in round_.statements}
    for person in answers:
        response, _resume = start_response(session, round_, name=None, role=None, now=now)
        save_answers(
            session,
            response,
            {
                ids[key]: AnswerInput(given=True, rating=None if rating is None else Rating(rating))
                for key, rating in person.items()
            },
            submit=True,
            now=now,
        )
    return round_


# --- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        (
            "Wir prüfen Übersetzungen regelmäßig auf Verständlichkeit.",
            "wir_pruefen_uebersetzungen_regelmaessig",
        ),
        ("Straße, Größe & Ärger: 3 Fälle!", "strasse_groesse_aerger_3_faelle"),
        ("Café-Besuche à la carte", "cafe_besuche_a_la_carte"),
        ("Sprach" + "mittlung" * 10, ("sprach" + "mittlung" * 10)[:40]),
        ("–– ?? ––", "aussage"),
    ],
)
def test_slug_is_ascii_words_cut_at_a_word_boundary(text, slug):
    assert slug_of(text) == slug
    assert len(slug) <= 40


def test_a_new_key_never_names_a_key_used_before_even_a_retired_one(session, admin):
    text = "Wir fragen nach."
    first = add_statement(
        session, category=BarrierCategory.DATEN_MONITORING, text=text, actor=admin, now=NOW
    )
    second = add_statement(session, category="daten_monitoring", text=text, actor=admin, now=NOW)
    retire_statement(session, second, actor=admin, now=NOW)
    third = add_statement(session, category="daten_monitoring", text=text, actor=admin, now=NOW)

    assert [first.key, second.key, third.key] == [
        "daten_monitoring.wir_fragen_nach",
        "daten_monitoring.wir_fragen_nach_2",
        "daten_monitoring.wir_fragen_nach_3",
    ]
    assert all(KEY.match(row.key) for row in (first, second, third))
    # LIKE wildcards in the base do not count as clashes (``_`` matches one character).
    assert free_key(session, BarrierCategory.DATEN_MONITORING, "Wir fragen nachX") == (
        "daten_monitoring.wir_fragen_nachx"
    )


# --- adding --------------------------------------------------------------------------------


def test_adding_puts_the_statement_at_the_end_of_its_category_and_audits_it(session, admin):
    before = current_statements(session)
    statement = add_statement(
        session,
        category=BarrierCategory.SPRACHE_INFORMATION,
        text="  Wir prüfen Übersetzungen   regelmäßig auf Verständlichkeit.  ",
        actor=admin,
        now=NOW,
    )

    assert statement.key == "sprache_information.wir_pruefen_uebersetzungen_regelmaessig"
    assert (statement.version, statement.created_by_id, statement.created_at) == (
        1,
        admin.id,
        NOW,
    )
    assert statement.text == "Wir prüfen Übersetzungen regelmäßig auf Verständlichkeit."
    after = current_statements(session)
    assert [row.position for row in after] == list(range(1, len(before) + 2))
    categories = [row.category for row in after]
    last_of_category = max(
        index
        for index, category in enumerate(categories)
        if category is BarrierCategory.SPRACHE_INFORMATION
    )
    assert after[last_of_category] == statement
    assert after[last_of_category + 1].category is BarrierCategory.VERFAHREN_FORMULARE
    # Still read category by category.
    order = list(BarrierCategory)
    assert [order.index(c) for c in categories] == sorted(order.index(c) for c in categories)

    [event] = _events(session)
    assert event.action == "selfcheck.statement_added"
    assert (event.object_type, event.object_id, event.actor_id) == (
        "selfcheck_statement",
        statement.id,
        admin.id,
    )
    assert event.changes["key"] == statement.key
    assert event.changes["version"] == 1
    assert event.changes["text"] == statement.text
    assert event.changes["category"] == "sprache_information"


def test_a_category_without_current_statements_gets_its_place_in_category_order(session, admin):
    session.execute(
        update(SelfcheckStatement)
        .where(SelfcheckStatement.category == BarrierCategory.DIGITALE_ZUGAENGE)
        .values(retired_at=NOW)
    )
    statement = add_statement(
        session,
        category="digitale_zugaenge",
        text="Wir bieten Termine online.",
        actor=admin,
        now=NOW,
    )
    categories = [category for category, _rows in current_by_category(session)]
    assert BarrierCategory.DIGITALE_ZUGAENGE in categories
    rows = current_statements(session)
    index = rows.index(statement)
    assert rows[index - 1].category is BarrierCategory.VERFAHREN_FORMULARE
    assert rows[index + 1].category is BarrierCategory.PERSONAL_KOMPETENZ


@pytest.mark.parametrize(
    ("category", "text", "field", "message"),
    [
        ("sprache_information", "   ", "text", "Bitte geben Sie den Wortlaut der Aussage ein."),
        ("sprache_information", None, "text", "Bitte geben Sie den Wortlaut der Aussage ein."),
        ("sprache_information", "x" * (MAX_TEXT + 1), "text", "höchstens 160 Zeichen"),
        ("sprache_information", "Zwei\nZeilen", "text", "in einer Zeile"),
        ("sprache_information", "Zwei\r\nZeilen", "text", "in einer Zeile"),
        ("sprache_information", "Zwei\u2028Zeilen", "text", "in einer Zeile"),
        ("sprache_information", "Glocke\x07", "text", "Steuerzeichen"),
        ("sprache_information", "\u200b", "text", "Steuerzeichen"),
        ("sprache_information", "Wir\u202eprüfen", "text", "Steuerzeichen"),
        ("sprache_information", "– … ?", "text", "braucht Wörter"),
        ("wetter", "Wir zählen.", "category", "Bitte wählen Sie eine Kategorie"),
        ("", "Wir zählen.", "category", "Bitte wählen Sie eine Kategorie"),
        (None, "Wir zählen.", "category", "Bitte wählen Sie eine Kategorie"),
    ],
)
def test_adding_refuses_bad_input_and_saves_nothing(session, admin, category, text, field, message):
    rows = _rows(session)
    with pytest.raises(QuestionnaireError) as refused:
        add_statement(session, category=category, text=text, actor=admin, now=NOW)
    assert message in str(refused.value)
    assert refused.value.field == field
    assert _rows(session) == rows
    assert _events(session) == []


def test_exactly_160_characters_are_allowed(session, admin):
    text = "x" * MAX_TEXT
    statement = add_statement(session, category="daten_monitoring", text=text, actor=admin, now=NOW)
    assert statement.text == text


# --- revising ------------------------------------------------------------------------------


def test_revising_keeps_old_answers_with_the_old_text_and_compares_by_key(
    session, admin, consultant
):
    engagement = factories.make_engagement(session, lead=consultant)
    old = _current(session, SPRACHMITTLUNG)
    old_text = old.text
    other = "sprache_information.einfache_sprache"
    before = _answered_round(
        session,
        engagement,
        RoundKind.VORHER,
        consultant,
        [{SPRACHMITTLUNG: 1, other: 2}, {SPRACHMITTLUNG: 2, other: None}],
    )

    revised = revise_statement(session, old, text=NEW_TEXT, actor=admin, now=LATER)

    assert (revised.key, revised.version, revised.category, revised.position) == (
        old.key,
        old.version + 1,
        old.category,
        old.position,
    )
    assert revised.text == NEW_TEXT and revised.retired_at is None
    assert old.retired_at == LATER
    assert _current(session, SPRACHMITTLUNG) == revised

    session.expire_all()
    # The round opened before still asks, and shows, the old words with their answers.
    before = session.get(SelfcheckRound, before.id)
    asked = {item.statement.key: item.statement for item in before.statements}
    assert asked[SPRACHMITTLUNG].id == old.id
    result = round_result(before)
    earlier = result.statement(SPRACHMITTLUNG)
    assert earlier is not None
    assert earlier.statement.text == old_text
    assert earlier.ratings == (Rating(1), Rating(2))
    assert result.statement(other).dont_know == 1
    answers = session.scalars(
        select(SelfcheckAnswer.statement_id).where(SelfcheckAnswer.statement_id == old.id)
    ).all()
    assert len(answers) == 2

    # A round opened after the revision asks the new words, under the same key.
    after = _answered_round(
        session, engagement, RoundKind.NACHHER, consultant, [{SPRACHMITTLUNG: 4}], now=LATER
    )
    asked_after = {item.statement.key: item.statement for item in after.statements}
    assert asked_after[SPRACHMITTLUNG].id == revised.id
    assert round_result(after).statement(SPRACHMITTLUNG).statement.text == NEW_TEXT
    assert set(asked_after) == set(asked)

    comparison = compare(round_result(before), round_result(after))
    [change] = [item for item in comparison.statements if item.key == SPRACHMITTLUNG]
    assert (change.text, change.earlier_text) == (NEW_TEXT, old_text)
    assert change.before == pytest.approx(100 / 6)  # mean 1.5 on 0–100
    assert change.after == 100

    history = history_of(session, SPRACHMITTLUNG)
    assert [row.id for row in history.versions] == [old.id, revised.id]
    assert history.answers_of(old) == 2 and history.answers_of(revised) == 1
    assert history.current == revised

    [event] = _events(session)
    assert event.action == "selfcheck.statement_revised"
    assert event.object_id == revised.id
    assert event.changes["version"] == [1, 2]
    assert event.changes["text"] == [old_text, NEW_TEXT]
    assert event.changes["replaces"] == old.id


def test_a_revision_can_be_revised_again(session, admin):
    first = _current(session, SPRACHMITTLUNG)
    second = revise_statement(session, first, text=NEW_TEXT, actor=admin, now=NOW)
    third = revise_statement(session, second, text=NEW_TEXT + " Immer.", actor=admin, now=LATER)
    assert [row.version for row in history_of(session, SPRACHMITTLUNG).versions] == [1, 2, 3]
    assert third.retired_at is None and second.retired_at == LATER


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Bitte geben Sie den Wortlaut der Aussage ein."),
        ("x" * (MAX_TEXT + 1), "höchstens 160 Zeichen lang sein (jetzt: 161)"),
        ("Eine\nZweite", "in einer Zeile"),
        (None, "Bitte geben Sie den Wortlaut der Aussage ein."),
    ],
)
def test_revising_refuses_bad_text_and_saves_nothing(session, admin, text, message):
    statement = _current(session, SPRACHMITTLUNG)
    rows = _rows(session)
    with pytest.raises(QuestionnaireError) as refused:
        revise_statement(session, statement, text=text, actor=admin, now=NOW)
    assert message in str(refused.value)
    assert refused.value.field == "text"
    assert _rows(session) == rows
    assert statement.retired_at is None
    assert _events(session) == []


def test_revising_refuses_unchanged_text(session, admin):
    statement = _current(session, SPRACHMITTLUNG)
    rows = _rows(session)
    with pytest.raises(QuestionnaireError, match="Der Wortlaut ist unverändert"):
        # Spaces around and inside do not make it new.
        revise_statement(
            session, statement, text=f"  {statement.text.replace(' ', '  ')} ", actor=admin, now=NOW
        )
    assert _rows(session) == rows
    assert _events(session) == []


def test_revising_a_version_that_is_no_longer_current_is_refused(session, admin):
    shown = _current(session, SPRACHMITTLUNG)  # two admins open the form
    revise_statement(session, shown, text=NEW_TEXT, actor=admin, now=NOW)
    rows = _rows(session)
    with pytest.raises(StaleStatement, match="inzwischen geändert"):
        revise_statement(session, shown, text="Noch ein anderer Wortlaut.", actor=admin, now=NOW)
    assert _rows(session) == rows
    assert _current(session, SPRACHMITTLUNG).text == NEW_TEXT
    assert len(_events(session)) == 1


def test_the_database_allows_one_current_version_per_key(session, admin):
    """What catches two revisions at the same moment: the partial unique index."""
    current = _current(session, SPRACHMITTLUNG)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            SelfcheckStatement(
                key=current.key,
                version=current.version + 1,
                category=current.category,
                text="Eine zweite aktuelle Fassung.",
                position=current.position,
                created_at=NOW,
            )
        )
        session.flush()
    # A retired second row of the key is fine.
    session.add(
        SelfcheckStatement(
            key=current.key,
            version=current.version + 1,
            category=current.category,
            text="Eine zurückgezogene Fassung.",
            position=current.position,
            created_at=NOW,
            retired_at=NOW,
        )
    )
    session.flush()


def test_a_concurrent_revision_fails_at_the_flush(session, admin):
    """Another admin's revision was written between this one's read and its insert: the
    next version exists, and the insert fails instead of making a second version 2."""
    current = _current(session, SPRACHMITTLUNG)
    session.add(
        SelfcheckStatement(
            key=current.key,
            version=current.version + 1,
            category=current.category,
            text="Schon von jemand anderem geändert.",
            position=current.position,
            created_at=NOW,
            retired_at=NOW,
        )
    )
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        revise_statement(session, current, text=NEW_TEXT, actor=admin, now=NOW)


# --- retiring ------------------------------------------------------------------------------


def test_a_retired_statement_is_not_asked_by_new_rounds_but_kept_by_old_ones(
    session, admin, consultant
):
    engagement = factories.make_engagement(session, lead=consultant)
    statement = _current(session, SPRACHMITTLUNG)
    before = _answered_round(
        session, engagement, RoundKind.VORHER, consultant, [{SPRACHMITTLUNG: 3}]
    )

    retire_statement(session, statement, actor=admin, now=LATER)

    assert statement.retired_at == LATER
    assert statement not in current_statements(session)
    session.expire_all()
    before = session.get(SelfcheckRound, before.id)
    assert round_result(before).statement(SPRACHMITTLUNG).ratings == (Rating(3),)
    after, _token = open_round(
        session, engagement, RoundKind.NACHHER, actor=consultant, now=LATER, secret=SECRET
    )
    assert SPRACHMITTLUNG not in {item.statement.key for item in after.statements}
    assert len(after.statements) == len(before.statements) - 1
    assert [row.key for row in retired_statements(session)] == [SPRACHMITTLUNG]

    [event] = _events(session)
    assert event.action == "selfcheck.statement_retired"
    assert event.object_id == statement.id
    assert event.changes["key"] == SPRACHMITTLUNG
    assert event.changes["retired_at"] == [None, LATER.isoformat()]


def test_retiring_twice_is_refused(session, admin):
    statement = _current(session, SPRACHMITTLUNG)
    retire_statement(session, statement, actor=admin, now=NOW)
    with pytest.raises(StaleStatement, match="inzwischen geändert"):
        retire_statement(session, statement, actor=admin, now=LATER)
    assert statement.retired_at == NOW
    assert len(_events(session)) == 1


def test_the_last_statement_cannot_be_retired(session, admin):
    last = _current(session, SPRACHMITTLUNG)
    session.execute(
        update(SelfcheckStatement)
        .where(SelfcheckStatement.id != last.id, SelfcheckStatement.retired_at.is_(None))
        .values(retired_at=NOW)
    )
    with pytest.raises(QuestionnaireError, match="letzte Aussage des Fragebogens"):
        retire_statement(session, last, actor=admin, now=NOW)
    session.expire_all()
    assert current_statements(session) == [last]
    assert _events(session) == []


# --- restoring and moving ------------------------------------------------------------------


def test_a_retired_statement_comes_back_as_a_new_version(session, admin):
    statement = _current(session, SPRACHMITTLUNG)
    retire_statement(session, statement, actor=admin, now=NOW)

    restored = restore_statement(session, statement, actor=admin, now=LATER)

    assert (restored.key, restored.version, restored.text) == (
        SPRACHMITTLUNG,
        2,
        statement.text,
    )
    assert restored.retired_at is None and statement.retired_at == NOW
    rows = current_statements(session)
    index = rows.index(restored)
    assert rows[index + 1].category is BarrierCategory.VERFAHREN_FORMULARE
    assert retired_statements(session) == []
    assert _events(session)[-1].action == "selfcheck.statement_restored"
    assert _events(session)[-1].object_id == restored.id
    # Restoring the same retired version again is stale.
    with pytest.raises(StaleStatement):
        restore_statement(session, statement, actor=admin, now=LATER)


def test_a_current_statement_cannot_be_restored(session, admin):
    statement = _current(session, SPRACHMITTLUNG)
    rows = _rows(session)
    with pytest.raises(StaleStatement):
        restore_statement(session, statement, actor=admin, now=NOW)
    assert _rows(session) == rows


def test_moving_swaps_with_the_neighbour_in_the_category(session, admin):
    group = dict(current_by_category(session))[BarrierCategory.SPRACHE_INFORMATION]
    first, second = group[0], group[1]

    move_statement(session, second, up=True, actor=admin, now=NOW)

    group = dict(current_by_category(session))[BarrierCategory.SPRACHE_INFORMATION]
    assert group[:2] == [second, first]
    assert [row.position for row in current_statements(session)] == list(
        range(1, len(current_statements(session)) + 1)
    )
    assert _events(session)[-1].action == "selfcheck.statement_moved"


def test_moving_past_the_edge_of_the_category_is_refused(session, admin):
    groups = dict(current_by_category(session))
    first_of_verfahren = groups[BarrierCategory.VERFAHREN_FORMULARE][0]
    last_of_sprache = groups[BarrierCategory.SPRACHE_INFORMATION][-1]
    order = [row.id for row in current_statements(session)]
    with pytest.raises(QuestionnaireError, match="an erster Stelle ihrer Kategorie"):
        move_statement(session, first_of_verfahren, up=True, actor=admin, now=NOW)
    with pytest.raises(QuestionnaireError, match="an letzter Stelle ihrer Kategorie"):
        move_statement(session, last_of_sprache, up=False, actor=admin, now=NOW)
    assert [row.id for row in current_statements(session)] == order
    assert _events(session) == []


# --- reading -------------------------------------------------------------------------------


def test_the_overview_groups_the_shipped_questionnaire_by_category(session):
    groups = current_by_category(session)
    assert [category for category, _rows in groups] == list(BarrierCategory)
    shipped = [statement.key for statement in shipped_statements().statements]
    assert [row.key for _category, rows in groups for row in rows] == shipped


def test_answer_counts_count_submitted_answers_only(session, consultant):
    engagement = factories.make_engagement(session, lead=consultant)
    round_ = _answered_round(
        session, engagement, RoundKind.VORHER, consultant, [{SPRACHMITTLUNG: 2}]
    )
    statement_id = _current(session, SPRACHMITTLUNG).id
    draft, _resume = start_response(session, round_, name=None, role=None, now=NOW)
    save_answers(
        session,
        draft,
        {statement_id: AnswerInput(given=True, rating=Rating(4))},
        submit=False,
        now=NOW,
    )
    assert answer_counts(session, [statement_id]) == {statement_id: 1}
    assert answer_counts(session, []) == {}
    assert history_of(session, "keine.aussage") is None
    assert history_of(session, "Kaputt!") is None


# --- two admins at the same moment (PostgreSQL row locks) ----------------------------------


@pytest.fixture
def committed_statement(app):
    """A committed statement and admin (outside the test's rolled-back transaction),
    removed again afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent row locks are tested on PostgreSQL")
    key = "daten_monitoring.zugleich_geaendert"
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        admin = factories.make_staff_member(setup, name="Alex Zugleich", role=Role.ADMIN)
        statement = SelfcheckStatement(
            key=key,
            version=1,
            category=BarrierCategory.DATEN_MONITORING,
            text="Wir zählen, wer zu uns kommt.",
            position=999,
            created_at=NOW,
        )
        setup.add(statement)
        setup.flush()
        ids = (statement.id, admin.id)
        setup.commit()
    try:
        yield ids
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(delete(SelfcheckStatement).where(SelfcheckStatement.key == key))
            cleanup.execute(delete(StaffMember).where(StaffMember.id == ids[1]))
            cleanup.commit()


def test_two_admins_revising_at_once_make_one_new_version(app, committed_statement):
    statement_id, admin_id = committed_statement
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, str] = {}
    try:
        # Both forms were shown for version 1.
        mine = first.get(SelfcheckStatement, statement_id)
        theirs = second.get(SelfcheckStatement, statement_id)
        revise_statement(
            first, mine, text="Erste Fassung 2.", actor=first.get(StaffMember, admin_id), now=NOW
        )

        def revise_as_well() -> None:
            with app.app_context():
                try:
                    revise_statement(
                        second,
                        theirs,
                        text="Zweite Fassung 2.",
                        actor=second.get(StaffMember, admin_id),
                        now=NOW,
                    )
                    outcome["result"] = "saved"
                except StaleStatement as error:
                    outcome["result"] = str(error)

        other = threading.Thread(target=revise_as_well)
        other.start()
        other.join(timeout=1)
        assert other.is_alive(), "the second revision should wait for the first transaction"
        first.commit()
        other.join(timeout=30)
        assert not other.is_alive()
        second.rollback()
    finally:
        first.close()
        second.close()

    assert "inzwischen geändert" in outcome["result"]
    with Session(db.engine) as check:
        rows = check.scalars(
            select(SelfcheckStatement)
            .where(SelfcheckStatement.key == "daten_monitoring.zugleich_geaendert")
            .order_by(SelfcheckStatement.version)
        ).all()
        assert [(row.version, row.retired_at is None) for row in rows] == [
            (1, False),
            (2, True),
        ]
        assert rows[-1].text == "Erste Fassung 2."
