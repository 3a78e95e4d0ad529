"""Placeholder: filled by the barriers work of issue 4."""
