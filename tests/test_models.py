"""The database refuses bad rows on its own: statuses outside their enum, missing required
fields, broken cross-field rules. Rows are written with plain SQL so that only the
database's constraints (not Python validation) stand in the way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

NOW = datetime(2025, 10, 15, 10, 0, tzinfo=UTC)


def insert(session: Session, table: str, row: dict[str, Any]) -> int:
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    result = session.execute(
        text(f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id"),  # noqa: S608
        row,
    )
    return result.scalar_one()


@pytest.fixture
def base(session: Session) -> dict[str, int]:
    """One valid row of each parent table."""
    staff = insert(session, "staff_member", staff_row())
    organisation = insert(session, "organisation", organisation_row())
    round_id = insert(session, "application_round", round_row())
    engagement = insert(session, "engagement", engagement_row(organisation))
    phase = insert(session, "phase", phase_row(engagement))
    return {
        "staff": staff,
        "organisation": organisation,
        "round": round_id,
        "engagement": engagement,
        "phase": phase,
    }


def staff_row(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Jana Nau",
        "email": "jana@example.org",
        "organisation": "BQN Berlin",
        "role": "consultant",
        "is_active": True,
        "created_at": NOW,
        **changes,
    }


def organisation_row(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Jugendamt Spandau",
        "sector": "buergerdienst",
        "subtype": "jugendamt",
        "district": "spandau",
        "created_at": NOW,
        **changes,
    }


def round_row(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Runde",
        "opens_at": datetime(2025, 9, 1, tzinfo=UTC),
        "closes_at": datetime(2025, 11, 30, tzinfo=UTC),
        "created_at": NOW,
        **changes,
    }


def engagement_row(organisation: int, **changes: Any) -> dict[str, Any]:
    return {
        "organisation_id": organisation,
        "status": "geplant",
        "start_date": date(2025, 1, 1),
        "planned_end_date": date(2025, 12, 31),
        "baseline_end_date": date(2025, 12, 31),
        "status_changed_at": NOW,
        "created_at": NOW,
        "version": 1,
        **changes,
    }


def phase_row(engagement: int, **changes: Any) -> dict[str, Any]:
    return {
        "engagement_id": engagement,
        "position": 1,
        "name": "Auftragsklärung",
        "start_date": date(2025, 1, 1),
        "end_date": date(2025, 2, 5),
        **changes,
    }


def application_row(round_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "round_id": round_id,
        "reference": "DF-2025-0001",
        "reference_year": 2025,
        "reference_number": 1,
        "status_token_hash": "a" * 64,
        "status": "eingegangen",
        "submitted_at": NOW,
        "organisation_name": "Sozialamt Mitte",
        "sector": "buergerdienst",
        "subtype": "sozialamt",
        "district": "mitte",
        "contact_name": "A. Person",
        "contact_email": "a@example.org",
        "motivation": "Wir möchten Zugänge verbessern.",
        "has_leadership_support": True,
        "desired_start": date(2026, 1, 1),
        "desired_duration_months": 6,
        "consent_at": NOW,
        "consent_text_version": "2024-01",
        **changes,
    }


def milestone_row(phase: int, **changes: Any) -> dict[str, Any]:
    return {
        "phase_id": phase,
        "title": "Erstgespräch",
        "due_date": date(2025, 1, 1),
        "baseline_due_date": date(2025, 1, 1),
        "status": "offen",
        "is_gate": False,
        "sort_order": 0,
        "created_at": NOW,
        **changes,
    }


def test_valid_rows_are_accepted(session: Session, base: dict[str, int]) -> None:
    insert(session, "application", application_row(base["round"]))
    insert(session, "milestone", milestone_row(base["phase"]))
    assert session.execute(text("SELECT count(*) FROM application")).scalar() == 1


# (table, builder name, changes): each must be refused by the database.
BAD_ROWS = [
    ("staff_member", "staff", {"role": "boss"}),
    ("staff_member", "staff", {"name": None}),
    ("staff_member", "staff", {"name": ""}),
    ("staff_member", "staff", {"email": "Jana@Example.org"}),
    ("staff_member", "staff", {"locale": "fr"}),
    ("organisation", "organisation", {"sector": "militaer"}),
    ("organisation", "organisation", {"subtype": "krankenhaus"}),  # not a Bürgerdienst
    ("organisation", "organisation", {"district": "potsdam"}),
    ("organisation", "organisation", {"name": None}),
    ("organisation", "organisation", {"staff_size": 0}),
    ("application_round", "round", {"closes_at": datetime(2025, 8, 1, tzinfo=UTC)}),
    ("engagement", "engagement", {"status": "erledigt"}),
    ("engagement", "engagement", {"planned_end_date": date(2024, 12, 31)}),
    ("engagement", "engagement", {"status": "abgeschlossen"}),  # no actual end date
    ("engagement", "engagement", {"actual_end_date": date(2025, 6, 1)}),  # but still planned
    ("engagement", "engagement", {"start_date": None}),
    ("phase", "phase", {"end_date": date(2024, 12, 1)}),
    ("phase", "phase", {"position": 0}),
    ("application", "application", {"status": "genehmigt"}),
    ("application", "application", {"desired_duration_months": 5}),
    ("application", "application", {"desired_duration_months": 19}),
    ("application", "application", {"subtype": "kita_traeger"}),
    ("application", "application", {"status": "abgelehnt", "decided_at": NOW}),  # no reason
    ("application", "application", {"status": "angenommen", "decided_at": NOW}),  # no engagement
    ("application", "application", {"status": "warteliste"}),  # no decided_at
    ("application", "application", {"status": "zurueckgezogen"}),  # no withdrawn_at
    ("application", "application", {"contact_email": None}),
    ("application", "application", {"consent_at": None}),
    ("milestone", "milestone", {"status": "erledigt"}),  # no completed_on
    ("milestone", "milestone", {"completed_on": date(2025, 1, 2)}),  # but still open
    ("milestone", "milestone", {"status": "entfallen"}),  # no reason
    ("milestone", "milestone", {"status": "verschoben"}),
    ("milestone", "milestone", {"title": ""}),
]

BUILDERS = {
    "staff": lambda base, **c: staff_row(**c),
    "organisation": lambda base, **c: organisation_row(**c),
    "round": lambda base, **c: round_row(name="Andere Runde", **c),
    "engagement": lambda base, **c: engagement_row(base["organisation"], **c),
    "phase": lambda base, **c: phase_row(base["engagement"], **{"position": 2, **c}),
    "application": lambda base, **c: application_row(base["round"], **c),
    "milestone": lambda base, **c: milestone_row(base["phase"], **c),
}


@pytest.mark.parametrize(
    ("table", "builder", "changes"),
    BAD_ROWS,
    ids=[
        f"{table}-{'-'.join(f'{k}={v}' for k, v in changes.items())}"
        for table, _, changes in BAD_ROWS
    ],
)
def test_the_database_refuses_bad_rows(session: Session, base, table, builder, changes) -> None:
    row = BUILDERS[builder](base, **changes)
    if table == "staff_member":
        row["email"] = changes.get("email", "other@example.org")
    # PostgreSQL refuses a value longer than the enum's column as a DataError.
    with pytest.raises((IntegrityError, DataError)), session.begin_nested():
        insert(session, table, row)


def test_child_rows_need_existing_parents(session: Session, base) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        insert(session, "phase", phase_row(999_999))


def test_unique_constraints(session: Session, base) -> None:
    insert(session, "application", application_row(base["round"]))
    for changes in (
        {"reference": "DF-2025-0002", "reference_number": 2},  # same token hash
        {"status_token_hash": "b" * 64, "reference_number": 2},  # same reference
        {"status_token_hash": "c" * 64, "reference": "DF-2025-0003"},  # same year+number
    ):
        with pytest.raises(IntegrityError), session.begin_nested():
            insert(session, "application", application_row(base["round"], **changes))
    with pytest.raises(IntegrityError), session.begin_nested():
        insert(session, "staff_member", staff_row())  # same email as base staff


def test_an_engagement_has_at_most_one_lead(session: Session, base) -> None:
    other = insert(session, "staff_member", staff_row(email="b@example.org"))
    session.execute(
        text(
            "INSERT INTO assignment (engagement_id, staff_member_id, role) VALUES (:e, :s, 'lead')"
        ),
        {"e": base["engagement"], "s": base["staff"]},
    )
    session.execute(
        text("INSERT INTO assignment (engagement_id, staff_member_id, role) VALUES (:e, :s, 'co')"),
        {"e": base["engagement"], "s": other},
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text("UPDATE assignment SET role = 'lead' WHERE staff_member_id = :s"), {"s": other}
        )


def test_review_scores_are_between_1_and_5(session: Session, base) -> None:
    application = insert(session, "application", application_row(base["round"]))
    row = {
        "application_id": application,
        "reviewer_id": base["staff"],
        "score_leadership": 5,
        "score_resources": 1,
        "score_relevance": 3,
        "score_feasibility": 4,
        "created_at": NOW,
        "updated_at": NOW,
    }
    insert(session, "application_review", row)
    other = insert(session, "staff_member", staff_row(email="c@example.org"))
    for score in (0, 6):
        with pytest.raises(IntegrityError), session.begin_nested():
            insert(
                session,
                "application_review",
                {**row, "reviewer_id": other, "score_relevance": score},
            )
    with pytest.raises(IntegrityError), session.begin_nested():
        insert(session, "application_review", row)  # one review per person


def test_barrier_follow_up_notification_and_template_rules(session: Session, base) -> None:
    barrier = {
        "engagement_id": base["engagement"],
        "category": "sprache_information",
        "description": "Bescheide nur auf Deutsch",
        "status": "erkannt",
        "identified_on": date(2025, 2, 1),
        "created_at": NOW,
    }
    insert(session, "barrier", barrier)
    for changes in ({"status": "abgebaut"}, {"category": "wetter"}, {"description": ""}):
        with pytest.raises(IntegrityError), session.begin_nested():
            insert(session, "barrier", {**barrier, **changes})

    follow_up = {
        "engagement_id": base["engagement"],
        "due_at": NOW,
        "kind": "check_in",
        "status": "offen",
        "created_at": NOW,
    }
    insert(session, "follow_up", follow_up)
    for changes in ({"status": "erledigt"}, {"kind": "party"}, {"closed_at": NOW}):
        with pytest.raises(IntegrityError), session.begin_nested():
            insert(session, "follow_up", {**follow_up, **changes})

    notification = {
        "recipient_id": base["staff"],
        "kind": "milestone_due",
        "text": "Meilenstein fällig",
        "dedup_key": "milestone:1:14",
        "created_at": NOW,
    }
    insert(session, "notification", notification)
    with pytest.raises(IntegrityError), session.begin_nested():
        insert(session, "notification", notification)

    template = {"name": "A", "is_default": True, "created_at": NOW}
    insert(session, "phase_template", template)
    with pytest.raises(IntegrityError), session.begin_nested():
        insert(session, "phase_template", {**template, "name": "B"})  # a second default


def test_activity_assignment_measure_template_and_contact_rules(session: Session, base) -> None:
    activity = {
        "engagement_id": base["engagement"],
        "occurred_on": date(2025, 2, 1),
        "kind": "workshop",
        "created_at": NOW,
    }
    insert(session, "activity", activity)
    for changes in ({"kind": "party"}, {"duration_minutes": -5}, {"participants_count": -1}):
        with pytest.raises((IntegrityError, DataError)), session.begin_nested():
            insert(session, "activity", {**activity, **changes})

    with pytest.raises((IntegrityError, DataError)), session.begin_nested():
        session.execute(
            text(
                "INSERT INTO assignment (engagement_id, staff_member_id, role) "
                "VALUES (:e, :s, 'chef')"
            ),
            {"e": base["engagement"], "s": base["staff"]},
        )
    for measure, accepted in ((3, True), (4, False), (0, False)):
        statement = text("INSERT INTO staff_measure (staff_member_id, measure) VALUES (:s, :m)")
        if accepted:
            session.execute(statement, {"s": base["staff"], "m": measure})
            continue
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(statement, {"s": base["staff"], "m": measure})

    template = insert(
        session, "phase_template", {"name": "T", "is_default": False, "created_at": NOW}
    )
    phase = {"template_id": template, "position": 1, "name": "P", "share_percent": 10}
    insert(session, "template_phase", phase)
    for share in (0, 101):
        with pytest.raises(IntegrityError), session.begin_nested():
            insert(session, "template_phase", {**phase, "position": 2, "share_percent": share})

    contact = {"organisation_id": base["organisation"], "name": "Ada", "is_primary": True,
               "is_restricted": False, "created_at": NOW}  # fmt: skip
    insert(session, "contact_person", contact)
    for changes in ({"name": None}, {"organisation_id": 999_999}):
        with pytest.raises(IntegrityError), session.begin_nested():
            insert(session, "contact_person", {**contact, **changes})
