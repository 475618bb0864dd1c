"""Spending: every message metered and priced, a budget that holds what passes it until a person
releases or cancels it, and the cost of each incident (estimated before a big fan-out)."""
