"""The portfolio's pages: the dashboard, the timeline, capacity and reports."""

from caseflow.portfolio.views import (  # noqa: F401  (the modules register routes)
    capacity,
    dashboard,
    handout,
    reports,
    timeline,
)
from caseflow.portfolio.views.blueprint import bp

__all__ = ["bp"]
