"""Sending the email of notifications after the commit that recorded them.

Placeholder of the interface; the implementation lands in the same change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def deliver_mail(session: Session, now: datetime) -> int:
    """Send every notification email due at ``now``; commits itself (claim, then result).
    Returns how many messages were sent."""
    raise NotImplementedError
