"""Intake: application rounds, the public form, reviews and decisions."""
