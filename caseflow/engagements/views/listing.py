"""``/engagements``: the list with its filters, 50 a page, and the engagements on the
organisation pages.

Both show only the engagements the logged-in person may see (``queries.visible_to``): leads
and admins all of them, a consultant those whose team they are on. So a consultant's list is
always "nur meine" (the checkbox is not offered) and its team filters offer only the
colleagues on those engagements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import render_template, request
from flask_babel import format_number
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.queries import (
    EngagementFilter,
    EngagementRow,
    TeamMemberChoice,
    count_engagements,
    engagement_counts_by_organisation,
    engagement_slice,
    list_engagements,
    team_member_choices,
)
from caseflow.engagements.views.blueprint import bp
from caseflow.engagements.views.common import acting_member
from caseflow.extensions import db
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation
from caseflow.organisations.views import organisation_list_columns, organisation_sections
from caseflow.staff.access import staff_required
from caseflow.staff.models import Role, StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.web.filters import (
    UNKNOWN_DISTRICT,
    UNKNOWN_SECTOR,
    choice_filter,
    date_filter,
    enum_filter,
    page_links,
)
from caseflow.web.sections import ListColumn, PageSection

LEAD = _l("Federführung")
MEMBER = _l("Im Team")
STARTS_FROM = _l("Beginn ab")
STARTS_TO = _l("Beginn bis")
ENDS_FROM = _l("Ende ab")
ENDS_TO = _l("Ende bis")

_MINE_ON = "1"
_MINE_OFF = "0"

PER_PAGE = 50
# Longer page numbers are read as "past the last page" without converting them.
_PAGE_DIGITS = 9


@dataclass(frozen=True)
class ListFilters:
    """The valid filters of one request to the engagement list."""

    mine: bool
    is_mine_default: bool
    # Only engagements with an open milestone due before today (the dashboard links here).
    overdue: bool = False
    # A consultant: the list holds only their own engagements, whatever ``mine`` says.
    is_restricted: bool = False
    status: EngagementStatus | None = None
    lead: TeamMemberChoice | None = None
    member: TeamMemberChoice | None = None
    sector: Sector | None = None
    district: District | None = None
    starts_from: date | None = None
    starts_to: date | None = None
    ends_from: date | None = None
    ends_to: date | None = None

    @property
    def is_narrowed(self) -> bool:
        """True when any filter besides "nur meine" narrows the list."""
        return (
            any(
                value is not None
                for value in (
                    self.status,
                    self.lead,
                    self.member,
                    self.sector,
                    self.district,
                    self.starts_from,
                    self.starts_to,
                    self.ends_from,
                    self.ends_to,
                )
            )
            or self.overdue
        )

    def args(self, **changes: object) -> dict[str, str]:
        """The query parameters of this list, with ``changes`` applied (None drops one)."""
        values: dict[str, object] = {
            "status": self.status,
            "lead": self.lead.id if self.lead is not None else None,
            "member": self.member.id if self.member is not None else None,
            "sector": self.sector,
            "district": self.district,
            "starts_from": self.starts_from,
            "starts_to": self.starts_to,
            "ends_from": self.ends_from,
            "ends_to": self.ends_to,
            "overdue": 1 if self.overdue else None,
            "mine": (
                None if self.is_restricted or self.mine == self.is_mine_default else int(self.mine)
            ),
        }
        values.update(changes)
        return {
            key: value.isoformat() if isinstance(value, date) else str(value)
            for key, value in values.items()
            if value is not None
        }


def _mine_filter(values: list[str], *, default: bool, notes: list[str]) -> bool:
    # The form sends a hidden "0" before the checkbox's "1", so an unticked box reads as off.
    if not values:
        return default
    if _MINE_ON in values:
        return True
    if all(value == _MINE_OFF for value in values):
        return False
    notes.append(_("Der Wert für „nur meine“ ist ungültig und wurde ignoriert."))
    return default


def _overdue_filter(values: list[str], notes: list[str]) -> bool:
    # Sent by the form like "nur meine" (a hidden "0" before the checkbox's "1").
    if _MINE_ON in values:
        return True
    if all(value == _MINE_OFF for value in values):
        return False
    notes.append(
        _("Der Wert für „nur mit überfälligen Meilensteinen“ ist ungültig und wurde ignoriert.")
    )
    return False


def _date_range(
    raw_from: str | None,
    raw_to: str | None,
    notes: list[str],
    *,
    label_from: str,
    label_to: str,
) -> tuple[date | None, date | None]:
    """Both ends of a date range; a range whose start lies after its end is ignored whole."""
    start = date_filter(raw_from, notes, label=label_from)
    end = date_filter(raw_to, notes, label=label_to)
    if start is not None and end is not None and start > end:
        notes.append(
            _(
                "„%(first)s“ (%(start)s) liegt nach „%(last)s“ (%(end)s); "
                "diese beiden Filter wurden ignoriert.",
                first=label_from,
                start=start.strftime("%d.%m.%Y"),
                last=label_to,
                end=end.strftime("%d.%m.%Y"),
            )
        )
        return None, None
    return start, end


def _read_filters(
    args: MultiDict[str, str], choices: list[TeamMemberChoice], notes: list[str]
) -> ListFilters:
    is_restricted = not current_user.has_role(Role.LEAD)
    is_mine_default = is_restricted
    starts_from, starts_to = _date_range(
        args.get("starts_from"),
        args.get("starts_to"),
        notes,
        label_from=str(STARTS_FROM),
        label_to=str(STARTS_TO),
    )
    ends_from, ends_to = _date_range(
        args.get("ends_from"),
        args.get("ends_to"),
        notes,
        label_from=str(ENDS_FROM),
        label_to=str(ENDS_TO),
    )
    return ListFilters(
        # A consultant sees only their own engagements: an old "mine=0" link changes nothing.
        mine=is_restricted
        or _mine_filter(args.getlist("mine"), default=is_mine_default, notes=notes),
        is_mine_default=is_mine_default,
        is_restricted=is_restricted,
        status=enum_filter(args.get("status"), EngagementStatus, notes),
        lead=choice_filter(
            args.get("lead"),
            [choice for choice in choices if choice.is_lead],
            notes,
            label=str(LEAD),
        ),
        member=choice_filter(args.get("member"), choices, notes, label=str(MEMBER)),
        sector=enum_filter(args.get("sector"), Sector, notes, message=UNKNOWN_SECTOR),
        district=enum_filter(args.get("district"), District, notes, message=UNKNOWN_DISTRICT),
        starts_from=starts_from,
        starts_to=starts_to,
        ends_from=ends_from,
        ends_to=ends_to,
        overdue=_overdue_filter(args.getlist("overdue"), notes),
    )


def _query_filter(filters: ListFilters, viewer: StaffMember) -> EngagementFilter:
    return EngagementFilter(
        viewer=viewer,
        statuses=[filters.status] if filters.status is not None else None,
        staff_member_id=viewer.id if filters.mine and not filters.is_restricted else None,
        lead_id=filters.lead.id if filters.lead is not None else None,
        member_id=filters.member.id if filters.member is not None else None,
        sector=filters.sector,
        district=filters.district,
        starts_from=filters.starts_from,
        starts_to=filters.starts_to,
        ends_from=filters.ends_from,
        ends_to=filters.ends_to,
        overdue_only=filters.overdue,
    )


@dataclass(frozen=True)
class ListPage:
    """The page of the engagement list that is shown."""

    rows: list[EngagementRow]
    page: int  # from 1
    pages: int  # at least 1, also when nothing matches
    total: int  # engagements matching the filters, on all pages

    @property
    def first_number(self) -> int:
        """The running number of the first row shown (0 when there is none)."""
        return (self.page - 1) * PER_PAGE + 1 if self.rows else 0

    @property
    def last_number(self) -> int:
        """The running number of the last row shown."""
        return (self.page - 1) * PER_PAGE + len(self.rows)


def _requested_page(raw: str | None, notes: list[str]) -> int | None:
    """The page asked for (1 when none is), or None when it is past any page there can be."""
    value = (raw or "").strip()
    if not value:
        return 1
    if value.isascii() and value.isdigit() and (digits := value.lstrip("0")):
        return int(digits) if len(digits) <= _PAGE_DIGITS else None
    notes.append(
        _("„%(value)s“ ist keine gültige Seitenzahl; es wird die erste Seite gezeigt.", value=raw)
    )
    return 1


def _list_page(
    filters: EngagementFilter, raw_page: str | None, *, today: date, notes: list[str]
) -> ListPage:
    """The requested page of the list; past the last page: the last one, with a note.

    A page that exists costs one statement (it counts all matches in a subquery); only a
    page past the end costs a count and a second look."""
    number = _requested_page(raw_page, notes)
    if number is not None:
        found = engagement_slice(
            db.session, filters, today=today, limit=PER_PAGE, offset=(number - 1) * PER_PAGE
        )
        if found.rows or number == 1:
            pages = max(1, -(-found.total // PER_PAGE))
            return ListPage(rows=found.rows, page=number, pages=pages, total=found.total)
    total = count_engagements(db.session, filters, today=today)
    pages = max(1, -(-total // PER_PAGE))
    notes.append(
        _(
            "Seite %(value)s gibt es nicht; es wird die letzte Seite (%(last)s) gezeigt.",
            value=raw_page,
            last=format_number(pages),
        )
    )
    found = engagement_slice(
        db.session, filters, today=today, limit=PER_PAGE, offset=(pages - 1) * PER_PAGE
    )
    return ListPage(rows=found.rows, page=pages, pages=pages, total=found.total or total)


@bp.get("/engagements")
@staff_required
def index() -> str:
    """The engagements one may see (a consultant: their own; leads and admins: all, or their
    own with "nur meine"), filtered by status, team, organisation, dates and overdue
    milestones, 50 a page (``?page=``, from 1); bad filter values and page numbers are
    ignored with a note."""
    notes: list[str] = []
    viewer = acting_member()
    choices = team_member_choices(db.session, viewer=viewer)
    filters = _read_filters(request.args, choices, notes)
    today = clock.today()
    page = _list_page(
        _query_filter(filters, viewer), request.args.get("page"), today=today, notes=notes
    )
    return render_template(
        "engagements/index.html",
        rows=page.rows,
        page=page,
        page_links=page_links(page.page, page.pages),
        format_number=format_number,
        filters=filters,
        statuses=list(EngagementStatus),
        leads=[choice for choice in choices if choice.is_lead],
        members=choices,
        sectors=list(Sector),
        districts=list(District),
        notes=notes,
        today=today,
    )


@organisation_list_columns.connect
def _engagement_count_column(_sender: Any, *, session: Session, **_kwargs: Any) -> ListColumn:
    return ListColumn(
        heading=_("Prozessbegleitungen"),
        values=engagement_counts_by_organisation(session, viewer=acting_member()),
        order=10,
    )


@organisation_sections.connect
def _organisation_engagements(
    organisation: Organisation, *, session: Session, today: date, **_kwargs: Any
) -> PageSection:
    viewer = acting_member()
    rows = list_engagements(session, today=today, organisation_id=organisation.id, viewer=viewer)
    return PageSection(
        "engagements/_organisation_engagements.html",
        {"rows": rows, "today": today, "is_restricted": not viewer.has_role(Role.LEAD)},
        order=10,
    )
