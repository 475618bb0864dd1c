"""The CDK app that deploys Tocsin into an AWS account."""
