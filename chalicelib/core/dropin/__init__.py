"""What PagerDuty's and Opsgenie's own clients expect beyond events. Pure.

Opsgenie's alerts (each with an id, a tiny id and an alias) and the requests that changed them,
and PagerDuty's change events (Opsgenie's heartbeat pings are the watch package's). Events still
go through the ingest queue and the activation rules decide as always: the playbook routes,
never the caller.
"""
