"""The notification bell, the inbox and the notification preferences."""

from __future__ import annotations
