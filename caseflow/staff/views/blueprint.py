"""The staff blueprint: login, logout, password, language and the staff directory."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__)
