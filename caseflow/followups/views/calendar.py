"""The calendar feeds ``/calendar/<token>.ics`` and the page that hands out their addresses."""

from __future__ import annotations
