"""The dark site in its own S3 bucket (private; CloudFront reads it through origin access
control). A release is written whole under ``releases/<id>/`` first; only then are the live
keys written, feeds first and the default page last, so a failure leaves the old site live:

    put releases/<id>/index.html, da/index.html, status.json, feed.atom, cap.xml  (immutable)
    put status.json, feed.atom, cap.xml, da/index.html, index.html                (the switch)

Each object is replaced whole by S3 (never half an object); live keys are cached for
:data:`LIVE_CACHE_SECONDS` by CloudFront (browsers revalidate), so a statement shows within that.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.channels.errors import send_errors
from chalicelib.core.site.ports import SiteRelease

LIVE_CACHE_SECONDS = 30
# CloudFront keeps a live key at most 30 s (s-maxage); browsers ask again every time (a cheap
# 304 when nothing changed), so a reader who reloads never sees an older statement than the CDN.
LIVE_CACHE_CONTROL = f"public, max-age=0, s-maxage={LIVE_CACHE_SECONDS}, must-revalidate"
RELEASES = "releases/"
_STATUS = "status.json"
_LAST = "index.html"  # the default page: written last, it is what readers come to


class S3SitePublisher:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def current(self) -> Any:
        with send_errors("S3 GetObject (site)"):
            try:
                answer = self._client.get_object(Bucket=self._bucket, Key=_STATUS)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NoSuchKey":
                    return None  # never published: the site is prepared from nothing
                raise
            return json.loads(answer["Body"].read())

    def publish(self, release: SiteRelease) -> None:
        with send_errors("S3 PutObject (site)"):
            for path, file in sorted(release.files.items()):
                self._client.put_object(
                    Bucket=self._bucket,
                    Key=f"{RELEASES}{release.release_id}/{path}",
                    Body=file.body,
                    ContentType=file.content_type,
                    CacheControl="public, max-age=31536000, immutable",
                )
            for path in sorted(release.files, key=lambda p: (p == _LAST, "/" not in p, p)):
                file = release.files[path]
                self._client.put_object(
                    Bucket=self._bucket,
                    Key=path,
                    Body=file.body,
                    ContentType=file.content_type,
                    CacheControl=LIVE_CACHE_CONTROL,
                    Metadata={"release": release.release_id},
                )
