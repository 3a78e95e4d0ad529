"""The intake blueprint, shared by the modules of this package."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("intake", __name__)
