"""Intake forms: ``public`` (the application form, withdrawal) and ``staff`` (reviews,
status moves, decisions, acceptance, rounds)."""
