"""The warning admins see on every page when the scheduler's heartbeat is stale."""

from __future__ import annotations
