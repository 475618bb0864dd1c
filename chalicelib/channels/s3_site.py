"""The dark site in its own S3 bucket (private; CloudFront reads it through origin access
control). A release is written whole under ``releases/<id>/`` first; only then are the live
keys written, feeds first, then the pages, and status.json (the site's state) last, with a
condition: only if it is still the status.json read (S3's If-Match on its ETag; If-None-Match
``*`` when nothing was live). When someone else switched meanwhile, S3 answers 412 (or 409 for
a conditional write racing another) and the editor reads and renders again (SiteChanged):

    put releases/<id>/index.html, da/index.html, status.json, feed.atom, cap.xml  (immutable)
    put feed.atom, cap.xml, da/index.html, index.html                             (the switch)
    put status.json  If-Match: <ETag read>                                         (the commit)

The pages of a switch that lost were written already: the editor writes the site again at once,
so they are live only for that moment (a function that died in between leaves them until the
next publish or apply; each still shows only published statements).
Each object is replaced whole by S3 (never half an object); live keys are cached for
:data:`LIVE_CACHE_SECONDS` by CloudFront (browsers revalidate), so a statement shows within that.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.channels.errors import send_errors
from chalicelib.core.site.ports import LiveSite, SiteChanged, SiteRelease

LIVE_CACHE_SECONDS = 30
# CloudFront keeps a live key at most 30 s (s-maxage); browsers ask again every time (a cheap
# 304 when nothing changed), so a reader who reloads never sees an older statement than the CDN.
LIVE_CACHE_CONTROL = f"public, max-age=0, s-maxage={LIVE_CACHE_SECONDS}, must-revalidate"
RELEASES = "releases/"
_STATUS = "status.json"
_LAST = "index.html"  # the default page: the last page written, it is what readers come to
# S3's answers to a conditional write that lost: the object changed (412), another
# conditional write to it was under way (409), or it is gone since it was read (404).
_LOST = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"})


class S3SitePublisher:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def current(self) -> LiveSite | None:
        with send_errors("S3 GetObject (site)"):
            try:
                answer = self._client.get_object(Bucket=self._bucket, Key=_STATUS)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NoSuchKey":
                    return None  # never published: the site is prepared from nothing
                raise
            return LiveSite(json.loads(answer["Body"].read()), answer["ETag"])

    def publish(self, release: SiteRelease, replacing: str | None) -> None:
        with send_errors("S3 PutObject (site)"):
            for path, file in sorted(release.files.items()):
                self._client.put_object(
                    Bucket=self._bucket,
                    Key=f"{RELEASES}{release.release_id}/{path}",
                    Body=file.body,
                    ContentType=file.content_type,
                    CacheControl="public, max-age=31536000, immutable",
                )
            live = sorted(
                (path for path in release.files if path != _STATUS),
                key=lambda p: (p == _LAST, "/" not in p, p),
            )
            for path in live:
                self._put_live(release, path, {})
            condition = {"IfNoneMatch": "*"} if replacing is None else {"IfMatch": replacing}
            try:
                self._put_live(release, _STATUS, condition)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in _LOST:
                    raise SiteChanged(release.release_id) from None
                raise

    def _put_live(self, release: SiteRelease, path: str, condition: dict[str, str]) -> None:
        file = release.files[path]
        self._client.put_object(
            Bucket=self._bucket,
            Key=path,
            Body=file.body,
            ContentType=file.content_type,
            CacheControl=LIVE_CACHE_CONTROL,
            Metadata={"release": release.release_id},
            **condition,
        )
