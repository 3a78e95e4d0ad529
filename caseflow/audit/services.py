"""Writing the audit trail. Services call ``record`` in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditEvent
from caseflow.clock import now as clock_now

_origin: ContextVar[str | None] = ContextVar("caseflow_audit_origin", default=None)


class Actor(Protocol):
    """Anything that can act: a staff member (or the system, passed as ``None``)."""

    id: int
    name: str


SYSTEM_LABEL = "System"


@contextmanager
def origin(address: str | None) -> Iterator[None]:
    """Tag every event recorded inside the block with ``address`` (the client's IP)."""
    token = _origin.set(address)
    try:
        yield
    finally:
        _origin.reset(token)


def set_origin(address: str | None) -> None:
    """Tag events of the current request with ``address``; the request's context ends it."""
    _origin.set(address)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    return value


# What the audit trail keeps of a free text (a comment, a reason): that it was written or
# changed, not its content. Audit rows are never edited, while the texts may hold personal
# data that has to go when an application is anonymised.
FREE_TEXT = "[Freitext]"


def redacted(value: str | None) -> str | None:
    """``FREE_TEXT`` for a text, None for no text."""
    return FREE_TEXT if value else None


def changes_of(obj: Any, *, exclude: frozenset[str] = frozenset()) -> dict[str, list[Any]]:
    """The pending column changes of ``obj`` as ``{field: [old, new]}`` (before a flush).

    For a new object every set column is reported with ``None`` as the old value.
    """
    state = inspect(obj)
    result: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in exclude or key.endswith("_hash"):
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if state.pending or state.transient:
            if new is None:
                continue
            old = None
        if old != new:
            result[key] = [_plain(old), _plain(new)]
    return result


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: int | None,
    changes: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit event to ``session`` (flushed with the change it describes).

    ``actor`` is the staff member acting, or ``None`` for the system (scheduler, CLI).
    """
    event = AuditEvent(
        occurred_at=at or clock_now(),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.name if actor is not None else SYSTEM_LABEL,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes={key: _plain(value) for key, value in (changes or {}).items()},
        ip_address=_origin.get(),
    )
    session.add(event)
    return event
