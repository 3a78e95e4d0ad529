"""Every table of caseflow, imported in one place for migrations and tests."""

from caseflow.audit.models import AuditEvent
from caseflow.documents.models import Document, DocumentVersion
from caseflow.engagements.models import (
    Activity,
    Assignment,
    Barrier,
    Engagement,
    Milestone,
    Phase,
    PhaseTemplate,
    TemplateMilestone,
    TemplatePhase,
    activity_staff,
)
from caseflow.followups.models import (
    CalendarToken,
    FollowUp,
    Notification,
    NotificationPreference,
    SchedulerHeartbeat,
)
from caseflow.intake.models import Application, ApplicationReview, ApplicationRound
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.outcomes.models import (
    ClientLink,
    SelfcheckAnswer,
    SelfcheckResponse,
    SelfcheckRound,
    SelfcheckRoundStatement,
    SelfcheckStatement,
)
from caseflow.settings.models import AppSetting
from caseflow.staff.models import (
    LoginSession,
    PasswordResetToken,
    RecoveryCode,
    StaffMeasure,
    StaffMember,
)

__all__ = [
    "Activity",
    "AppSetting",
    "Application",
    "ApplicationReview",
    "ApplicationRound",
    "Assignment",
    "AuditEvent",
    "Barrier",
    "CalendarToken",
    "ClientLink",
    "ContactPerson",
    "Document",
    "DocumentVersion",
    "Engagement",
    "FollowUp",
    "LoginSession",
    "Milestone",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "PasswordResetToken",
    "Phase",
    "PhaseTemplate",
    "RecoveryCode",
    "SchedulerHeartbeat",
    "SelfcheckAnswer",
    "SelfcheckResponse",
    "SelfcheckRound",
    "SelfcheckRoundStatement",
    "SelfcheckStatement",
    "StaffMeasure",
    "StaffMember",
    "TemplateMilestone",
    "TemplatePhase",
    "activity_staff",
]
