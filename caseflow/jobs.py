"""Every sweep the scheduler runs (and ``caseflow jobs run``): the rules of DESIGN.md §4
(``caseflow.followups.sweeps``) and the documents' housekeeping. Kept apart from
``caseflow.scheduler`` so that the command line can list them without loading APScheduler,
which web workers never need."""

from __future__ import annotations

from caseflow.documents.sweeps import documents_housekeeping, documents_integrity
from caseflow.followups.sweeps import SWEEPS as FOLLOW_UP_SWEEPS
from caseflow.followups.sweeps import Sweep
from caseflow.translating import lazy_gettext as _l

SWEEPS: tuple[Sweep, ...] = (
    *FOLLOW_UP_SWEEPS,
    Sweep(
        "documents", _l("Papierkorb und verwaiste Dateien der Dokumente"), documents_housekeeping
    ),
    Sweep(
        "documents_integrity",
        _l("Prüfsummen der gespeicherten Dokumente"),
        documents_integrity,
    ),
)
