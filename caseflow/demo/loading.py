"""Loading the demo: the guard against a non-empty database and the builders in order."""

from __future__ import annotations

import json
import random
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from caseflow.audit.services import record
from caseflow.demo.applications import create_applications, create_rounds
from caseflow.demo.context import DEMO_TODAY, Demo, DemoError, at, count_rows
from caseflow.demo.documents import create_documents
from caseflow.demo.engagements import create_engagements
from caseflow.demo.organisations import create_organisations
from caseflow.demo.selfchecks import create_selfchecks
from caseflow.demo.staff import create_staff
from caseflow.demo.summary import summary
from caseflow.engagements.models import Engagement
from caseflow.intake.models import Application, ApplicationRound
from caseflow.organisations.models import Organisation
from caseflow.settings.services import change as change_setting
from caseflow.staff.models import StaffMember

DEMO_SEED = 20251015


def load_demo(session: Session) -> str:
    """Fill an empty database with the demo data set and return a German summary.

    Before: no staff member, organisation, application round, application or engagement
    exists. After: staff from the shipped contact list with three demo logins, client
    organisations, application rounds and applications in every status, engagements as they
    stand on ``DEMO_TODAY`` with their phases, milestones, activities, barriers,
    follow-ups, Selbstchecks and the documents of done milestones – all flushed, not
    committed. Raises ``DemoError`` when the database is not empty or the contact list
    cannot provide the people the demo needs; nothing is changed then (but the documents'
    files, which the next housekeeping removes as orphans).
    """
    _ensure_empty(session)
    demo = Demo(session=session, data=demo_data(), rng=random.Random(DEMO_SEED))
    with session.begin_nested():
        create_staff(demo)
        create_organisations(demo)
        create_rounds(demo)
        create_engagements(demo)
        create_selfchecks(demo)
        create_documents(demo)
        create_applications(demo)
        # The demo logins (a lead and an admin among them) log in with the password alone;
        # the banner says so. A real deployment keeps the default (leads and admins).
        change_setting(session, "TWO_FACTOR_ROLES", [], actor=None, now=at(DEMO_TODAY, 7))
        record(
            session,
            actor=None,
            action="demo.loaded",
            object_type="demo",
            object_id=None,
            changes={"demo_today": DEMO_TODAY, "seed": DEMO_SEED},
            at=at(DEMO_TODAY, 7),
        )
    return summary(session)


def demo_data() -> dict[str, Any]:
    """The demo content from ``caseflow/data/demo_*.json``, keyed by file (without prefix)."""
    folder = resources.files("caseflow.data")
    return {
        name: json.loads(folder.joinpath(f"demo_{name}.json").read_text("utf-8"))
        for name in ("organisations", "programme", "texts")
    }


def _ensure_empty(session: Session) -> None:
    """Refuse to load into a database that already holds programme data."""
    labels = {
        StaffMember: "Mitarbeitende",
        Organisation: "Organisationen",
        ApplicationRound: "Bewerbungsrunden",
        Application: "Bewerbungen",
        Engagement: "Prozessbegleitungen",
    }
    found = [
        f"{number} {label}"
        for model, label in labels.items()
        if (number := count_rows(session, model))
    ]
    if found:
        raise DemoError(
            "Die Demodaten können nur in eine leere Datenbank geladen werden, diese enthält "
            f"bereits {', '.join(found)}. Es wurde nichts verändert."
        )
