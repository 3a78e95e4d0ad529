"""Pages of the outcomes feature: the Selbstcheck (public questionnaire and the team's
results), the before/after comparison, barrier insights, and the client view."""

from caseflow.outcomes.views import (  # noqa: F401  (the modules register routes)
    client,
    insights,
    selfcheck_public,
    selfcheck_staff,
)
from caseflow.outcomes.views.blueprint import bp

__all__ = ["bp"]
