"""Placeholder: filled by the activities work of issue 4."""
