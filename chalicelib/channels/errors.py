"""Map AWS errors from a sending API onto the core's permanent/transient send errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.redaction import redact

# Across SNS, SES v2 and End User Messaging: codes that mean "not now" rather than "never".
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "LimitExceededException",
        "InternalError",
        "InternalErrorException",
        "InternalFailure",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMSThrottlingException",
        "RequestTimeout",
    }
)


# Of those, the ones that mean "too fast": the quota, not a failure.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "LimitExceededException",
        "KMSThrottlingException",
    }
)


@contextmanager
def send_errors(api: str) -> Iterator[None]:
    """Raise the AWS failure as a send error whose text carries no destination."""
    try:
        yield
    except ClientError as error:
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        message = f"{api}: {redact(str(details.get('Message', '')))}"
        if code in TRANSIENT_CODES:
            raise TransientSendError(code, message, code in THROTTLING_CODES) from error
        raise PermanentSendError(code, message) from error
    except BotoCoreError as error:
        raise TransientSendError(type(error).__name__, f"{api} unreachable") from error
