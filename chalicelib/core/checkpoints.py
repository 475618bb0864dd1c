"""Named step boundaries, where a fault harness may stop the process or race it.

    checkpoint(CLAIMED)   # in the dispatcher, right after a job's claim is granted

Deployed, no hook is installed and a checkpoint costs one attribute read. The fault harness
(``bench/chaos.py``) installs one with :func:`install_hook` to raise, at a named boundary, an
exception no handler catches (a Lambda instance dying there), or to run an acknowledgement
between an escalation step's jobs and its state write. Each name is a boundary whose both
sides the guarantees must survive (docs/ARCHITECTURE.md, "Crash points").
"""

from __future__ import annotations

from collections.abc import Callable

EVENT_STORED = "event_stored"  # intake: an event recorded `pending`, not yet on the queue
INCIDENT_OPENED = "incident_opened"  # evaluator: the incident opened, its jobs not yet queued
CLAIMED = "claimed"  # dispatcher: a job claimed in the ledger, not yet sent
CHANNEL_ACCEPTED = "channel_accepted"  # dispatcher: AWS accepted a message, ledger not written
# dispatcher: the messages AWS accepted in a round are closed in the ledger (until then, a crash
# leaves every one of them with an unknown outcome: a batch, not only the last message)
RECORDED_SENT = "recorded_sent"
PAGING_QUEUED = "paging_queued"  # escalator: a level's jobs queued, the step not yet stored
RECORD_DONE = "record_done"  # queue handlers: one record of a batch handled, the next not yet
NAMES = (EVENT_STORED, INCIDENT_OPENED, CLAIMED, CHANNEL_ACCEPTED, PAGING_QUEUED, RECORD_DONE)

Hook = Callable[[str], None]


class _Hooks:
    hook: Hook | None = None


_HOOKS = _Hooks()


def checkpoint(name: str) -> None:
    """Mark the boundary ``name``; nothing happens unless a harness installed a hook."""
    hook = _HOOKS.hook
    if hook is not None:
        hook(name)


def install_hook(hook: Hook | None) -> None:
    """Call ``hook`` at every checkpoint (None: stop). For the fault harness and its tests."""
    _HOOKS.hook = hook
