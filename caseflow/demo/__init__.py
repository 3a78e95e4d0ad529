"""The demo data set behind ``caseflow demo``: DiFair's measure 3 as it stands on 15.10.2025.

The content – organisations, application rounds, applications, engagements and the text
building blocks – lives in ``caseflow/data/demo_*.json``; this package turns it into rows.
Every date is absolute and built around ``DEMO_TODAY``, the day the demo app pretends it is
(``CASEFLOW_TODAY=2025-10-15``), never around the real date. Every random choice comes from
one seeded ``random.Random``, so two loads give the same data set – except password hashes
and status tokens, which have to stay secret.

Services that exist are used (staff import, logins, ``plan_engagement``) with the clock
frozen at the moment the step happened in the story, so their timestamps and audit events
fit the timeline. Later states (an engagement running, a milestone done, a barrier removed)
are set directly on the rows; the transition services come with later issues.

The builders, one module each: ``staff`` (contact list, logins), ``organisations``,
``applications`` (rounds, applications, reviews), ``engagements`` (planning, status,
follow-ups) with ``progress`` (milestones, activities, barriers), and ``summary``; they
share the state and date helpers of ``context``. ``loading`` runs them in order.
"""

from caseflow.demo.context import DEMO_TODAY, DemoError
from caseflow.demo.loading import DEMO_SEED, demo_data, load_demo
from caseflow.demo.staff import DEMO_ACCOUNTS, DEMO_LOGINS, DEMO_PASSWORD, DemoAccount

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DEMO_SEED",
    "DEMO_TODAY",
    "DemoAccount",
    "DemoError",
    "demo_data",
    "load_demo",
]
