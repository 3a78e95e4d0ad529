"""Placeholder: filled by the rescheduling work of issue 4."""
