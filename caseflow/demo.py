"""The demo data set (to be written)."""

from __future__ import annotations

from sqlalchemy.orm import Session

DEMO_PASSWORD = "caseflow-demo"
DEMO_LOGINS = [
    ("leitung@example.org", "Projektleitung"),
    ("beratung@example.org", "Prozessbegleitung"),
    ("admin@example.org", "Administration"),
]


class DemoError(RuntimeError):
    pass


def load_demo(session: Session) -> str:
    raise NotImplementedError
