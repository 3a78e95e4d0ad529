"""Read-only views over the other features: dashboard, timeline, capacity, reports."""
