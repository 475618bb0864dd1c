"""What every figure measured on moto starts from."""

from __future__ import annotations

import os


def fake_aws(**extra: str) -> None:
    """Fake credentials and one region for moto, plus ``extra`` variables; and no endpoint or
    profile of the machine's left to lead a client anywhere but moto."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        | extra
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
