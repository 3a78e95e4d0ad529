"""Documents of an engagement (issue 10): uploads checked by content, stored outside static/
under generated names with their SHA-256, versions, downloads for whoever may see the
engagement."""
