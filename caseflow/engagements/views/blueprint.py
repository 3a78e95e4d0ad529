"""The engagements blueprint and the signal through which features above this one add
sections to the engagement page.

``engagement_sections`` is sent with the engagement, ``session`` and ``today``; a receiver
returns a ``PageSection`` (see ``caseflow.web.sections``), loaded in a fixed number of
statements. ``milestone_notes`` is sent the same way; a receiver returns a ``ListColumn``
whose values, per milestone id, have ``links`` (label, address) shown under the milestone
(its documents, say) and an optional ``action`` (label, address).
"""

from __future__ import annotations

from blinker import Namespace
from flask import Blueprint

bp = Blueprint("engagements", __name__)

_signals = Namespace()
engagement_sections = _signals.signal("engagement-sections")
milestone_notes = _signals.signal("milestone-notes")
