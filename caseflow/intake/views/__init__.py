"""The intake pages: the public side (landing page, form, status link) and the staff side
(application list, application page with reviews and decisions, rounds).

One blueprint; each module adds its routes to it.
"""

from __future__ import annotations

from caseflow.intake.views import accept, detail, listing, public, rounds  # noqa: F401  (routes)
from caseflow.intake.views.blueprint import bp

__all__ = ["bp"]
