"""Placeholder: filled by the team work of issue 4."""
