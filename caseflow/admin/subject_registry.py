"""Which tables hold personal data of contact persons and applicants, and how the data
subject requests (``caseflow.admin.subjects``) cover them: one declaration per table of the
schema. ``tests/admin/test_subject_coverage.py`` walks every table and column of
``caseflow.models`` and fails when a table is missing here, when a table that references a
person (a foreign key to ``contact_person`` or ``application``) is not covered, when a column
that looks like personal data (a name, an email, a phone number, an address, notes, an IP
address …) in a covered table is neither exported and erased nor kept with a reason, when a
free text is neither covered nor searched for mentions (``Mentioned``) — and when the export
or the erasure does not do what is declared.

Plain data on purpose (table and column names): admin may not import ``caseflow.models``
(which sits above it), and the declaration must not change when a model is merely imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The tables whose rows are the subjects of data subject requests.
SUBJECT_TABLES = ("contact_person", "application")


@dataclass(frozen=True)
class Covered:
    """A table with personal data of contact persons or applicants.

    ``personal``: the columns with the person's data; every one is in the export (under
    ``export_key``) and is emptied or replaced by the erasure. ``kept``: columns that look
    personal but stay, each with the reason. ``export`` and ``erasure`` say how.
    """

    personal: tuple[str, ...]
    export_key: str
    export: str
    erasure: str
    kept: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mentioned:
    """A table without a reference to a person whose free texts (``columns``) may still name
    one: the export lists every mention of the person's full name, email or phone in the
    texts of their organisation's engagements, the erasure replaces each with the
    placeholder (``caseflow.admin.subject_mentions``). ``reason`` says what the table is."""

    columns: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class OutOfScope:
    """A table without personal data of contact persons or applicants; ``reason`` says why."""

    reason: str


STAFF = "Staff members' data: staff are not data subjects of these requests."

REGISTRY: dict[str, Covered | Mentioned | OutOfScope] = {
    # --- the subjects themselves ------------------------------------------------------------
    "contact_person": Covered(
        personal=("name", "role", "email", "phone", "notes"),
        export_key="record",
        export="Every column of the contact person, and its organisation's name.",
        erasure=(
            "anonymise_contact: the name becomes the placeholder; role, email, phone and "
            "notes are emptied; the row, its organisation and the primary flag stay."
        ),
    ),
    "application": Covered(
        personal=(
            "contact_name",
            "contact_role",
            "contact_email",
            "contact_phone",
            "address",
            "motivation",
            "known_barriers",
            "target_groups",
            "leadership_support_by",
            "steering_group",
            "decision_reason",
            "decision_note",
        ),
        export_key="record",
        export=(
            "Every column but the status link's hash and salt, the version counter, the "
            "round (exported by name) and who decided (staff)."
        ),
        erasure=(
            "The retention rule (anonymise_application): contact data, address and free "
            "texts replaced or emptied, the status link invalidated."
        ),
        kept={
            "organisation_name": (
                "The public authority's name, no natural person; kept for the funder's reporting."
            ),
            "website": "The authority's website; kept for the reporting.",
            "consent_text_version": (
                "The version of the consent text the applicant agreed to (a record of the "
                "legal basis), no personal data."
            ),
        },
    ),
    # --- rows about a subject -----------------------------------------------------------------
    "application_review": Covered(
        personal=("comment",),
        export_key="reviews",
        export="Each review's scores and comment, without the reviewer.",
        erasure="The comments are emptied (anonymise_application); the scores stay.",
    ),
    "audit_event": Covered(
        personal=("ip_address",),
        export_key="audit_events",
        export=(
            "The events about the application or contact person, without staff names and "
            "staff IP addresses; the IP address only on events of the public form."
        ),
        erasure=(
            "The IP addresses of the events about the application are removed; the events "
            "stay (they hold no free texts and no contact data)."
        ),
        kept={
            "actor_label": STAFF,
            "changes": (
                "Free texts are recorded as a marker only (audit.services.redacted), contact "
                "data as field names only (organisations.services, admin.subjects)."
            ),
        },
    ),
    # --- free texts of the team that may name a person ------------------------------------
    "engagement": Mentioned(
        ("notes", "extension_reason", "status_reason"),
        "An organisation's engagement, kept for the funder's reporting. It references no "
        "person (the application references it); its free texts are the team's notes.",
    ),
    "milestone": Mentioned(
        ("evidence_note", "drop_reason"),
        "An engagement's milestones: owners are staff, notes describe the organisation's results.",
    ),
    "activity": Mentioned(
        ("note",),
        "An engagement's activities: staff take part, participants only as a count.",
    ),
    "barrier": Mentioned(
        ("description", "measure_taken"),
        "An organisation's access barriers and the measures taken.",
    ),
    "follow_up": Mentioned(
        ("note",),
        "Follow-ups for staff on an engagement; no reminder goes to a contact person.",
    ),
    "selfcheck_response": Mentioned(
        ("respondent_name", "respondent_role"),
        "One person's Selbstcheck answers, reached through the round's link without an "
        "account; name and role are optional and free text, so they are searched like notes.",
    ),
    "selfcheck_answer": Mentioned(
        ("comment",),
        "A rating of a Selbstcheck statement with an optional comment by someone of the "
        "organisation.",
    ),
    "document": Mentioned(
        ("title",),
        "An engagement's documents; the team names them, and a title may name a person. What "
        "the files hold is not searched (issue 10 point 6 is still open).",
    ),
    "document_version": Mentioned(
        ("file_name",),
        "One uploaded file of a document: the name it was uploaded with may name a person.",
    ),
    # --- no personal data of contact persons or applicants ---------------------------------
    "selfcheck_statement": OutOfScope("The questionnaire's wording, no personal data."),
    "selfcheck_round": OutOfScope(
        "A Selbstcheck round of an engagement: dates, the link's hash; opened by staff."
    ),
    "selfcheck_round_statement": OutOfScope("Which statements a Selbstcheck round asked."),
    "client_link": OutOfScope(
        "The client view's link of an engagement: its hash and dates; created by staff."
    ),
    "organisation": OutOfScope(
        "A public authority or service, no natural person; its name is exported as the "
        "context of a contact or application and stays for the reporting."
    ),
    "phase": OutOfScope("An engagement's phases: names from the template."),
    "activity_staff": OutOfScope(STAFF),
    "assignment": OutOfScope(STAFF),
    "phase_template": OutOfScope("Phase templates, no personal data."),
    "template_phase": OutOfScope("Phase templates, no personal data."),
    "template_milestone": OutOfScope("Milestone templates, no personal data."),
    "application_round": OutOfScope("Application rounds: a name and a period."),
    "application_reference_counter": OutOfScope("The counters of reference numbers."),
    "notification": OutOfScope(
        "Notifications to staff; their texts name organisations, references and "
        "milestones, never contact persons (followups.sweeps)."
    ),
    "notification_preference": OutOfScope(STAFF),
    "calendar_token": OutOfScope(STAFF),
    "scheduler_heartbeat": OutOfScope("The scheduler process's sign of life."),
    "staff_member": OutOfScope(STAFF),
    "staff_measure": OutOfScope(STAFF),
    "login_session": OutOfScope(STAFF),
    "password_reset_token": OutOfScope(STAFF),
    "recovery_code": OutOfScope(STAFF),
    "app_setting": OutOfScope("Programme settings; the sender address is the programme's."),
}
