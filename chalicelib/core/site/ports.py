"""Where the dark site is kept (S3 behind CloudFront when deployed; the local stack's S3
stand-in; a fake in tests), the cache in front of it, and who may post to it.

SitePublisher.current() -> the live status.json (the site's state) and its tag (S3's ETag)
SitePublisher.publish() -> every file of a release, written whole under its own keys first,
                           then the live pages, then status.json last, only if it still carries
                           the tag read: else SiteChanged, and the caller reads and renders again
SiteCache.invalidate()  -> CloudFront forgets the live paths a release replaced
SitePoster.post()       -> a published statement put on the site by the one function allowed
                           to write it (deployed: the publish_site Lambda, invoked by the API)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class SiteFile:
    body: bytes
    content_type: str


@dataclass(frozen=True)
class SiteRelease:
    release_id: str  # sortable: the time it was built, then what it carries
    files: Mapping[str, SiteFile] = field(hash=False)  # by path: index.html, feed.atom...

    @property
    def size(self) -> int:
        return sum(len(file.body) for file in self.files.values())


@dataclass(frozen=True)
class LiveSite:
    document: Any  # status.json, parsed
    tag: str  # changes whenever status.json is written (S3's ETag)


@dataclass(frozen=True)
class SitePosting:
    release_id: str
    size: int
    cache_cleared: bool  # readers see it now; False: once CloudFront's 30 s cache time passed


class SiteChanged(Exception):
    """Someone else made a release live between this one's read and its switch."""


class SitePublisher(Protocol):
    def current(self) -> LiveSite | None:
        """The live status.json, parsed, and its tag (None when never published)."""
        ...

    def publish(self, release: SiteRelease, replacing: str | None) -> None:
        """Write the release, then make it live, only if status.json still has the tag
        ``replacing`` (None: only if nothing is live). Raises SiteChanged when it has not,
        SendError when it cannot write."""
        ...


class SiteCache(Protocol):
    def invalidate(self, paths: Sequence[str], reference: str) -> None:
        """Make the cache fetch ``paths`` again. Raises SendError when it cannot."""
        ...


class SitePoster(Protocol):
    def post(self, incident_id: str, statement_id: str) -> SitePosting:
        """Put the published statement on the site. Raises SendError when it cannot."""
        ...

    def refresh(self, version: int) -> SitePosting | None:
        """Render the site again with playbook ``version``'s site settings (the prepared
        "no current incidents" page when nothing was published). None: no site settings."""
        ...
