"""Where the playbook in force, and every applied version of it, come from."""

from __future__ import annotations

from typing import Protocol

from chalicelib.core.playbook.document import Playbook


class PlaybookSource(Protocol):
    def load(self) -> Playbook:
        """The version in force (possibly a few seconds stale)."""
        ...

    def load_version(self, version: int) -> Playbook:
        """An applied version, which never changes."""
        ...
