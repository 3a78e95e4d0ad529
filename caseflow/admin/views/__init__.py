"""Administration pages; each module adds its routes to ``bp``."""

from caseflow.admin.views import (  # noqa: F401  (they register routes)
    accounts,
    audit,
    outbox,
    retention,
    selfcheck,
    settings,
    subjects,
    templates,
)
from caseflow.admin.views.blueprint import bp

__all__ = ["bp"]
