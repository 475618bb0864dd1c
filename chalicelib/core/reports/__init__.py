"""After-action reports and analytics: what happened, how fast, who never answered. Pure.

``reckoning.build_report`` computes an incident's report from the incident and its timeline;
``report_documents`` and ``report_page`` render it (JSON, CSV, Markdown, HTML with inline SVG);
``targets.check_targets`` checks a drill's acknowledgement targets; ``desk`` serves them.
"""

from chalicelib.core.reports.figures import Confirmation, Member, Report
from chalicelib.core.reports.reckoning import build_report
from chalicelib.core.reports.report_desk import Rendered, ReportDesk, ReportFormat, report_format
from chalicelib.core.reports.targets import AckTarget, TargetResult, check_targets

__all__ = [
    "AckTarget",
    "Confirmation",
    "Member",
    "Rendered",
    "Report",
    "ReportDesk",
    "ReportFormat",
    "TargetResult",
    "build_report",
    "check_targets",
    "report_format",
]
