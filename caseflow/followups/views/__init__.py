"""The follow-ups feature's pages: follow-ups by hand on the engagement page
(``follow_ups``), the notification inbox and preferences (``inbox``), the calendar feeds
(``calendar``), the stale-scheduler warning for admins (``scheduler_status``)."""

from caseflow.followups.views import (  # noqa: F401  (the modules register routes)
    calendar,
    follow_ups,
    inbox,
    scheduler_status,
)
from caseflow.followups.views.blueprint import bp

__all__ = ["bp"]
