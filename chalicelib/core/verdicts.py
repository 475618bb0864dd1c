"""What a decision on an event says, and the activation history it was made on: plain values
shared by the decision (:mod:`chalicelib.core.activation.decide`) and the incident store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.model import Severity


@dataclass(frozen=True)
class Verdict:
    """The outcome of evaluating one event; ``code`` is for machines, ``reason`` for people."""

    activate: bool
    code: str
    reason: str
    rule_id: str | None = None
    plan_id: str | None = None
    severity: Severity | None = None  # the incident's severity when it activates
    incident_id: str | None = None  # the earlier incident a held-back event belongs with
    decide_at: datetime | None = None  # held (outside hours): when it is decided


@dataclass(frozen=True)
class Activation:
    at: datetime
    incident_id: str


@dataclass(frozen=True)
class History:
    """Earlier activations: of the matched rule, and of the event's dedup key (any rule)."""

    rule: tuple[Activation, ...] = ()
    key: tuple[Activation, ...] = ()

    def rule_since(self, since: datetime) -> list[Activation]:
        return [activation for activation in self.rule if activation.at > since]

    def key_since(self, since: datetime) -> list[Activation]:
        return [activation for activation in self.key if activation.at > since]


NO_HISTORY = History()
