"""Outcomes (issue 9): the Selbstcheck before and after, barrier insights across clients and
the client organisation's own view of its plan."""
