"""Administration pages; each module adds its routes to ``bp``."""

from caseflow.admin.views import accounts, templates  # noqa: F401  (the modules register routes)
from caseflow.admin.views.blueprint import bp

__all__ = ["bp"]
