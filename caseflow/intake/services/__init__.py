"""Intake services: they check the rules, change rows, write the audit trail and flush; the
caller commits. ``submission`` (the public form, withdrawal), ``mailing`` (emails to the
applicant), ``reviews``, ``decisions`` (status moves, decisions, acceptance) and ``rounds``."""
