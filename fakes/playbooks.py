"""Playbook versions in memory, by the rules of ``storage/playbooks.py``: applying documents
stores them as the next version unless they are the current ones; versions never change; before
the first apply the playbook is empty (version 0)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from chalicelib.core.errors import NotFound
from chalicelib.core.playbook.document import SECTIONS, Playbook, parse_playbook

Documents = Mapping[str, Sequence[Any]]


class MemoryPlaybookSource:
    def __init__(self, playbook: Playbook | None = None) -> None:
        self._versions: dict[int, Playbook] = {}
        self._current_documents: str | None = None
        self.loads = 0  # how often load() was called (the cache's contract counts them)
        if playbook is not None:
            self.use(playbook)

    @property
    def version(self) -> int:
        return max(self._versions, default=0)

    def apply(self, documents: Documents) -> int:
        """Validate, then store as the next version unless they are the current documents."""
        playbook = parse_playbook(documents)
        canonical = json.dumps(
            {name: list(documents.get(name, [])) for name in SECTIONS},
            sort_keys=True,
            default=str,
        )
        if canonical == self._current_documents:
            return self.version
        self._current_documents = canonical
        return self._add(playbook)

    def use(self, playbook: Playbook) -> Playbook:
        """Put a parsed playbook in force as the next version (tests that build one in code)."""
        self._current_documents = None
        return self._versions[self._add(playbook)]

    def load(self) -> Playbook:
        self.loads += 1
        return self._versions.get(self.version) or parse_playbook({})

    def load_version(self, version: int) -> Playbook:
        if version not in self._versions:
            raise NotFound(f"no playbook version {version}")
        return self._versions[version]

    def _add(self, playbook: Playbook) -> int:
        version = self.version + 1
        self._versions[version] = replace(playbook, version=version)
        return version
