"""The staff's application list (``/applications``) and the applications section of an
organisation's page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import render_template, request
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.extensions import db
from caseflow.intake.models import ApplicationRound, ApplicationStatus
from caseflow.intake.queries import (
    ApplicationSort,
    application_counts_by_status,
    duplicates_for,
    list_applications,
    list_rounds,
)
from caseflow.intake.views.blueprint import bp
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation
from caseflow.organisations.views import organisation_sections
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.web.filters import UNKNOWN_DISTRICT, UNKNOWN_SECTOR, date_filter, enum_filter
from caseflow.web.sections import PageSection

RECEIVED_FROM = _l("Eingegangen ab")
RECEIVED_TO = _l("Eingegangen bis")


@dataclass(frozen=True)
class ListFilters:
    """The valid filters and the order of one request to the list."""

    round: ApplicationRound | None = None
    status: ApplicationStatus | None = None
    sector: Sector | None = None
    district: District | None = None
    received_from: date | None = None
    received_to: date | None = None
    sort: ApplicationSort = ApplicationSort.RECEIVED

    @property
    def is_filtered(self) -> bool:
        """True when any filter (not the order) narrows the list."""
        return any(
            value is not None
            for value in (
                self.round,
                self.status,
                self.sector,
                self.district,
                self.received_from,
                self.received_to,
            )
        )

    def args(self, **changes: object) -> dict[str, str]:
        """The query parameters of this list, with ``changes`` applied (None drops one)."""
        values: dict[str, object] = {
            "round": self.round.id if self.round is not None else None,
            "status": self.status,
            "sector": self.sector,
            "district": self.district,
            "received_from": self.received_from,
            "received_to": self.received_to,
            "sort": self.sort if self.sort is not ApplicationSort.RECEIVED else None,
        }
        values.update(changes)
        return {
            key: value.isoformat() if isinstance(value, date) else str(value)
            for key, value in values.items()
            if value is not None
        }


def _round_filter(
    raw: str | None, rounds: list[ApplicationRound], notes: list[str]
) -> ApplicationRound | None:
    if not raw:
        return None
    chosen = next((round_ for round_ in rounds if str(round_.id) == raw.strip()), None)
    if chosen is None:
        notes.append(
            _(
                "Die Bewerbungsrunde „%(value)s“ gibt es nicht; der Filter wurde ignoriert.",
                value=raw,
            )
        )
    return chosen


def _sort_choice(raw: str | None, notes: list[str]) -> ApplicationSort:
    if not raw:
        return ApplicationSort.RECEIVED
    try:
        return ApplicationSort(raw)
    except ValueError:
        notes.append(
            _(
                "Die Sortierung „%(value)s“ gibt es nicht; die Liste ist nach Eingang "
                "sortiert, neueste zuerst.",
                value=raw,
            )
        )
        return ApplicationSort.RECEIVED


def _read_filters(rounds: list[ApplicationRound], notes: list[str]) -> ListFilters:
    args = request.args
    filters = ListFilters(
        round=_round_filter(args.get("round"), rounds, notes),
        status=enum_filter(args.get("status"), ApplicationStatus, notes),
        sector=enum_filter(args.get("sector"), Sector, notes, message=UNKNOWN_SECTOR),
        district=enum_filter(args.get("district"), District, notes, message=UNKNOWN_DISTRICT),
        received_from=date_filter(args.get("received_from"), notes, label=str(RECEIVED_FROM)),
        received_to=date_filter(args.get("received_to"), notes, label=str(RECEIVED_TO)),
        sort=_sort_choice(args.get("sort"), notes),
    )
    if (
        filters.received_from is not None
        and filters.received_to is not None
        and filters.received_to < filters.received_from
    ):
        notes.append(
            _("„Eingegangen bis“ liegt vor „Eingegangen ab“: in diesem Zeitraum passt nichts.")
        )
    return filters


@bp.get("/applications")
@staff_required
def applications() -> str:
    """All applications, filterable by round, status, sector, district and date of receipt,
    in a chosen order, with the count per status and possible duplicates flagged."""
    notes: list[str] = []
    rounds = list_rounds(db.session)
    filters = _read_filters(rounds, notes)
    round_id = filters.round.id if filters.round is not None else None
    rows = list_applications(
        db.session,
        statuses=[filters.status] if filters.status is not None else None,
        round_id=round_id,
        sector=filters.sector,
        district=filters.district,
        received_from=filters.received_from,
        received_to=filters.received_to,
        sort=filters.sort,
    )
    # The counts ignore the status filter: they are the choices of that filter.
    counts = application_counts_by_status(
        db.session,
        round_id=round_id,
        sector=filters.sector,
        district=filters.district,
        received_from=filters.received_from,
        received_to=filters.received_to,
    )
    duplicates = duplicates_for(db.session, [row.application for row in rows])
    return render_template(
        "intake/applications.html",
        rows=rows,
        rounds=rounds,
        statuses=list(ApplicationStatus),
        sectors=list(Sector),
        districts=list(District),
        sorts=list(ApplicationSort),
        filters=filters,
        counts=counts,
        duplicates=duplicates,
        notes=notes,
        today=clock.today(),
    )


@organisation_sections.connect
def _organisation_applications(
    organisation: Organisation, *, session: Session, **_kwargs: Any
) -> PageSection:
    rows = list_applications(session, organisation_id=organisation.id)
    return PageSection("intake/_organisation_applications.html", {"rows": rows}, order=20)
