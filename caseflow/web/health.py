"""``/healthz`` for load balancers and monitoring."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from caseflow.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise; never a stack trace."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("health check: database unavailable (%s)", exc.__class__.__name__)
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")


healthz.is_public = True  # type: ignore[attr-defined]
