"""Fire the playbook's scheduled triggers that fell due since the last tick."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.core.activation.intake import IngestService, Sender
from chalicelib.core.activation.ports import ScheduleSlots
from chalicelib.core.errors import TransientError
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.playbook.triggers import due_slots
from chalicelib.core.ports import Clock

# The tick runs every minute; looking further back lets a missed tick still fire.
LOOKBACK = timedelta(minutes=15)
SCHEDULES = Sender(namespace="schedules")  # the playbook's own triggers


class ScheduledTriggers:
    def __init__(
        self, playbooks: PlaybookSource, slots: ScheduleSlots, ingest: IngestService, clock: Clock
    ) -> None:
        self._playbooks = playbooks
        self._slots = slots
        self._ingest = ingest
        self._clock = clock

    def fire_due(self) -> list[str]:
        """Claim each due slot once, then queue its event; returns the new event ids."""
        now = self._clock.now()
        fired = []
        for schedule in self._playbooks.load().schedules:
            for slot in due_slots(schedule, now - LOOKBACK, now):
                if not self._slots.claim(schedule.schedule_id, slot):
                    continue
                try:
                    [received] = self._ingest.accept_many(
                        [schedule.event_for(slot)],
                        SCHEDULES,
                        format="schedule",
                        original={"schedule": schedule.schedule_id, "slot": slot.isoformat()},
                    )
                except TransientError:
                    self._slots.release(schedule.schedule_id, slot)
                    raise
                fired.append(received.event_id)
        return fired
