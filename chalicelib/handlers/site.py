"""publish_site: the one function whose role may write the dark site's bucket and clear its
CloudFront cache. The API invokes it (synchronously) when a statement is published to an
audience with a site outlet, and ``tocsin policies apply`` when the site settings change; the
wire format is chalicelib/channels/lambda_site.py's."""

from __future__ import annotations

from typing import Any

from chalicelib.core.site.invocation import handle
from chalicelib.handlers import EdgeBlueprint
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import container

site = EdgeBlueprint(__name__)


@site.lambda_function(name="publish_site")
def publish_site(event: Any, context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and isinstance(event.get("incident_id"), str):
        set_correlation_id(event["incident_id"][:200])
    answer = handle(container().site_outlet, event)
    if "error" in answer:
        logger.warning("site not written", extra={"error": answer["error"]["code"]})
    else:
        logger.info("site written", extra=answer["posted"] or {})
    return answer
