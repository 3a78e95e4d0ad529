"""Staff: the contact list, roles, login."""
