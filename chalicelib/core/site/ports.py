"""Where the dark site is kept (S3 behind CloudFront when deployed; the local stack's S3
stand-in; a fake in tests).

SitePublisher.current() -> the status.json the site shows now (None: never published)
SitePublisher.publish() -> every file of a release, written whole under its own keys first,
                           then the live keys switched to it: readers see the old site or the
                           new one, never half of one
"""

from __future__ import annotations

from collections.abc import Mapping
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


class SitePublisher(Protocol):
    def current(self) -> Any:
        """The live status.json, parsed (None when the site was never published)."""
        ...

    def publish(self, release: SiteRelease) -> None:
        """Write the release, then make it live. Raises SendError when it cannot."""
        ...
