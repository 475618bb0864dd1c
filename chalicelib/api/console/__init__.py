"""The operator console: server-rendered pages under ``/console`` (docs/ARCHITECTURE.md)."""

from chalicelib.api.console import actions, pages, signin  # noqa: F401 - they register routes
from chalicelib.api.console.web import console

__all__ = ["console"]
