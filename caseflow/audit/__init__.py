"""The audit trail: who changed what, when, from where. The ground floor of caseflow."""
