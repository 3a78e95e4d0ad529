"""Staff pages; each module adds its routes to ``bp``."""

from caseflow.staff.views import account, login, password  # noqa: F401  (they register routes)
from caseflow.staff.views.blueprint import bp

__all__ = ["bp"]
