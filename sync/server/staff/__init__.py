"""The central staff console's backend: accounts and roles, complaint handling, submission review,
monitoring. Pure rules (roles, transitions, SLA, filters) live apart from the queries that use them.
"""
