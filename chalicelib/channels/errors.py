"""Map AWS errors from a sending API onto the core's permanent/transient send errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from chalicelib.core.errors import PermanentSendError, SendOutcomeUnknown, TransientSendError
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


# Errors after the request was sent, before its answer was read: the outcome is unknown.
# (Failing to connect, or to send, means AWS never had the message: a plain transient error.)
_ANSWER_LOST = (ReadTimeoutError, ConnectionClosedError, ResponseStreamingError)


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
            raise TransientSendError(code, message) from error
        raise PermanentSendError(code, message) from error
    except _ANSWER_LOST as error:
        # The request went out; AWS may have accepted it. Not retried here (the dispatcher
        # retries it and says on the timeline that it may arrive twice).
        raise SendOutcomeUnknown(type(error).__name__, f"{api}: no answer came") from error
    except BotoCoreError as error:
        raise TransientSendError(type(error).__name__, f"{api} unreachable") from error
