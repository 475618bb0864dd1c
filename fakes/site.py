"""The dark site in memory: what is live, and every release written, in order."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core.errors import TransientSendError
from chalicelib.core.site.ports import SiteFile, SiteRelease


class MemorySitePublisher:
    """``live``: the files readers see; ``releases``: every release written. ``fail_next``:
    the next publish fails before anything is live (as S3 would, throttled)."""

    def __init__(self) -> None:
        self.live: dict[str, SiteFile] = {}
        self.releases: list[SiteRelease] = []
        self.fail_next = False

    def current(self) -> Any:
        status = self.live.get("status.json")
        return None if status is None else json.loads(status.body)

    def publish(self, release: SiteRelease) -> None:
        if self.fail_next:
            self.fail_next = False
            raise TransientSendError("throttled", "the site's bucket is busy; publish again")
        self.releases.append(release)
        self.live = dict(release.files)
