"""The scheduler process (``caseflow scheduler``); lands in the same change."""
