"""Application rounds: leads and admins create and edit them.

A round is entered as whole days: it opens at local midnight (Europe/Berlin) of its first day
and closes at the local midnight after its last day. Names are unique (case ignored), rounds
never overlap (the public form must know which round an application belongs to), and a round
that already holds applications keeps covering the days they came in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.services import changes_of, record
from caseflow.intake.models import Application, ApplicationRound
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.filters import FILTER_YEARS
from caseflow.web.i18n import format_day

NAME_MAX_LENGTH = 200
ONE_DAY = timedelta(days=1)


class RoundError(ValueError):
    """A round was refused; the message is German. ``field`` names the offending input
    (``name``, ``first_day``, ``last_day``) when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _check_name(session: Session, round_: ApplicationRound | None, name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise RoundError(_("Bitte geben Sie der Runde einen Namen."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise RoundError(
            _("Der Name darf höchstens %(max)d Zeichen lang sein.", max=NAME_MAX_LENGTH),
            field="name",
        )
    for other in session.scalars(select(ApplicationRound)):
        if other is not round_ and other.name.casefold() == name.casefold():
            raise RoundError(
                _("Eine Runde mit dem Namen „%(name)s“ gibt es schon.", name=other.name),
                field="name",
            )
    return name


def _check_overlap(
    session: Session, round_: ApplicationRound | None, opens_at: datetime, closes_at: datetime
) -> None:
    statement = select(ApplicationRound).where(
        ApplicationRound.opens_at < closes_at, ApplicationRound.closes_at > opens_at
    )
    if round_ is not None:
        statement = statement.where(ApplicationRound.id != round_.id)
    other = session.scalars(statement.order_by(ApplicationRound.opens_at)).first()
    if other is not None:
        raise RoundError(
            _(
                "Die Runde überschneidet sich mit der Runde „%(name)s“ (%(first)s bis "
                "%(last)s). Runden dürfen sich nicht überschneiden.",
                name=other.name,
                first=format_day(other.first_day),
                last=format_day(other.last_day),
            ),
            field="first_day",
        )


def _check_covers_applications(
    session: Session, round_: ApplicationRound, opens_at: datetime, closes_at: datetime
) -> None:
    first_at, last_at = session.execute(
        select(func.min(Application.submitted_at), func.max(Application.submitted_at)).where(
            Application.round_id == round_.id
        )
    ).one()
    if first_at is None:
        return
    if first_at < opens_at or last_at >= closes_at:
        raise RoundError(
            _(
                "In dieser Runde sind bereits Bewerbungen vom %(first)s bis %(last)s "
                "eingegangen; die Runde muss diese Tage weiter umfassen.",
                first=format_day(first_at),
                last=format_day(last_at),
            ),
            field="first_day" if first_at < opens_at else "last_day",
        )


def save_round(
    session: Session,
    round_: ApplicationRound | None,
    *,
    name: str,
    first_day: date,
    last_day: date,
    actor: StaffMember,
    now: datetime,
) -> ApplicationRound:
    """Create a round (``round_`` None) or change ``round_``.

    Before: ``name`` is not blank, at most 200 characters and no other round's name (case
    ignored); both days lie in ``FILTER_YEARS`` (1900–2999); ``last_day`` ≥ ``first_day``;
    the days overlap no other round; an existing round with applications still covers the
    days they came in. After: the round opens at local midnight of ``first_day`` and closes
    at local midnight after ``last_day``; audit ``round.created`` or ``round.updated``
    (nothing recorded when nothing changed); flushed.
    Raises ``RoundError`` with ``field`` set, changing nothing.
    """
    for day, field in ((first_day, "first_day"), (last_day, "last_day")):
        # Midnight in UTC of a day at the calendar's ends would overflow.
        if day.year not in FILTER_YEARS:
            raise RoundError(
                _(
                    "Bitte geben Sie ein Datum in den Jahren %(first)d bis %(last)d an.",
                    first=FILTER_YEARS.start,
                    last=FILTER_YEARS.stop - 1,
                ),
                field=field,
            )
    if last_day < first_day:
        raise RoundError(
            _("Der letzte Tag darf nicht vor dem ersten Tag liegen."), field="last_day"
        )
    cleaned_name = _check_name(session, round_, name)
    opens_at = clock.start_of_day(first_day)
    closes_at = clock.start_of_day(last_day + ONE_DAY)
    _check_overlap(session, round_, opens_at, closes_at)
    if round_ is not None:
        _check_covers_applications(session, round_, opens_at, closes_at)

    is_new = round_ is None
    if round_ is None:
        round_ = ApplicationRound(created_at=now)
        session.add(round_)
    round_.name = cleaned_name
    if round_.opens_at != opens_at:
        round_.opens_at = opens_at
    if round_.closes_at != closes_at:
        round_.closes_at = closes_at
    changes = changes_of(round_, exclude=frozenset({"id", "created_at"}))
    if not changes:
        return round_
    session.flush()
    if is_new:
        record(
            session,
            actor=actor,
            action="round.created",
            object_type="application_round",
            object_id=round_.id,
            changes=changes,
            at=now,
        )
    else:
        record(
            session,
            actor=actor,
            action="round.updated",
            object_type="application_round",
            object_id=round_.id,
            changes=changes,
            at=now,
        )
    session.flush()
    return round_
