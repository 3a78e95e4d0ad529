"""The registered demo organisations with their contact persons."""

from __future__ import annotations

from datetime import datetime

from caseflow.demo.context import Demo, Entry, at, parse_day, parse_moment
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import ContactPerson, Organisation


def create_organisations(demo: Demo) -> None:
    """The registered organisations with their contact persons."""
    for entry in demo.data["organisations"]["organisations"]:
        if entry["registered"]:
            organisation = _organisation(entry, _organisation_created_at(demo, entry))
            demo.organisations[entry["key"]] = organisation
            demo.session.add(organisation)


def _organisation_created_at(demo: Demo, entry: Entry) -> datetime:
    """When the organisation was registered: on acceptance, else on its recorded day."""
    accepted = demo.accepted_application(entry["key"])
    if accepted is not None:
        return parse_moment(accepted["decided"])
    return at(parse_day(entry["created"]), 10)


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
