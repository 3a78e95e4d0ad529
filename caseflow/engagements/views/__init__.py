"""The engagement pages; each module adds its routes to ``bp``."""

from caseflow.engagements.views import (  # noqa: F401  (the modules register their routes)
    activities,
    barriers,
    detail,
    listing,
    milestones,
    rescheduling,
    team,
)
from caseflow.engagements.views.blueprint import bp, engagement_sections

__all__ = ["bp", "engagement_sections"]
