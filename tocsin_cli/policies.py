"""Read the playbook from ``policies/*.yaml``; errors name the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.policy import Playbook, parse_playbook

SECTIONS = ("rules", "plans", "roles", "schedules")


@dataclass
class PolicyDocuments:
    rules: list[Any] = field(default_factory=list)
    plans: list[Any] = field(default_factory=list)
    roles: list[Any] = field(default_factory=list)
    schedules: list[Any] = field(default_factory=list)

    def validate(self) -> Playbook:
        return parse_playbook(self.rules, self.plans, self.roles, self.schedules)


def read_policy_dir(directory: Path) -> PolicyDocuments:
    """Merge every ``*.yaml`` file of ``directory`` (in name order) into one set of documents."""
    documents = PolicyDocuments()
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise InvalidPolicy(str(directory), "no policy files (*.yaml) found")
    for path in files:
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise InvalidPolicy(path.name, f"is not valid YAML: {error}") from None
        if not isinstance(content, dict):
            raise InvalidPolicy(
                path.name, "must be a mapping with rules, plans, roles or schedules"
            )
        for section, value in content.items():
            if section not in SECTIONS:
                raise InvalidPolicy(f"{path.name}: {section}", "unknown section")
            if not isinstance(value, list):
                raise InvalidPolicy(f"{path.name}: {section}", "must be a list")
            getattr(documents, section).extend(value)
    return documents
