"""What an import makes before it is checked: drafts of playbook documents, and what the
vendor itself said about who is on call, to compare with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tocsin_cli.importers.findings import Findings, Where


@dataclass(frozen=True)
class OnCallPeriod:
    """The vendor's own answer to "who is on call" for a stretch of time (None: nobody)."""

    start: datetime
    end: datetime
    contact_id: str | None


@dataclass
class ScheduleDraft:
    schedule_id: str
    where: Where
    title: str  # how the vendor knows it, for the summary: "PagerDuty PABC123 'IT primary'"
    document: dict[str, Any]
    rendering: list[OnCallPeriod] | None = None  # the vendor's own rendering, when exported
    rendering_name: str = ""  # "PagerDuty's final_schedule"

    @property
    def unit(self) -> str:
        return schedule_unit(self.schedule_id)


@dataclass
class EscalationDraft:
    policy_id: str
    where: Where
    title: str
    document: dict[str, Any]
    schedules: set[str] = field(default_factory=set)  # the imported schedules it pages

    @property
    def unit(self) -> str:
        return escalation_unit(self.policy_id)


@dataclass
class Imported:
    vendor: str  # "PagerDuty", "Opsgenie", "iCalendar"
    command: str  # what follows `tocsin import`: pagerduty, opsgenie, ical
    files: list[str]
    findings: Findings = field(default_factory=Findings)
    schedules: list[ScheduleDraft] = field(default_factory=list)
    escalations: list[EscalationDraft] = field(default_factory=list)


def schedule_unit(schedule_id: str) -> str:
    return f"schedule {schedule_id}"


def escalation_unit(policy_id: str) -> str:
    return f"escalation policy {policy_id}"
