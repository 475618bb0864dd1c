"""The log lines the watching ticks write for the deployment's metric filters to count: named
once, for the handler that writes them (``handlers/watch.py``) and the stack that reads them
(``infra/tocsin_infra/watch.py``), so the two cannot drift apart.

    heartbeat missed         {"heartbeat", "missed": 1, "stage"}
    canary channel checked   {"canary", "channel", "missing": 0 or 1, "detail", "stage"}
"""

HEARTBEAT_MISSED = "heartbeat missed"
CANARY_CHECKED = "canary channel checked"
