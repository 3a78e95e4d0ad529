"""Programme settings that admins change in the browser (DESIGN.md §6, issue 7 point 2)."""
