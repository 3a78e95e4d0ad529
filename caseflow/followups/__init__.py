"""Follow-ups, notifications, reminders, mail and the calendar feed."""
