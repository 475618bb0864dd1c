"""Updates on a rhythm: a person's update to everyone an incident reached (and an update
statement drafted for each audience), the next one due by the plan's ``updates.every``, and the
plan's updates role reminded once when it is overdue."""

from chalicelib.core.updates.rhythm import UpdateDesk, UpdateSent, UpdateTick
from chalicelib.core.updates.update_notices import UpdateNotices

__all__ = ["UpdateDesk", "UpdateNotices", "UpdateSent", "UpdateTick"]
