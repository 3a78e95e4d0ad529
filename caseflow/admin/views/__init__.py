"""Administration pages; each module adds its routes to ``bp``."""

from caseflow.admin.views import accounts, outbox, templates  # noqa: F401  (they register routes)
from caseflow.admin.views.blueprint import bp

__all__ = ["bp"]
