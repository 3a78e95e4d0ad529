"""Every table of the schema is declared in ``caseflow.admin.subject_registry``, and the
declaration holds: a table that references a contact person or an application is covered by
the export and the erasure; every column that looks personal in a covered table is exported
and erased or kept for a stated reason — and the export and erasure do what is declared
(distinctive values in every declared column: all exported, none left after the erasure,
anywhere in the database)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, Text, select
from sqlalchemy.orm import Session

import caseflow.models  # noqa: F401  (every table in the metadata)
from caseflow import clock
from caseflow.admin.subject_mentions import MENTION_COLUMNS
from caseflow.admin.subject_registry import (
    REGISTRY,
    SUBJECT_TABLES,
    Covered,
    Mentioned,
    OutOfScope,
)
from caseflow.admin.subjects import Subject, SubjectKind, erase, export, subject_data
from caseflow.audit.services import origin, record
from caseflow.database import Model
from caseflow.documents.models import Document, DocumentKind, DocumentVersion
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.organisations.models import ContactPerson
from caseflow.outcomes.models import RoundKind
from caseflow.outcomes.services import AnswerInput, open_round, save_answers, start_response
from caseflow.staff.models import Role
from tests import factories

# Column names that can name, reach or describe a person.
PERSONAL_LOOKING = re.compile(
    r"(^|_)(name|email|mail|phone|address|notes?|comment|contact|ip|label|holder|text|body|"
    r"description|reason|role|person|participants?)(_|$)"
)


def _looks_personal(column: Column) -> bool:
    """A name like personal data, or a free text / JSON document (which can hold anything)."""
    return bool(PERSONAL_LOOKING.search(column.name)) or isinstance(column.type, Text | JSON)


def _references_subject(table: Table) -> bool:
    return table.name in SUBJECT_TABLES or any(
        key.column.table.name in SUBJECT_TABLES for key in table.foreign_keys
    )


def coverage_problems(
    metadata: MetaData, registry: dict[str, Covered | Mentioned | OutOfScope]
) -> list[str]:
    """Everything the declaration misses or gets wrong about ``metadata``."""
    problems: list[str] = []
    for name in sorted(set(registry) - set(metadata.tables)):
        problems.append(f"{name}: declared but not in the schema")
    for table in metadata.sorted_tables:
        declared = registry.get(table.name)
        personal_columns = [column.name for column in table.columns if _looks_personal(column)]
        if declared is None:
            problems.append(
                f"{table.name}: not declared (personal-looking columns: {personal_columns}); "
                "declare it Covered or OutOfScope with a reason"
            )
            continue
        if isinstance(declared, Mentioned):
            for column in declared.columns:
                if column not in table.columns:
                    problems.append(f"{table.name}.{column}: declared but no such column")
            for column in table.columns:
                if isinstance(column.type, Text) and column.name not in declared.columns:
                    problems.append(
                        f"{table.name}.{column.name}: a free text not searched for mentions"
                    )
        if isinstance(declared, OutOfScope | Mentioned):
            if _references_subject(table):
                problems.append(
                    f"{table.name}: references a contact person or application but is declared "
                    "out of scope; it must be covered by the export and the erasure"
                )
            if len(declared.reason.strip()) < 20:
                problems.append(f"{table.name}: out of scope needs a real reason")
            continue
        if not (declared.personal and declared.export.strip() and declared.erasure.strip()):
            problems.append(f"{table.name}: covered needs columns, an export and an erasure")
        for column in (*declared.personal, *declared.kept):
            if column not in table.columns:
                problems.append(f"{table.name}.{column}: declared but no such column")
        for column in personal_columns:
            if column not in declared.personal and column not in declared.kept:
                problems.append(
                    f"{table.name}.{column}: looks personal; export and erase it (personal) "
                    "or keep it with a reason (kept)"
                )
        for column, reason in declared.kept.items():
            if len(reason.strip()) < 20:
                problems.append(f"{table.name}.{column}: kept needs a real reason")
    return problems


def test_every_table_is_declared_and_every_person_reference_is_covered() -> None:
    assert coverage_problems(Model.metadata, REGISTRY) == []


def test_the_mention_search_covers_the_declared_free_texts() -> None:
    searched = {model.__tablename__: columns for model, columns in MENTION_COLUMNS.items()}
    declared = {
        table: entry.columns for table, entry in REGISTRY.items() if isinstance(entry, Mentioned)
    }
    assert searched == declared


def test_the_check_finds_an_uncovered_reference_and_an_undeclared_column() -> None:
    """The check can fail: a new table referencing contact persons, a table declared out of
    scope although it references applications, a new personal column in a covered table."""
    metadata = MetaData()
    for table in Model.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table(
        "contact_call",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("contact_person_id", ForeignKey("contact_person.id")),
    )
    Table(
        "application_note",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("application_id", ForeignKey("application.id")),
    )
    metadata.tables["contact_person"].append_column(Column("mobile_phone", String(50)))
    registry = {**REGISTRY, "application_note": OutOfScope("just notes, nothing to see here")}

    problems = coverage_problems(metadata, registry)

    assert any(problem.startswith("contact_call: not declared") for problem in problems)
    assert any(problem.startswith("application_note: references") for problem in problems)
    assert any(problem.startswith("contact_person.mobile_phone") for problem in problems)


# --- the declaration against behaviour --------------------------------------------------------


def marker(table: str, column: str) -> str:
    """A value nobody else writes, at most 40 characters (the shortest columns take 50)."""
    return f"ZQ{table[:12]}.{column[:14]}#7731"


MARKER = re.compile(r"ZQ[a-z_]{1,12}\.[a-z_]{1,14}#7731", re.IGNORECASE)


def _personal(table: str) -> tuple[str, ...]:
    declared = REGISTRY[table]
    assert isinstance(declared, Covered)
    return declared.personal


def _filled(table: str) -> dict[str, str]:
    return {column: marker(table, column) for column in _personal(table)}


def _build(session: Session) -> tuple[ContactPerson, Application]:
    """A contact and an application with a marker in every declared personal column of every
    covered table. A covered table without a builder here fails the test."""
    reviewer = factories.make_staff_member(session, role=Role.LEAD)
    application = factories.make_application(
        session,
        status=ApplicationStatus.ANGENOMMEN,
        decided_by=reviewer,
        **_filled("application"),
    )
    contact = factories.make_contact(
        session, application.engagement.organisation, **_filled("contact_person")
    )
    builders = {
        "contact_person": lambda: None,
        "application": lambda: None,
        "application_review": lambda: factories.make_review(
            session, application, reviewer, **_filled("application_review")
        ),
        "audit_event": lambda: _public_event(session, application),
    }
    for table, declared in REGISTRY.items():
        if isinstance(declared, Covered):
            assert table in builders, f"add a builder for the covered table {table}"
            builders[table]()
    _mention(session, application, contact)
    session.flush()
    return contact, application


def mention_text(contact: ContactPerson) -> str:
    return f"Telefonat mit {contact.name.upper()} ({contact.email}), sehr hilfreich."


def _mention(session: Session, application: Application, contact: ContactPerson) -> None:
    """The contact's name and email in every free text declared ``Mentioned``, on rows of
    the engagement of the contact's organisation."""
    engagement = application.engagement
    assert engagement.organisation_id == contact.organisation_id
    text = mention_text(contact)
    rows = {
        "engagement": engagement,
        "milestone": engagement.phases[0].milestones[0],
        "activity": factories.make_activity(session, engagement),
        "barrier": factories.make_barrier(session, engagement),
        "follow_up": factories.make_follow_up(session, engagement, assignee=None),
    }
    lead = next(a.staff_member for a in engagement.assignments if a.role.value == "lead")
    round_, _link = open_round(
        session, engagement, RoundKind.VORHER, actor=lead, now=clock.now(), secret="x"
    )
    response, _resume = start_response(session, round_, name=None, role=None, now=clock.now())
    first = round_.statements[0].statement_id
    save_answers(
        session,
        response,
        {first: AnswerInput(given=False, comment="x")},
        submit=False,
        now=clock.now(),
    )
    rows["selfcheck_response"] = response
    rows["selfcheck_answer"] = response.answers[0]
    document = Document(
        engagement_id=engagement.id,
        title="Protokoll",
        title_key="protokoll",
        kind=DocumentKind.PROTOKOLL,
        created_at=clock.now(),
    )
    document.versions.append(
        DocumentVersion(
            number=1,
            storage_name="0" * 32,
            file_name="protokoll.pdf",
            file_kind="pdf",
            size=1,
            sha256="0" * 64,
            uploaded_at=clock.now(),
        )
    )
    session.add(document)
    session.flush()
    rows["document"] = document
    rows["document_version"] = document.versions[0]
    dropped = engagement.phases[0].milestones[1]
    factories.drop_milestone(session, dropped, reason=text)  # a reason needs a dropped one
    for table, declared in REGISTRY.items():
        if isinstance(declared, Mentioned):
            assert table in rows, f"add a row for the table {table} searched for mentions"
            for column in declared.columns:
                if (table, column) != ("milestone", "drop_reason"):
                    setattr(rows[table], column, text)


def _public_event(session: Session, application: Application) -> None:
    """An event of the public form about the application, from the applicant's address."""
    columns = _filled("audit_event")
    assert set(columns) == {"ip_address"}, "extend _public_event for the new audit columns"
    with origin(columns["ip_address"]):
        record(
            session,
            actor=None,
            action="application.submitted",
            object_type="application",
            object_id=application.id,
            changes={"reference": application.reference},
        )


def _markers_in_database(session: Session) -> dict[str, list[str]]:
    """Every marker left in any text or JSON column of any table: ``{table.column: [...]}``."""
    found: dict[str, list[str]] = {}
    for table in Model.metadata.sorted_tables:
        columns = [
            column for column in table.columns if isinstance(column.type, String | Text | JSON)
        ]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                hits = MARKER.findall(text or "")
                if hits:
                    found.setdefault(f"{table.name}.{column.name}", []).extend(hits)
    return found


@pytest.fixture
def admin(session):
    return factories.make_staff_member(session, role=Role.ADMIN)


def _subject_of(table: str) -> SubjectKind:
    """Whose export shows a covered table's rows."""
    return SubjectKind.CONTACT if table == "contact_person" else SubjectKind.APPLICATION


def test_export_shows_and_erasure_removes_every_declared_value(session, admin) -> None:
    with clock.frozen(date(2025, 3, 10)):
        now = clock.now()
        contact, application = _build(session)
        subjects = {
            SubjectKind.CONTACT: Subject(SubjectKind.CONTACT, contact),
            SubjectKind.APPLICATION: Subject(SubjectKind.APPLICATION, application),
        }
        before = _markers_in_database(session)
        expected = {
            marker(table, column).casefold()
            for table, declared in REGISTRY.items()
            if isinstance(declared, Covered)
            for column in declared.personal
        }
        assert {hit.casefold() for hits in before.values() for hit in hits} == expected
        assert {"engagement.notes", "activity.note", "milestone.drop_reason"} <= set(before)

        exports: dict[SubjectKind, dict[str, Any]] = {
            kind: export(session, subject, actor=admin, now=now)
            for kind, subject in subjects.items()
        }
        for table, declared in REGISTRY.items():
            if not isinstance(declared, Covered):
                continue
            section = json.dumps(
                exports[_subject_of(table)][declared.export_key], ensure_ascii=False
            )
            for column in declared.personal:
                assert marker(table, column) in section, (
                    f"{table}.{column} is declared personal but not in the export's "
                    f"{declared.export_key!r}"
                )
        mentioned = {
            (mention["table"], mention["column"])
            for mention in exports[SubjectKind.CONTACT]["mentions"]
            if marker("contact_person", "name").upper() in mention["excerpt"].upper()
        }
        assert mentioned == {
            (table, column)
            for table, declared in REGISTRY.items()
            if isinstance(declared, Mentioned)
            for column in declared.columns
        }
        # Exports are JSON documents.
        for data in exports.values():
            assert json.loads(json.dumps(data)) == data

        for subject in subjects.values():
            assert erase(session, subject, actor=admin, now=now)
        session.flush()
        assert _markers_in_database(session) == {}

        # In place: the rows are still there, anonymised; the export still answers.
        session.expire_all()
        assert session.get(ContactPerson, contact.id).anonymised_at == now
        assert session.get(Application, application.id).anonymised_at == now
        after = subject_data(session, subjects[SubjectKind.APPLICATION], now=now)
        assert not MARKER.search(json.dumps(after, ensure_ascii=False))
