"""The example policies with the customers audience also on Slack, Teams and Mastodon (each
naming a fictional secret), for the tests of statements posted to chat and social platforms."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from local.bootstrap import SOCIAL_SECRETS
from tests.conftest import PROJECT

SECRETS = SOCIAL_SECRETS
OUTLETS = [f"{kind}:{secret}" for kind, secret in SECRETS.items()]


def social_policies(folder: Path, customers_body: str | None = None) -> Path:
    """A copy of ``policies/`` in ``folder`` whose customers audience posts to the three."""
    target = folder / "policies"
    shutil.copytree(PROJECT / "policies", target)
    path = target / "audiences.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    (customers,) = [a for a in document["audiences"] if a["id"] == "customers"]
    customers["channels"] += [{kind: secret} for kind, secret in SECRETS.items()]
    if customers_body is not None:
        customers["statements"]["en"]["initial"]["body"] = customers_body
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return target
