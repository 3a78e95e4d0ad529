"""Web plumbing every feature shares: locale and date formatting, error pages, health."""
