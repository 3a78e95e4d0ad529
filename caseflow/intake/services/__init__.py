"""Intake services: they check the rules, change rows, write the audit trail and flush; the
caller commits. ``submission`` (the public form, withdrawal), ``mailing`` (emails to the
applicant), ``reviews``, ``decisions`` (status moves, decline, waitlist), ``acceptance``
(proposal and acceptance into a planned engagement) and ``rounds``."""
