"""The demo staff: the shipped contact list, the three demo logins and the phase template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources

from sqlalchemy import select

from caseflow import clock
from caseflow.demo.context import Demo, DemoError, at
from caseflow.engagements.planning import default_template
from caseflow.staff.identity import name_key
from caseflow.staff.importing import StaffImportError, import_staff_file
from caseflow.staff.models import Role, StaffMember
from caseflow.staff.services import create_login

# The demo password is printed by ``caseflow demo`` for everyone to use: it guards nothing.
DEMO_PASSWORD = "caseflow-demo"  # noqa: S105
DEMO_LOGINS = [
    ("leitung@example.org", "Projektleitung"),
    ("beratung@example.org", "Prozessbegleiter*in"),
    ("admin@example.org", "Administration"),
]


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

# The day the contact list was imported and the logins were created.
SETUP_DAY = date(2024, 1, 8)


def create_staff(demo: Demo) -> None:
    """Import the contact list, create the demo logins and the default phase template."""
    with clock.frozen(at(SETUP_DAY, 9)) as now:
        _import_contact_list(demo, now)
        for account in DEMO_ACCOUNTS:
            _create_login(demo, account, now)
        demo.template = default_template(demo.session, now=now)


def _import_contact_list(demo: Demo, now: datetime) -> None:
    source = resources.files("caseflow.data").joinpath(CONTACT_LIST)
    with resources.as_file(source) as path:
        if not path.is_file():
            raise DemoError(f"Die Kontaktliste caseflow/data/{CONTACT_LIST} fehlt.")
        try:
            import_staff_file(demo.session, path, now=now)
        except StaffImportError as exc:
            raise DemoError(f"Die Kontaktliste lässt sich nicht importieren: {exc}") from exc
    for member in demo.session.scalars(select(StaffMember)):
        demo.staff[name_key(member.name)] = member


def _create_login(demo: Demo, account: DemoAccount, now: datetime) -> None:
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
    demo.staff[name_key(member.name)] = member
