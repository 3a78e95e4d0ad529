"""``/admin/retention``: the retention rules with their configured periods, what will be
anonymised when (declined and withdrawn applications; contact persons of organisations
nothing keeps any more), and the last runs of the retention job from the audit trail.

The rules themselves live in ``caseflow.followups.sweeps.anonymisation`` and
``caseflow.intake.services.retention``; this page only reads. Contacts are listed by
organisation and number, not by name. A fixed number of statements.
"""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from flask import render_template

from caseflow import clock
from caseflow.admin.views.blueprint import bp
from caseflow.extensions import db
from caseflow.followups.sweeps.anonymisation import (
    contact_due_on,
    kept_contact_count,
    pending_applications,
    pending_contacts,
    recent_runs,
)
from caseflow.settings.services import values
from caseflow.staff.access import admin_required

RUNS_SHOWN = 20


@bp.get("/retention")
@admin_required
def retention() -> str:
    """The retention rules, what is due when, and the last runs."""
    months, years, programme_end = values(
        "RETENTION_MONTHS", "CONTACT_RETENTION_YEARS", "PROGRAMME_END"
    )
    now: datetime = clock.now()
    contacts_due_on = contact_due_on(programme_end, years)
    return render_template(
        "admin/retention.html",
        months=months,
        years=years,
        programme_end=programme_end,
        contacts_due_on=contacts_due_on,
        contacts_due_now=clock.today() >= contacts_due_on,
        now=now,
        # Applications declined or withdrawn at or before this moment are anonymised by the
        # next run.
        application_cutoff=now - relativedelta(months=months),
        applications=pending_applications(
            db.session, months=months, contacts_due_at=clock.start_of_day(contacts_due_on)
        ),
        contacts=pending_contacts(db.session),
        kept_contacts=kept_contact_count(db.session),
        runs=recent_runs(db.session, limit=RUNS_SHOWN),
    )
