"""CloudFront in front of the dark site: after a release goes live, its live paths are
invalidated so readers see the statement now, not when the 30 s cache time has passed.

One invalidation per release, named by it (CallerReference), so a retried call is the same
invalidation, not a second one. CloudFront charges per path beyond 1,000 a month: a release
names at most its own files and folders (seven for a site in two languages).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.channels.errors import send_errors


class CloudFrontSiteCache:
    def __init__(self, client: Any, distribution_id: str) -> None:
        self._client = client
        self._distribution_id = distribution_id

    def invalidate(self, paths: Sequence[str], reference: str) -> None:
        with send_errors("CloudFront CreateInvalidation (site)"):
            self._client.create_invalidation(
                DistributionId=self._distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": list(paths)},
                    "CallerReference": reference,
                },
            )
