"""Administration: users, settings, templates, audit log, data protection."""
