"""Application rounds: leads and admins create and edit them."""

from __future__ import annotations
