"""Engagements (Prozessbegleitungen): phases, milestones, team, activities, barriers."""
