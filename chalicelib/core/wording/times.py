"""Times as a person reads them: in their own time zone, with the zone named.

A contact in Copenhagen reads ``2026-12-02 03:00 CET (Europe/Copenhagen)``, one in UTC reads
``2026-12-02 02:00 UTC``. The abbreviation alone can be ambiguous (CST is China's and
America's), so the IANA name follows it. Pure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_time(at: datetime, timezone: str) -> str:
    """``at`` on the wall clock of ``timezone`` (an IANA name; UTC when it is not one)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone, timezone = ZoneInfo("UTC"), "UTC"
    local = at.astimezone(zone) if at.tzinfo else at.replace(tzinfo=UTC).astimezone(zone)
    if timezone in ("UTC", "Etc/UTC"):
        return f"{local:%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} {local:%Z} ({timezone})"
