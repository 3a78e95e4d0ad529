"""Engagement services, one module per concern; the common names are re-exported here."""

from caseflow.engagements.services.common import (
    REASON_MAX_LENGTH,
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
    check_version,
    clean_text,
    may_edit,
    require_editor,
)
from caseflow.engagements.services.lifecycle import change_status
from caseflow.engagements.services.planning import plan_engagement

__all__ = [
    "REASON_MAX_LENGTH",
    "EngagementError",
    "EngagementNotPermitted",
    "StaleEngagement",
    "change_status",
    "check_version",
    "clean_text",
    "may_edit",
    "plan_engagement",
    "require_editor",
]
