"""The operations topic: what Tocsin tells the people who run it (a canary channel failing, or
delivering again). Its subscribers are reached by SNS itself, not by Tocsin's channels, so the
news does not depend on the channel it is about."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.channels.errors import send_errors

# SNS subjects: printable ASCII, one line, at most 100 characters.
_NOT_PRINTABLE = re.compile(r"[^ -~]")


class SnsOperationsTopic:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def tell(self, subject: str, message: str) -> None:
        """Publish; a failure raises a send error (transient when SNS says "not now")."""
        with send_errors("SNS Publish (operations)"):
            self._client.publish(
                TopicArn=self._topic_arn,
                Subject=_NOT_PRINTABLE.sub("?", subject)[:100] or "Tocsin",
                Message=message,
            )
