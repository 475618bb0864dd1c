"""What PagerDuty's and Opsgenie's own clients expect beyond events. Pure.

Opsgenie's alerts (each with an id, a tiny id and an alias) and the requests that changed them,
PagerDuty's change events, and heartbeat pings. Events still go through the ingest queue and the
activation rules decide as always: the playbook routes, never the caller.
"""
