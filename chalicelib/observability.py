"""Logging wired once: Powertools structured JSON, with personal data masked on the way out."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from chalicelib.core.redaction import redact


class RedactingFormatter(LambdaPowertoolsFormatter):
    """The last line of defence: whatever a log call carries, numbers and addresses are masked.

    The first line is not logging personal data at all: log contact ids, never contacts.
    """

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


logger = Logger(service="tocsin", logger_formatter=RedactingFormatter())
