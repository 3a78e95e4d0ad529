"""AppSetting: one setting an admin changed, stored as JSON under its configuration name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.database import JSONDocument, Model, UTCDateTime


class AppSetting(Model):
    """A value stored in the database for the configuration key ``key`` (for example
    ``CAPACITY_LIMIT``); keys without a row use the configured default."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
