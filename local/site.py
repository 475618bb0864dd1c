"""The dark site on the local stack: ``GET /_local/site/<path>`` answers from the site's bucket
in the S3 stand-in, as CloudFront answers from the real one (``/_local/site/`` is index.html,
a folder its index.html), with the same security headers the deployment's CloudFront adds."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from chalicelib.settings import LOCAL_SITE_BUCKET

SITE_PREFIX = "/_local/site"
# As infra/tocsin_infra/site.py's response headers policy: no script at all; the page's own
# inline style only; nothing framed; no referrer beyond the origin.
SECURITY_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
]


def serve_site(
    path: str, start_response: Callable[..., Any], bucket: str = LOCAL_SITE_BUCKET
) -> Iterable[bytes]:
    key = path.removeprefix(SITE_PREFIX).lstrip("/")
    if key == "" or key.endswith("/"):
        key += "index.html"
    found = None
    if ".." not in key.split("/"):
        try:
            found = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_object(bucket, key)
        except Exception:
            found = None
    if found is None:
        start_response("404 Not Found", [("Content-Type", "text/plain"), *SECURITY_HEADERS])
        return [b"not on the dark site\n"]
    body = found.value
    content_type = found.metadata.get("Content-Type") or (
        mimetypes.guess_type(key)[0] or "application/octet-stream"
    )
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Cache-Control", found.metadata.get("Cache-Control", "no-cache")),
        *SECURITY_HEADERS,
    ]
    start_response("200 OK", headers)
    return [body]
