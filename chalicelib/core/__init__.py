"""The pure core: domain model, decisions and use cases.

Nothing here imports boto3, botocore, chalice or anything above ``core``; adapters
implement the ports in :mod:`chalicelib.core.ports`. ``tests/unit/test_architecture.py``
keeps it that way.
"""
