"""Setting a new password through a one-time link (``/password/...``)."""
