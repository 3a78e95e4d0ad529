"""Pages of the documents feature: the section on the engagement page, the documents page
with versions and trash, upload, download."""

from caseflow.documents.views import documents  # noqa: F401  (the module registers routes)
from caseflow.documents.views.blueprint import bp

__all__ = ["bp"]
