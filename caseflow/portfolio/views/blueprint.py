"""The portfolio blueprint (its routes live in the modules beside this one), and the signal
through which features above this one add sections to an engagement's printable handout.

``handout_sections`` is sent with the engagement and ``session``; a receiver returns a
``PageSection`` (see ``caseflow.web.sections``) with what the client may see, loaded in a fixed
number of statements.
"""

from blinker import Namespace
from flask import Blueprint

bp = Blueprint("portfolio", __name__)

_signals = Namespace()
handout_sections = _signals.signal("handout-sections")
