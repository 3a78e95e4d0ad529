"""The warning admins see on every page when the scheduler's heartbeat is stale."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from caseflow import clock
from caseflow.extensions import db
from caseflow.followups.heartbeat import SchedulerStatus, scheduler_status
from caseflow.followups.views.blueprint import bp
from caseflow.staff.models import Role

log = logging.getLogger(__name__)


def stale_scheduler() -> SchedulerStatus | None:
    """The scheduler's status when the current user is an admin and the heartbeat is stale
    (or missing); None otherwise. Asks the database only for admins, and never breaks the
    page it is shown on."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    if not current_user.has_role(Role.ADMIN):
        return None
    try:
        status = scheduler_status(db.session, clock.now())
    except SQLAlchemyError:
        log.warning("scheduler status could not be read", exc_info=True)
        return None
    return status if status.is_stale else None


@bp.app_context_processor
def _scheduler_warning_context() -> dict[str, Callable[[], Any]]:
    # A function, so the query runs only where the layout includes the warning.
    return {"stale_scheduler": stale_scheduler}
