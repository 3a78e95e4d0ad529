"""The follow-ups feature's pages: follow-ups by hand on the engagement page
(``follow_ups``), the notification inbox and preferences (``inbox``), the calendar feeds
(``calendar``)."""

from caseflow.followups.views import calendar, follow_ups, inbox  # noqa: F401  (routes)
from caseflow.followups.views.blueprint import bp

__all__ = ["bp"]
