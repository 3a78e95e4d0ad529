"""The engagements blueprint and the signal through which features above this one add
sections to the engagement page.

``engagement_sections`` is sent with the engagement, ``session`` and ``today``; a receiver
returns a ``PageSection`` (see ``caseflow.web.sections``), loaded in a fixed number of
statements.
"""

from __future__ import annotations

from blinker import Namespace
from flask import Blueprint

bp = Blueprint("engagements", __name__)

_signals = Namespace()
engagement_sections = _signals.signal("engagement-sections")
