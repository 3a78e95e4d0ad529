"""The demo application rounds and the applications with their reviews and decisions."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask import current_app

from caseflow import clock
from caseflow.demo.context import (
    DECIDING_LEAD,
    ONE_DAY,
    Demo,
    Entry,
    at,
    demo_morning,
    local_day,
    parse_day,
    parse_moment,
)
from caseflow.intake.models import (
    DECIDED_STATUSES,
    Application,
    ApplicationReview,
    ApplicationRound,
    ApplicationStatus,
)
from caseflow.intake.tokens import issue_token
from caseflow.organisations.choices import District, Sector

# The people who review applications.
REVIEWERS = ("Selen Eriçok", "Jana Nau", "Matthias Pfleger", "Teo Lünstroth")
CONSENT_TEXT_VERSION = "2024-01"

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


def create_rounds(demo: Demo) -> None:
    """Rounds open at local midnight of their first day and close after their last day."""
    for entry in demo.programme["rounds"]:
        application_round = ApplicationRound(
            name=entry["name"],
            opens_at=clock.start_of_day(parse_day(entry["first_day"])),
            closes_at=clock.start_of_day(parse_day(entry["last_day"]) + ONE_DAY),
            created_at=at(parse_day(entry["created"]), 10),
        )
        demo.rounds[entry["key"]] = application_round
        demo.session.add(application_round)


def create_applications(demo: Demo) -> None:
    """Every application in submission order, numbered per year (``DF-2025-0007``)."""
    entries = sorted(demo.programme["applications"], key=lambda e: parse_moment(e["submitted"]))
    numbers: Counter[int] = Counter()
    for entry in entries:
        year = local_day(parse_moment(entry["submitted"])).year
        numbers[year] += 1
        application = _application(demo, entry, year, numbers[year])
        # A real status link, derivable with this instance's SECRET_KEY like any other.
        issue_token(application, current_app.config["SECRET_KEY"])
        _add_reviews(demo, application, entry)
        demo.session.add(application)
    demo.session.flush()


def _application(demo: Demo, entry: Entry, year: int, number: int) -> Application:
    submitted_at = parse_moment(entry["submitted"])
    return Application(
        round=demo.rounds[entry["round"]],
        reference=f"DF-{year}-{number:04d}",
        reference_year=year,
        reference_number=number,
        status_token_hash="",  # set by issue_token below
        status=ApplicationStatus(entry["status"]),
        submitted_at=submitted_at,
        consent_at=submitted_at,
        consent_text_version=CONSENT_TEXT_VERSION,
        **_applicant_fields(demo.organisation_entry(entry["org"])),
        **_request_fields(entry),
        **_outcome_fields(demo, entry),
    )


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
        "desired_start": parse_day(entry["desired_start"]),
        "desired_duration_months": entry["desired_months"],
    }


def _outcome_fields(demo: Demo, entry: Entry) -> Entry:
    """Preliminary talk, decision, withdrawal and the links an acceptance creates."""
    status = ApplicationStatus(entry["status"])
    is_decided = status in DECIDED_STATUSES
    reason = entry.get("reason")
    if status is ApplicationStatus.ANGENOMMEN and reason is None:
        reason = demo.rng.choice(demo.texts["acceptance_reasons"])
    # A decline's reason goes to the applicant; the texts of other decisions are internal.
    is_declined = status is ApplicationStatus.ABGELEHNT
    return {
        "preliminary_talk_on": parse_day(entry["talk"]) if "talk" in entry else None,
        "decision_reason": reason if is_declined else None,
        "decision_note": None if is_declined else reason,
        "decided_by": demo.member(DECIDING_LEAD) if is_decided else None,
        "decided_at": parse_moment(entry["decided"]) if is_decided else None,
        "withdrawn_at": parse_moment(entry["withdrawn"]) if "withdrawn" in entry else None,
        "organisation": demo.organisations.get(entry["org"]),
        "engagement": demo.engagements.get(entry["org"])
        if status is ApplicationStatus.ANGENOMMEN
        else None,
    }


def _add_reviews(demo: Demo, application: Application, entry: Entry) -> None:
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


def _scores(demo: Demo, profile: str, has_leadership_support: bool) -> dict[str, int]:
    low, high = SCORE_RANGE[profile]
    scores = {column: demo.rng.randint(low, high) for column in SCORE_COLUMNS}
    if not has_leadership_support:
        scores["score_leadership"] = 1
    return scores


def _reviewed_at(demo: Demo, application: Application) -> datetime:
    """A moment between submission and decision (or withdrawal, or the demo morning)."""
    until = application.decided_at or application.withdrawn_at or demo_morning()
    moment = application.submitted_at + (until - application.submitted_at) * demo.rng.uniform(
        0.2, 0.7
    )
    return moment.replace(second=0, microsecond=0)
