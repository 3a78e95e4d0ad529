"""Read-only queries for deciding: the rounds with their sizes, who may lead an accepted
application's engagement, and the organisations it might belong to."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from caseflow.intake.models import (
    Application,
    ApplicationRound,
)
from caseflow.organisations.choices import District
from caseflow.organisations.models import Organisation
from caseflow.staff.identity import name_key
from caseflow.staff.models import ENGAGEMENT_MEASURE, StaffMeasure, StaffMember


@dataclass(frozen=True)
class RoundRow:
    """One application round with the number of applications it holds."""

    round: ApplicationRound
    application_count: int


def round_rows(session: Session) -> list[RoundRow]:
    """Every round, newest first, with its number of applications; one statement."""
    counts = (
        select(Application.round_id, func.count(Application.id).label("count"))
        .group_by(Application.round_id)
        .subquery()
    )
    statement = (
        select(ApplicationRound, func.coalesce(counts.c.count, 0))
        .outerjoin(counts, counts.c.round_id == ApplicationRound.id)
        .order_by(ApplicationRound.opens_at.desc(), ApplicationRound.id.desc())
    )
    return [
        RoundRow(round=round_, application_count=count)
        for round_, count in session.execute(statement)
    ]


def lead_candidates(session: Session) -> list[StaffMember]:
    """Active staff of measure 3, by name: who may lead an accepted application's
    engagement."""
    return list(
        session.scalars(
            select(StaffMember)
            .join(StaffMeasure, StaffMeasure.staff_member_id == StaffMember.id)
            .where(StaffMember.is_active.is_(True), StaffMeasure.measure == ENGAGEMENT_MEASURE)
            .options(selectinload(StaffMember.measures))
            .order_by(StaffMember.name, StaffMember.id)
        )
    )


@dataclass(frozen=True)
class OrganisationChoices:
    """Existing organisations an accepted application might belong to: ``similar`` (best
    match first) and ``all`` (by name)."""

    similar: list[Organisation]
    all: list[Organisation]


# Names at least this alike (difflib's ratio on ``name_key``) count as similar.
SIMILAR_NAME_RATIO = 0.75


def _name_likeness(application: Application, organisation: Organisation) -> float | None:
    """How alike the names are (higher is closer), or None when they are not similar.

    Same name (case, spacing, accents ignored) > one name containing the other > alike
    spelling; an organisation of the same kind in the same district counts as similar too.
    """
    wanted, candidate = name_key(application.organisation_name), name_key(organisation.name)
    if not wanted or not candidate:
        return None
    if wanted == candidate:
        return 3.0
    if min(len(wanted), len(candidate)) >= 4 and (wanted in candidate or candidate in wanted):
        return 2.0
    ratio = difflib.SequenceMatcher(None, wanted, candidate).ratio()
    if ratio >= SIMILAR_NAME_RATIO:
        return 1.0 + ratio
    if (
        organisation.subtype == application.subtype
        and organisation.district == application.district
        and application.district is not District.BERLINWEIT
    ):
        return ratio
    return None


def organisation_choices(
    session: Session, application: Application, *, limit: int = 5
) -> OrganisationChoices:
    """The organisations to offer when accepting ``application``: those whose name is
    similar to the submitted one (at most ``limit``), and all of them; one statement."""
    organisations = list(
        session.scalars(select(Organisation).order_by(Organisation.name, Organisation.id))
    )
    scored = [
        (likeness, organisation)
        for organisation in organisations
        if (likeness := _name_likeness(application, organisation)) is not None
    ]
    scored.sort(key=lambda pair: (-pair[0], name_key(pair[1].name), pair[1].id))
    return OrganisationChoices(
        similar=[organisation for _likeness, organisation in scored[:limit]],
        all=organisations,
    )
