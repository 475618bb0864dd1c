"""The operator console: server-rendered pages under ``/console`` (docs/ARCHITECTURE.md)."""

from chalicelib.api.console import actions, pages, register, signin  # noqa: F401 - routes
from chalicelib.api.console.web import console

__all__ = ["console"]
