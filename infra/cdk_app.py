"""CDK entry point: ``cdk synth -c stage=prod -c senderEmail=alerts@example.com``.

Runs offline: ``make synth`` calls it directly (no CDK CLI), writing ``infra/cdk.out``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from tocsin_infra.settings import DeploymentSettings  # noqa: E402
from tocsin_infra.stack import TocsinStack  # noqa: E402


def main() -> None:
    # `chalice package` builds a boto3 client while packaging; the template itself uses the
    # deploying account's ${AWS::Region}, so any region will do here.
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION", "us-east-1"))
    # This machine synthesises with the Node it has; jsii only talks to it locally.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    app = cdk.App(
        outdir=os.environ.get("CDK_OUTDIR", str(Path(__file__).resolve().parent / "cdk.out"))
    )
    settings = DeploymentSettings.from_context(app.node)
    TocsinStack(
        app,
        settings.stage,
        settings=settings,
        stack_name=settings.prefix,
        description="Tocsin crisis-alert dispatcher",
    )
    app.synth()


if __name__ == "__main__":
    main()
