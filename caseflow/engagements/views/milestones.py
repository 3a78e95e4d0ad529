"""Placeholder: filled by the milestones work of issue 4."""
