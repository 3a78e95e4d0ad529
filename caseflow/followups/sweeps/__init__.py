"""The scheduled rules (DESIGN.md §4) as sweeps: plain functions of ``(session, now)``.

A sweep looks at everything due up to ``now`` and raises what is missing, so a sweep that
runs late (after a day of downtime) catches up once instead of once per missed run, and a
sweep that runs twice does nothing the second time: every notification has a unique
``dedup_key`` and every rule-made follow-up a unique ``rule_key``, written with
``INSERT … ON CONFLICT DO NOTHING`` (``caseflow.followups.notify``).

"Today" is ``now``'s date in the programme's time zone (Europe/Berlin). Each sweep runs a
fixed number of statements (one query, then one insert per ``BATCH_SIZE`` rows), only
flushes, and returns how many rows it created; the caller commits.

The rules:

- milestone reminders: an open milestone of an open engagement (geplant, aktiv, pausiert)
  gets one reminder while it is due in 4–14 days, one while due in 0–3 days, and one alert
  from the day after its due day on; a late sweep raises only the most urgent one (a 14-day
  reminder after the 3-day one would be wrong). The key holds the due day, so a rescheduled
  milestone is reminded again. Recipient: its owner, else the engagement's lead;
- follow-ups due: an open follow-up due at or before ``now`` → its assignee, else the lead;
  of open engagements, and the sustainability checks of completed ones;
- engagement ending: an aktiv or pausiert engagement whose planned end is at most 30 days
  away (or already past) → the lead; the key holds the planned end, so an extension is
  announced again;
- sustainability checks: a completed (``abgeschlossen``) engagement gets follow-ups
  (Nachhaltigkeitscheck, assigned to the lead) at 09:00 local time 3 and 6 months after
  its actual end; a run that created checks records one audit event (how many, which);
- new applications: an undecided application (eingegangen, in_pruefung, vorgespraech; not
  anonymised) submitted within the last 30 days → each active lead (``Role.LEAD``; when
  there is none, each active admin), once per application and person. The 30 days bound
  the catch-up: a scheduler that was down for weeks, or a first start on old data, does not
  announce applications that are long known;
- undecided applications: an application still eingegangen, in_pruefung or vorgespraech
  when ``DECISION_WORKING_DAYS`` (10) Berlin working days have passed since its submission
  (counted from the local day after it; due at 00:00 after the last of them, see
  ``caseflow.followups.workdays``) → the leads (else admins), once per application and
  person;
- weekly digest: from Monday 08:00 Europe/Berlin until the end of that ISO week (so a
  scheduler that was down on Monday catches up once), one digest per ISO week for each
  active staff member who can log in, is on the team of an open engagement and has not
  turned the digest off: the milestones they answer for (owner, else the engagement's
  lead) that are overdue or due in the 14 days from today, and their open follow-ups
  (assignee, else lead) due before then, overdue ones included;
- data retention: declined or withdrawn applications older than ``RETENTION_MONTHS`` (6)
  are anonymised in place (``caseflow.intake.services.retention``), the IP addresses of
  their audit events removed; from ``CONTACT_RETENTION_YEARS`` (3) after ``PROGRAMME_END``
  on, the contact persons of organisations without an open engagement or application are
  anonymised, and the applications linked to those organisations with them
  (``caseflow.followups.sweeps.anonymisation``); each rule records one audit event per run
  (count 0 included);
- damaged files: a document version whose stored file was found missing or changed
  (``caseflow.documents.integrity``) → each active admin, once per damage and person
  (``caseflow.followups.sweeps.documents``).

Reminders reach only active staff members (``StaffMember.is_active``): an inactive owner or
assignee is replaced by the engagement's lead when the lead is active; when nobody active is
left, no notification is raised (and none later: the item waits until someone active is
named). The same holds for the digest's items.

Texts name organisations, references and milestones, never contact persons. Each text is
written in its recipient's language (``StaffMember.locale``, German when unset).
"""

from __future__ import annotations

from caseflow.followups.sweeps.applications import (
    applications_new,
    applications_undecided,
    retention,
)
from caseflow.followups.sweeps.common import Sweep, application_link, engagement_link
from caseflow.followups.sweeps.digest import digest_week, weekly_digest
from caseflow.followups.sweeps.documents import documents_damaged
from caseflow.followups.sweeps.engagements import (
    engagements_ending,
    follow_ups_due,
    milestone_reminders,
    sustainability_follow_ups,
)
from caseflow.translating import lazy_gettext as _l

SWEEPS: tuple[Sweep, ...] = (
    Sweep("milestones", _l("Meilenstein-Erinnerungen"), milestone_reminders),
    Sweep("sustainability", _l("Nachhaltigkeitschecks"), sustainability_follow_ups),
    Sweep("follow_ups", _l("Fällige Wiedervorlagen"), follow_ups_due),
    Sweep("engagements_ending", _l("Endende Prozessbegleitungen"), engagements_ending),
    Sweep("applications_new", _l("Neue Bewerbungen"), applications_new),
    Sweep("applications_undecided", _l("Unentschiedene Bewerbungen"), applications_undecided),
    Sweep("digest", _l("Wochenübersicht"), weekly_digest),
    Sweep("retention", _l("Anonymisierung nach Aufbewahrungsfristen"), retention),
    Sweep("documents_damaged", _l("Beschädigte Dateien"), documents_damaged),
)

__all__ = [
    "SWEEPS",
    "Sweep",
    "application_link",
    "applications_new",
    "applications_undecided",
    "digest_week",
    "documents_damaged",
    "engagement_link",
    "engagements_ending",
    "follow_ups_due",
    "milestone_reminders",
    "retention",
    "sustainability_follow_ups",
    "weekly_digest",
]
