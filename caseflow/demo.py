"""The demo data set behind ``caseflow demo``: DiFair's measure 3 as it stands on 15.10.2025.

The content – organisations, application rounds, applications, engagements and the text
building blocks – lives in ``caseflow/data/demo_*.json``; this module turns it into rows.
Every date is absolute and built around ``DEMO_TODAY``, the day the demo app pretends it is
(``CASEFLOW_TODAY=2025-10-15``), never around the real date. Every random choice comes from
one seeded ``random.Random``, so two loads give the same data set – except password hashes
and status tokens, which have to stay secret.

Services that exist are used (staff import, logins, ``plan_engagement``) with the clock
frozen at the moment the step happened in the story, so their timestamps and audit events
fit the timeline. Later states (an engagement running, a milestone done, a barrier removed)
are set directly on the rows; the transition services come with later issues.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from caseflow import clock
from caseflow.audit.services import record
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Activity,
    ActivityKind,
    Barrier,
    BarrierCategory,
    BarrierStatus,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    PhaseTemplate,
)
from caseflow.engagements.planning import default_template
from caseflow.engagements.rules import ProgrammeWindow
from caseflow.engagements.services import plan_engagement
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from caseflow.intake.models import (
    DECIDED_STATUSES,
    Application,
    ApplicationReview,
    ApplicationRound,
    ApplicationStatus,
)
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.staff.importer import StaffImportError, import_staff_file
from caseflow.staff.models import Role, StaffMember
from caseflow.staff.services import create_login

# The demo password is printed by ``caseflow demo`` for everyone to use: it guards nothing.
DEMO_PASSWORD = "caseflow-demo"  # noqa: S105
DEMO_LOGINS = [
    ("leitung@example.org", "Projektleitung"),
    ("beratung@example.org", "Prozessbegleitung"),
    ("admin@example.org", "Administration"),
]
DEMO_TODAY = date(2025, 10, 15)
# DiFair's funding period; the demo tells its story inside it whatever the app is configured to.
DEMO_WINDOW = ProgrammeWindow(start=date(2024, 4, 1), end=date(2026, 7, 31))
DEMO_SEED = 20251015


@dataclass(frozen=True)
class DemoAccount:
    """A demo login; ``staff_name`` is the contact-list person it belongs to (None: new)."""

    email: str
    role: Role
    staff_name: str | None


DEMO_ACCOUNTS = (
    DemoAccount("leitung@example.org", Role.LEAD, "Teo Lünstroth"),
    DemoAccount("beratung@example.org", Role.CONSULTANT, "Selen Eriçok"),
    DemoAccount("admin@example.org", Role.ADMIN, None),
)
ADMIN_NAME = "Demo-Administration"
ADMIN_ORGANISATION = "BQN Berlin"
PASSWORD_MIN_LENGTH = 12
CONTACT_LIST = "contact_list.csv"

# The project lead who decides on applications, and the people who review them.
DECIDING_LEAD = "Teo Lünstroth"
REVIEWERS = ("Selen Eriçok", "Jana Nau", "Matthias Pfleger", "Teo Lünstroth")
CONSENT_TEXT_VERSION = "2024-01"

# The day the contact list was imported and the logins were created.
SETUP_DAY = date(2024, 1, 8)
ONE_DAY = timedelta(days=1)

# Days a milestone was completed after (negative: before) its due date.
COMPLETION_OFFSETS = (-4, -2, -1, 0, 0, 0, 1, 2, 3, 6)
GATE_COMPLETION_OFFSETS = (0, 0, -1, -2)
CO_COMPLETES_SHARE = 0.25
CO_JOINS_ACTIVITY_SHARE = 0.5

# How far barriers have got, by the share of the engagement that has passed.
BARRIER_STATUS_BY_PROGRESS = (
    (0.5, ("abgebaut", "abgebaut", "in_bearbeitung", "erkannt")),
    (0.2, ("in_bearbeitung", "in_bearbeitung", "erkannt", "abgebaut")),
    (0.0, ("erkannt", "erkannt", "in_bearbeitung")),
)
BARRIER_STATUS_WHEN_FINISHED = ("abgebaut", "abgebaut", "abgebaut", "in_bearbeitung")
BARRIER_RESOLUTION_DAYS = (30, 180)

REVIEW_COUNT = {
    ApplicationStatus.EINGEGANGEN: 0,
    ApplicationStatus.IN_PRUEFUNG: 1,
    ApplicationStatus.ZURUECKGEZOGEN: 0,
}
REVIEW_PROFILE = {
    ApplicationStatus.ANGENOMMEN: "strong",
    ApplicationStatus.VORGESPRAECH: "strong",
    ApplicationStatus.ABGELEHNT: "weak",
}
SCORE_RANGE = {"strong": (4, 5), "medium": (3, 4), "weak": (1, 3)}
SCORE_COLUMNS = ("score_leadership", "score_resources", "score_relevance", "score_feasibility")

Entry = dict[str, Any]


class DemoError(RuntimeError):
    """The demo cannot be loaded (German message); nothing was changed."""


# --- the public entry point -------------------------------------------------------------


def load_demo(session: Session) -> str:
    """Fill an empty database with the demo data set and return a German summary.

    Before: no staff member, organisation, application round, application or engagement
    exists. After: staff from the shipped contact list with three demo logins, client
    organisations, application rounds and applications in every status, engagements as they
    stand on ``DEMO_TODAY`` with their phases, milestones, activities, barriers and
    follow-ups – all flushed, not committed. Raises ``DemoError`` when the database is not
    empty or the contact list cannot provide the people the demo needs; nothing is changed
    then.
    """
    _ensure_empty(session)
    demo = _Demo(session=session, data=demo_data(), rng=random.Random(DEMO_SEED))
    with session.begin_nested():
        _create_staff(demo)
        _create_organisations(demo)
        _create_rounds(demo)
        _create_engagements(demo)
        _create_applications(demo)
        record(
            session,
            actor=None,
            action="demo.loaded",
            object_type="demo",
            object_id=None,
            changes={"demo_today": DEMO_TODAY, "seed": DEMO_SEED},
            at=_at(DEMO_TODAY, 7),
        )
    return _summary(session)


def demo_data() -> dict[str, Any]:
    """The demo content from ``caseflow/data/demo_*.json``, keyed by file (without prefix)."""
    folder = resources.files("caseflow.data")
    return {
        name: json.loads(folder.joinpath(f"demo_{name}.json").read_text("utf-8"))
        for name in ("organisations", "programme", "texts")
    }


# --- context and small helpers ----------------------------------------------------------


@dataclass
class _Demo:
    """Everything the builders share while one demo is being loaded."""

    session: Session
    data: dict[str, Any]
    rng: random.Random
    staff: dict[str, StaffMember] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    rounds: dict[str, ApplicationRound] = field(default_factory=dict)
    engagements: dict[str, Engagement] = field(default_factory=dict)
    template: PhaseTemplate | None = None

    @property
    def texts(self) -> Entry:
        return self.data["texts"]

    @property
    def programme(self) -> Entry:
        return self.data["programme"]

    def member(self, name: str) -> StaffMember:
        """The staff member of that name (accents and case ignored)."""
        member = self.staff.get(_name_key(name))
        if member is None:
            raise DemoError(
                f"Die Kontaktliste enthält keine Person namens „{name}“; "
                "die Demodaten brauchen sie."
            )
        return member

    def organisation_entry(self, key: str) -> Entry:
        return next(e for e in self.data["organisations"]["organisations"] if e["key"] == key)

    def accepted_application(self, key: str) -> Entry | None:
        return next(
            (
                entry
                for entry in self.programme["applications"]
                if entry["org"] == key and entry["status"] == ApplicationStatus.ANGENOMMEN
            ),
            None,
        )


def _name_key(name: str) -> str:
    """A name for matching: case-folded, without accents ("Selen Eriçok" = "selen ericok")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().strip())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local Berlin wall-clock time on ``day`` as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.timezone()).astimezone(UTC)


def _moment(text: str) -> datetime:
    """``"2025-10-15 09:30"`` (local Berlin time) as an aware UTC datetime."""
    day, wall = text.split(" ")
    local = datetime.combine(_day(day), time.fromisoformat(wall), tzinfo=clock.timezone())
    return local.astimezone(UTC)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(clock.timezone()).date()


def _demo_morning() -> datetime:
    """8:00 on the demo day, the latest moment anything in the data set was created."""
    return _at(DEMO_TODAY, 8)


def _count(session: Session, model: type, *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _counts_by(session: Session, column: InstrumentedAttribute[Any]) -> Counter[Any]:
    rows = session.execute(select(column, func.count()).group_by(column))
    return Counter({value: number for value, number in rows})


# --- guard ------------------------------------------------------------------------------


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
        f"{number} {label}" for model, label in labels.items() if (number := _count(session, model))
    ]
    if found:
        raise DemoError(
            "Die Demodaten können nur in eine leere Datenbank geladen werden, diese enthält "
            f"bereits {', '.join(found)}. Es wurde nichts verändert."
        )


# --- staff ------------------------------------------------------------------------------


def _create_staff(demo: _Demo) -> None:
    """Import the contact list, create the demo logins and the default phase template."""
    with clock.frozen(_at(SETUP_DAY, 9)) as now:
        _import_contact_list(demo, now)
        for account in DEMO_ACCOUNTS:
            _create_login(demo, account, now)
        demo.template = default_template(demo.session, now=now)


def _import_contact_list(demo: _Demo, now: datetime) -> None:
    source = resources.files("caseflow.data").joinpath(CONTACT_LIST)
    with resources.as_file(source) as path:
        if not path.is_file():
            raise DemoError(f"Die Kontaktliste caseflow/data/{CONTACT_LIST} fehlt.")
        try:
            import_staff_file(demo.session, path, now=now)
        except StaffImportError as exc:
            raise DemoError(f"Die Kontaktliste lässt sich nicht importieren: {exc}") from exc
    for member in demo.session.scalars(select(StaffMember)):
        demo.staff[_name_key(member.name)] = member


def _create_login(demo: _Demo, account: DemoAccount, now: datetime) -> None:
    if account.staff_name is None:
        name = ADMIN_NAME
    else:
        person = demo.member(account.staff_name)
        # The demo login address replaces any address from the contact list, so that
        # create_login finds this person instead of creating a namesake.
        person.email = account.email
        name = person.name
    member = create_login(
        demo.session,
        name=name,
        email=account.email,
        role=account.role,
        password=DEMO_PASSWORD,
        actor=None,
        min_length=PASSWORD_MIN_LENGTH,
        now=now,
    )
    if account.staff_name is None:
        member.organisation = ADMIN_ORGANISATION
    demo.staff[_name_key(member.name)] = member


# --- organisations and rounds -----------------------------------------------------------


def _create_organisations(demo: _Demo) -> None:
    """The registered organisations with their contact persons."""
    for entry in demo.data["organisations"]["organisations"]:
        if entry["registered"]:
            organisation = _organisation(entry, _organisation_created_at(demo, entry))
            demo.organisations[entry["key"]] = organisation
            demo.session.add(organisation)


def _organisation_created_at(demo: _Demo, entry: Entry) -> datetime:
    """When the organisation was registered: on acceptance, else on its recorded day."""
    accepted = demo.accepted_application(entry["key"])
    if accepted is not None:
        return _moment(accepted["decided"])
    return _at(_day(entry["created"]), 10)


def _organisation(entry: Entry, created_at: datetime) -> Organisation:
    organisation = Organisation(
        name=entry["name"],
        sector=Sector(entry["sector"]),
        subtype=entry["subtype"],
        district=District(entry["district"]),
        address=entry["address"],
        website=entry["website"],
        staff_size=entry["staff_size"],
        created_at=created_at,
    )
    for contact in entry["contacts"]:
        organisation.contacts.append(
            ContactPerson(
                name=contact["name"],
                role=contact["role"],
                email=contact["email"],
                phone=contact["phone"],
                is_primary=contact.get("primary", False),
                created_at=created_at,
            )
        )
    return organisation


def _create_rounds(demo: _Demo) -> None:
    """Rounds open at local midnight of their first day and close after their last day."""
    for entry in demo.programme["rounds"]:
        application_round = ApplicationRound(
            name=entry["name"],
            opens_at=clock.start_of_day(_day(entry["first_day"])),
            closes_at=clock.start_of_day(_day(entry["last_day"]) + ONE_DAY),
            created_at=_at(_day(entry["created"]), 10),
        )
        demo.rounds[entry["key"]] = application_round
        demo.session.add(application_round)


# --- engagements ------------------------------------------------------------------------


def _create_engagements(demo: _Demo) -> None:
    """Plan every engagement when it was decided, then bring it to its state on demo day."""
    # plan_engagement flushes what it creates; the later states go in with one flush.
    with demo.session.no_autoflush:
        for spec in demo.programme["engagements"]:
            engagement = _plan(demo, spec)
            demo.engagements[spec["org"]] = engagement
            _set_status(engagement, spec)
            horizon = _horizon(spec)
            if horizon is not None:
                _record_progress(demo, engagement, spec, horizon)
            _add_follow_ups(demo, engagement, spec)
    demo.session.flush()


def _plan(demo: _Demo, spec: Entry) -> Engagement:
    accepted = demo.accepted_application(spec["org"])
    if accepted is None:
        raise DemoError(f"Demodaten: keine angenommene Bewerbung für „{spec['org']}“.")
    with clock.frozen(_moment(accepted["decided"])) as decided_at:
        return plan_engagement(
            demo.session,
            organisation=demo.organisations[spec["org"]],
            start_date=_day(spec["start"]),
            planned_end_date=_day(spec["end"]),
            lead=demo.member(spec["lead"]),
            co_consultants=[demo.member(name) for name in spec["co"]],
            window=DEMO_WINDOW,
            actor=demo.member(DECIDING_LEAD),
            now=decided_at,
            template=demo.template,
        )


def _set_status(engagement: Engagement, spec: Entry) -> None:
    status = EngagementStatus(spec["status"])
    engagement.status = status
    engagement.status_reason = spec.get("status_reason")
    if status in CLOSED_STATUSES:
        engagement.actual_end_date = _day(spec.get("actual_end", spec["end"]))
        engagement.status_changed_at = _at(engagement.actual_end_date, 16)
    elif status is EngagementStatus.PAUSIERT:
        engagement.status_changed_at = _at(_day(spec["status_since"]), 10)
    elif status is EngagementStatus.AKTIV:
        engagement.status_changed_at = _at(engagement.start_date, 9)


def _horizon(spec: Entry) -> date | None:
    """The last day work happened in the engagement (None: it has not begun)."""
    status = EngagementStatus(spec["status"])
    if status is EngagementStatus.GEPLANT:
        return None
    if status in CLOSED_STATUSES:
        return _day(spec.get("actual_end", spec["end"]))
    if status is EngagementStatus.PAUSIERT:
        return _day(spec["status_since"])
    return DEMO_TODAY - ONE_DAY


def _record_progress(demo: _Demo, engagement: Engagement, spec: Entry, horizon: date) -> None:
    for phase in engagement.phases:
        if phase.start_date <= horizon:
            phase.started_on = phase.start_date
        for milestone in phase.milestones:
            _settle_milestone(demo, engagement, milestone, spec, horizon)
    _add_activities(demo, engagement, spec, horizon)
    _add_barriers(demo, engagement, horizon)


def _settle_milestone(
    demo: _Demo, engagement: Engagement, milestone: Milestone, spec: Entry, horizon: date
) -> None:
    """Done if due by the horizon (all of them in a completed engagement), unless the spec
    keeps it open (overdue) or dropped."""
    dropped = spec.get("dropped", {})
    is_completed = engagement.status is EngagementStatus.ABGESCHLOSSEN
    if milestone.title in dropped:
        _drop(milestone, dropped[milestone.title])
    elif milestone.due_date > horizon and not is_completed:
        if "dropped_after_end" in spec:
            _drop(milestone, spec["dropped_after_end"])
    elif milestone.title not in spec.get("open", ()):
        _complete(demo, engagement, milestone, horizon)


def _drop(milestone: Milestone, reason: str) -> None:
    milestone.status = MilestoneStatus.ENTFALLEN
    milestone.drop_reason = reason


def _complete(demo: _Demo, engagement: Engagement, milestone: Milestone, horizon: date) -> None:
    # A gate is done by its due date: the next phase starts the day after.
    offsets = GATE_COMPLETION_OFFSETS if milestone.is_gate else COMPLETION_OFFSETS
    completed_on = milestone.due_date + timedelta(days=demo.rng.choice(offsets))
    milestone.status = MilestoneStatus.ERLEDIGT
    milestone.completed_on = min(max(completed_on, engagement.start_date), horizon)
    milestone.completed_by = _completer(demo, engagement)
    texts = demo.texts["milestones"].get(milestone.title)
    milestone.evidence_note = demo.rng.choice(texts["evidence"]) if texts else None


def _completer(demo: _Demo, engagement: Engagement) -> StaffMember:
    team = engagement.team
    if len(team) > 1 and demo.rng.random() < CO_COMPLETES_SHARE:
        return demo.rng.choice(team[1:])
    return team[0]


# --- activities -------------------------------------------------------------------------


def _add_activities(demo: _Demo, engagement: Engagement, spec: Entry, horizon: date) -> None:
    """An activity for each completed milestone that has one, fillers and scripted extras."""
    for milestone in _completed_milestones(engagement):
        template = demo.texts["milestones"].get(milestone.title, {}).get("activity")
        if template:
            note = demo.rng.choice(template["notes"])
            _add_activity(demo, engagement, milestone.completed_on, template, note)
    for day, filler in _fillers(demo, engagement, horizon):
        _add_activity(demo, engagement, day, filler, filler["note"])
    for extra in spec.get("activities", ()):
        _add_activity(demo, engagement, _day(extra["on"]), extra, extra["note"])


def _completed_milestones(engagement: Engagement) -> list[Milestone]:
    return [
        milestone
        for phase in engagement.phases
        for milestone in phase.milestones
        if milestone.status is MilestoneStatus.ERLEDIGT
    ]


def _fillers(demo: _Demo, engagement: Engagement, horizon: date) -> list[tuple[date, Entry]]:
    """A few calls, notes and meetings between the milestones, two plus one per four months,
    each on a day in or after the phase it belongs to."""
    phase_starts = [phase.start_date for phase in engagement.phases]
    fitting = [f for f in demo.texts["filler_activities"] if phase_starts[f["phase"] - 1] < horizon]
    count = min(2 + (horizon - engagement.start_date).days // 120, 5, len(fitting))
    chosen = []
    for filler in demo.rng.sample(fitting, count):
        earliest = phase_starts[filler["phase"] - 1]
        chosen.append(
            (earliest + timedelta(days=demo.rng.randint(1, (horizon - earliest).days)), filler)
        )
    return sorted(chosen, key=lambda pair: pair[0])


def _add_activity(
    demo: _Demo, engagement: Engagement, day: date, template: Entry, note: str
) -> None:
    team = engagement.team
    staff = [team[0]]
    if len(team) > 1 and demo.rng.random() < CO_JOINS_ACTIVITY_SHARE:
        staff.append(team[1])
    engagement.activities.append(
        Activity(
            occurred_on=day,
            kind=ActivityKind(template["kind"]),
            duration_minutes=template.get("minutes"),
            participants_count=_participants(demo, template.get("participants")),
            note=note,
            author=team[0],
            staff=staff,
            created_at=_at(day, 17),
        )
    )


def _participants(demo: _Demo, participants: int | Sequence[int] | None) -> int | None:
    if participants is None or isinstance(participants, int):
        return participants
    low, high = participants
    return demo.rng.randint(low, high)


# --- barriers ---------------------------------------------------------------------------


def _add_barriers(demo: _Demo, engagement: Engagement, horizon: date) -> None:
    """Two to five barriers in different categories, as far along as the engagement is."""
    span = (horizon - engagement.start_date).days
    if span < 14:
        return
    count = 2 if span < 60 else demo.rng.randint(2, 5)
    for category in demo.rng.sample(list(BarrierCategory), count):
        text = demo.rng.choice(demo.texts["barriers"][category.value])
        identified_on = _identified_on(demo, engagement, horizon)
        engagement.barriers.append(
            _barrier(demo, engagement, category, text, identified_on, horizon)
        )


def _identified_on(demo: _Demo, engagement: Engagement, horizon: date) -> date:
    """A day in the analysis phase (phase 2) up to the horizon, else since the start."""
    analysis = engagement.phases[1]
    first = analysis.start_date if analysis.start_date <= horizon else engagement.start_date
    last = min(analysis.end_date, horizon)
    return first + timedelta(days=demo.rng.randint(0, (last - first).days))


def _barrier(
    demo: _Demo,
    engagement: Engagement,
    category: BarrierCategory,
    text: Entry,
    identified_on: date,
    horizon: date,
) -> Barrier:
    status = BarrierStatus(demo.rng.choice(_barrier_statuses(engagement, horizon)))
    resolved_on = None
    if status is BarrierStatus.ABGEBAUT:
        resolved_on = identified_on + timedelta(days=demo.rng.randint(*BARRIER_RESOLUTION_DAYS))
        if resolved_on > horizon:
            status, resolved_on = BarrierStatus.IN_BEARBEITUNG, None
    return Barrier(
        category=category,
        description=text["description"],
        status=status,
        measure_taken=_measure_taken(demo, status, text),
        identified_on=identified_on,
        resolved_on=resolved_on,
        created_at=_at(identified_on, 15),
    )


def _measure_taken(demo: _Demo, status: BarrierStatus, text: Entry) -> str | None:
    if status is BarrierStatus.ABGEBAUT:
        return text["measure"]
    if status is BarrierStatus.IN_BEARBEITUNG:
        return demo.rng.choice(demo.texts["barrier_progress"]["in_bearbeitung"])
    return None


def _barrier_statuses(engagement: Engagement, horizon: date) -> Sequence[str]:
    if engagement.status is EngagementStatus.ABGESCHLOSSEN:
        return BARRIER_STATUS_WHEN_FINISHED
    progress = (horizon - engagement.start_date) / (
        engagement.planned_end_date - engagement.start_date
    )
    return next(choices for floor, choices in BARRIER_STATUS_BY_PROGRESS if progress >= floor)


# --- follow-ups -------------------------------------------------------------------------


def _add_follow_ups(demo: _Demo, engagement: Engagement, spec: Entry) -> None:
    """Check-ins for the lead consultant, created two weeks ahead (at the latest today)."""
    for entry in spec.get("followups", ()):
        due_at = _moment(entry["due"])
        demo.session.add(
            FollowUp(
                engagement=engagement,
                due_at=due_at,
                kind=FollowUpKind.CHECK_IN,
                assignee=engagement.lead,
                status=FollowUpStatus(entry.get("status", FollowUpStatus.OFFEN)),
                note=entry["note"],
                created_at=min(due_at - timedelta(days=14), _demo_morning()),
                closed_at=_moment(entry["closed"]) if "closed" in entry else None,
            )
        )


# --- applications -----------------------------------------------------------------------


def _create_applications(demo: _Demo) -> None:
    """Every application in submission order, numbered per year (``DF-2025-0007``)."""
    entries = sorted(demo.programme["applications"], key=lambda e: _moment(e["submitted"]))
    numbers: Counter[int] = Counter()
    for entry in entries:
        year = _local_day(_moment(entry["submitted"])).year
        numbers[year] += 1
        application = _application(demo, entry, year, numbers[year])
        _add_reviews(demo, application, entry)
        demo.session.add(application)
    demo.session.flush()


def _application(demo: _Demo, entry: Entry, year: int, number: int) -> Application:
    submitted_at = _moment(entry["submitted"])
    return Application(
        round=demo.rounds[entry["round"]],
        reference=f"DF-{year}-{number:04d}",
        reference_year=year,
        reference_number=number,
        status_token_hash=_status_token_hash(),
        status=ApplicationStatus(entry["status"]),
        submitted_at=submitted_at,
        consent_at=submitted_at,
        consent_text_version=CONSENT_TEXT_VERSION,
        **_applicant_fields(demo.organisation_entry(entry["org"])),
        **_request_fields(entry),
        **_outcome_fields(demo, entry),
    )


def _status_token_hash() -> str:
    """The hash of a fresh status token; the token itself is thrown away (demo only)."""
    return hashlib.sha256(secrets.token_urlsafe(32).encode()).hexdigest()


def _applicant_fields(organisation: Entry) -> Entry:
    """The organisation and contact data as the applicant typed it into the form."""
    contact = next(c for c in organisation["contacts"] if c.get("primary"))
    return {
        "organisation_name": organisation["name"],
        "sector": Sector(organisation["sector"]),
        "subtype": organisation["subtype"],
        "district": District(organisation["district"]),
        "address": organisation["address"],
        "website": organisation["website"],
        "staff_size": organisation["staff_size"],
        "contact_name": contact["name"],
        "contact_role": contact["role"],
        "contact_email": contact["email"],
        "contact_phone": contact["phone"],
    }


def _request_fields(entry: Entry) -> Entry:
    return {
        "motivation": entry["motivation"],
        "known_barriers": entry["known_barriers"],
        "target_groups": entry["target_groups"],
        "has_leadership_support": entry.get("leadership_support", True),
        "leadership_support_by": entry["leadership_support_by"],
        "steering_group": entry["steering_group"],
        "desired_start": _day(entry["desired_start"]),
        "desired_duration_months": entry["desired_months"],
    }


def _outcome_fields(demo: _Demo, entry: Entry) -> Entry:
    """Preliminary talk, decision, withdrawal and the links an acceptance creates."""
    status = ApplicationStatus(entry["status"])
    is_decided = status in DECIDED_STATUSES
    reason = entry.get("reason")
    if status is ApplicationStatus.ANGENOMMEN and reason is None:
        reason = demo.rng.choice(demo.texts["acceptance_reasons"])
    return {
        "preliminary_talk_on": _day(entry["talk"]) if "talk" in entry else None,
        "decision_reason": reason,
        "decided_by": demo.member(DECIDING_LEAD) if is_decided else None,
        "decided_at": _moment(entry["decided"]) if is_decided else None,
        "withdrawn_at": _moment(entry["withdrawn"]) if "withdrawn" in entry else None,
        "organisation": demo.organisations.get(entry["org"]),
        "engagement": demo.engagements.get(entry["org"])
        if status is ApplicationStatus.ANGENOMMEN
        else None,
    }


def _add_reviews(demo: _Demo, application: Application, entry: Entry) -> None:
    count = entry.get("reviews", REVIEW_COUNT.get(application.status, 2))
    profile = REVIEW_PROFILE.get(application.status, "medium")
    for reviewer in demo.rng.sample(REVIEWERS, count):
        reviewed_at = _reviewed_at(demo, application)
        application.reviews.append(
            ApplicationReview(
                reviewer=demo.member(reviewer),
                comment=demo.rng.choice(demo.texts["reviews"][profile]),
                created_at=reviewed_at,
                updated_at=reviewed_at,
                **_scores(demo, profile, application.has_leadership_support),
            )
        )


def _scores(demo: _Demo, profile: str, has_leadership_support: bool) -> dict[str, int]:
    low, high = SCORE_RANGE[profile]
    scores = {column: demo.rng.randint(low, high) for column in SCORE_COLUMNS}
    if not has_leadership_support:
        scores["score_leadership"] = 1
    return scores


def _reviewed_at(demo: _Demo, application: Application) -> datetime:
    """A moment between submission and decision (or withdrawal, or the demo morning)."""
    until = application.decided_at or application.withdrawn_at or _demo_morning()
    moment = application.submitted_at + (until - application.submitted_at) * demo.rng.uniform(
        0.2, 0.7
    )
    return moment.replace(second=0, microsecond=0)


# --- summary ----------------------------------------------------------------------------


def _summary(session: Session) -> str:
    """What was created, in German, for the CLI to print."""
    return "\n".join(
        [
            f"Demodaten geladen – Stand {DEMO_TODAY:%d.%m.%Y} "
            f"(die Demo läuft mit CASEFLOW_TODAY={DEMO_TODAY.isoformat()}).",
            _staff_line(session),
            _organisation_line(session),
            _round_line(session),
            _status_line("Bewerbungen", _counts_by(session, Application.status), ApplicationStatus),
            _status_line(
                "Prozessbegleitungen", _counts_by(session, Engagement.status), EngagementStatus
            ),
            _milestone_line(session),
            _work_line(session),
        ]
    )


def _staff_line(session: Session) -> str:
    with_login = _count(session, StaffMember, StaffMember.password_hash.is_not(None))
    return f"  Mitarbeitende: {_count(session, StaffMember)} ({with_login} mit Login)"


def _organisation_line(session: Session) -> str:
    districts = session.scalar(
        select(func.count(func.distinct(Organisation.district))).where(
            Organisation.district != District.BERLINWEIT
        )
    )
    return (
        f"  Organisationen: {_count(session, Organisation)} aus {districts} Bezirken und "
        f"berlinweit, mit {_count(session, ContactPerson)} Ansprechpersonen"
    )


def _round_line(session: Session) -> str:
    rounds = list(session.scalars(select(ApplicationRound).order_by(ApplicationRound.opens_at)))
    noon = _at(DEMO_TODAY, 12)
    open_names = ", ".join(r.name for r in rounds if r.is_open(noon)) or "keine"
    return f"  Bewerbungsrunden: {len(rounds)} (offen am {DEMO_TODAY:%d.%m.%Y}: {open_names})"


def _status_line(label: str, counts: Counter[Any], statuses: Iterable[Any]) -> str:
    parts = ", ".join(f"{counts[status]} {status.label}" for status in statuses if counts[status])
    return f"  {label}: {sum(counts.values())} ({parts})"


def _milestone_line(session: Session) -> str:
    counts = _counts_by(session, Milestone.status)
    overdue = _count(
        session,
        Milestone,
        Milestone.status == MilestoneStatus.OFFEN,
        Milestone.due_date < DEMO_TODAY,
    )
    return (
        f"  Meilensteine: {sum(counts.values())} ({counts[MilestoneStatus.ERLEDIGT]} erledigt, "
        f"{counts[MilestoneStatus.OFFEN]} offen, davon {overdue} überfällig, "
        f"{counts[MilestoneStatus.ENTFALLEN]} entfallen)"
    )


def _work_line(session: Session) -> str:
    open_follow_ups = _count(session, FollowUp, FollowUp.status == FollowUpStatus.OFFEN)
    return (
        f"  Aktivitäten: {_count(session, Activity)}, "
        f"Zugangsbarrieren: {_count(session, Barrier)}, "
        f"Wiedervorlagen: {_count(session, FollowUp)} ({open_follow_ups} offen)"
    )
