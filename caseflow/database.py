"""Database building blocks shared by every feature: the declarative base with a naming
convention, aware-UTC datetimes, enum columns with CHECK constraints, and SQLite tuning."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import has_request_context, request
from sqlalchemy import JSON, DateTime, Enum, MetaData, event, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, always handed out as an aware UTC datetime.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so the value is stored as
    naive UTC and made aware again on the way out. Naive datetimes are refused on the way
    in: they are almost always a bug (``datetime.now()`` instead of the clock).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: use an aware datetime (caseflow.clock)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column_type(enum_class: type[enum.Enum], name: str) -> Enum:
    """A VARCHAR holding the enum's values, guarded by a named CHECK constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


JSONDocument = JSON().with_variant(JSONB(), "postgresql")

T = TypeVar("T")


def count_by(
    session: Session, column: InstrumentedAttribute[T], values: Iterable[T]
) -> dict[T, int]:
    """How many rows hold each of ``values`` in ``column`` (zero included); one statement."""
    counts = dict.fromkeys(values, 0)
    statement = select(column, func.count()).where(column.in_(counts)).group_by(column)
    for value, count in session.execute(statement):
        counts[value] = count
    return counts


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Turn on foreign keys, WAL and a busy timeout for every SQLite connection.

    pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves:
    requests that may write (anything but GET/HEAD/OPTIONS) and CLI/scheduler work start with
    BEGIN IMMEDIATE, so two writers queue on the busy timeout instead of failing half-way
    with "database is locked" when a read transaction tries to become a write transaction.
    Pure reads start a deferred transaction and never block anyone (WAL).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reading = has_request_context() and request.method in {"GET", "HEAD", "OPTIONS"}
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
