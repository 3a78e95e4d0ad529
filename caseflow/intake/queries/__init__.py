"""Read-only queries of intake: ``applications`` (list, one application, counts,
duplicates, token lookup) and ``deciding`` (rounds, lead candidates, organisation choices)."""

from __future__ import annotations

from caseflow.intake.queries.applications import (
    APPLICATION_SORT_LABELS,
    DUPLICATE_WINDOW,
    OPEN_STATUSES,
    AgeBasis,
    ApplicationAge,
    ApplicationDetail,
    ApplicationRow,
    ApplicationSort,
    DuplicateHint,
    application_age,
    application_counts_by_status,
    application_detail,
    duplicates_for,
    find_by_token,
    list_applications,
    list_rounds,
)
from caseflow.intake.queries.deciding import (
    SIMILAR_NAME_RATIO,
    OrganisationChoices,
    RoundRow,
    lead_candidates,
    organisation_choices,
    round_rows,
)

__all__ = [
    "APPLICATION_SORT_LABELS",
    "AgeBasis",
    "ApplicationAge",
    "ApplicationDetail",
    "ApplicationRow",
    "ApplicationSort",
    "DUPLICATE_WINDOW",
    "DuplicateHint",
    "OPEN_STATUSES",
    "OrganisationChoices",
    "RoundRow",
    "SIMILAR_NAME_RATIO",
    "application_age",
    "application_counts_by_status",
    "application_detail",
    "duplicates_for",
    "find_by_token",
    "lead_candidates",
    "list_applications",
    "list_rounds",
    "organisation_choices",
    "round_rows",
]
