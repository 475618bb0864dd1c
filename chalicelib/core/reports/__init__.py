"""After-action reports and analytics: what happened, how fast, who never answered. Pure.

``reckoning.build_report`` computes an incident's report from the incident and its timeline;
``report_documents`` and ``report_page`` render it (JSON, CSV, Markdown, HTML with inline SVG);
``targets.check_targets`` checks a drill's acknowledgement targets (the playbook's ``AckTarget``),
``drill_change`` compares a drill with its plan's previous one; ``report_desk`` serves them,
asking the drill register through ``ports.DrillLookup``.
"""

from chalicelib.core.playbook.drill_request import AckTarget
from chalicelib.core.reports.drill_change import DrillChange, FigureChange
from chalicelib.core.reports.figures import Confirmation, Member, Report
from chalicelib.core.reports.ports import DrillContext, DrillLookup, PreviousDrill
from chalicelib.core.reports.reckoning import build_report
from chalicelib.core.reports.report_desk import (
    DrillReport,
    Rendered,
    ReportDesk,
    ReportFormat,
    report_format,
)
from chalicelib.core.reports.targets import TargetResult, TargetVerdict, check_targets

__all__ = [
    "AckTarget",
    "Confirmation",
    "DrillChange",
    "DrillContext",
    "DrillLookup",
    "DrillReport",
    "FigureChange",
    "Member",
    "PreviousDrill",
    "Rendered",
    "Report",
    "ReportDesk",
    "ReportFormat",
    "TargetResult",
    "TargetVerdict",
    "build_report",
    "check_targets",
    "report_format",
]
