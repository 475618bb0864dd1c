"""The dark site in memory: what is live, and every release written, in order; and the
cache in front of it, recording what it was told to forget."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from chalicelib.core.errors import TransientSendError
from chalicelib.core.site.ports import LiveSite, SiteChanged, SiteFile, SiteRelease


class MemorySitePublisher:
    """``live``: the files readers see; ``releases``: every release written. ``fail_next``:
    the next publish fails before anything is live (as S3 would, throttled). ``before_switch``:
    called once, between a release's write and its switch (another publish can go live there,
    as on S3). Like S3's If-Match, the switch is refused when status.json is not the one read."""

    def __init__(self) -> None:
        self.live: dict[str, SiteFile] = {}
        self.releases: list[SiteRelease] = []
        self.fail_next = False
        self.before_switch: Callable[[], None] | None = None
        self._tag = 0

    def current(self) -> LiveSite | None:
        status = self.live.get("status.json")
        return None if status is None else LiveSite(json.loads(status.body), str(self._tag))

    def publish(self, release: SiteRelease, replacing: str | None) -> None:
        if self.fail_next:
            self.fail_next = False
            raise TransientSendError("throttled", "the site's bucket is busy; publish again")
        hook, self.before_switch = self.before_switch, None
        if hook is not None:
            hook()
        live = None if "status.json" not in self.live else str(self._tag)
        self.live.update({path: f for path, f in release.files.items() if path != "status.json"})
        if live != replacing:
            raise SiteChanged(release.release_id)
        self.releases.append(release)
        self.live = dict(release.files)
        self._tag += 1


class RecordingSiteCache:
    """CloudFront's stand-in: ``invalidations`` holds (paths, reference) for each call;
    ``fail_next``: the next call fails (as CloudFront would, throttled)."""

    def __init__(self) -> None:
        self.invalidations: list[tuple[list[str], str]] = []
        self.fail_next = False

    def invalidate(self, paths: Sequence[str], reference: str) -> None:
        if self.fail_next:
            self.fail_next = False
            raise TransientSendError("Throttling", "CloudFront is busy")
        self.invalidations.append((list(paths), reference))
