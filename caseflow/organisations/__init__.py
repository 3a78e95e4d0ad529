"""Client organisations (public services) and their contact persons."""
