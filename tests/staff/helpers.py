"""Shared helpers of the staff tests: the shipped contact list and small file writers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import caseflow
from caseflow.staff.models import StaffMember

DATA = Path(caseflow.__file__).parent / "data"
SHIPPED_CSV = DATA / "contact_list.csv"
SHIPPED_VCF = DATA / "contact_list.vcf"
FILES = Path(__file__).parent / "files"

BQN = "BQN Berlin"
# name -> (phone, measures, organisation, email) as the DiFair project page gives them
DIFAIR_CONTACTS = {
    "Teo Lünstroth": ("0176 849 612 93", [], BQN, None),
    "Ivan Felipe Martinez Valencia": ("0176 849 612 82", [], BQN, None),
    "Belul Bokrezion": ("0176 849 612 67", [2], BQN, None),
    "Elisa Bongiovanni": ("0176 849 612 86", [2], BQN, None),
    "Selen Eriçok": ("0176 849 612 78", [3], BQN, None),
    "Jana Nau": ("0176 849 612 85", [3], BQN, None),
    "Matthias Pfleger": ("0176 849 612 75", [3], BQN, None),
    "Cemile Karaman": (
        "0152 26154353",
        [1],
        "Migrationsrat Berlin",
        "cemile.karaman@migrationsrat.de",
    ),
}


def staff_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StaffMember)) or 0


def member_named(session: Session, name: str) -> StaffMember:
    return session.scalars(select(StaffMember).where(StaffMember.name == name)).one()


def write(directory: Path, name: str, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8, line endings as given) to ``directory/name``."""
    path = directory / name
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(data)
    return path
