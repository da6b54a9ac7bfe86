"""The post-deployment report of a release, from its event log.

::

    from golive.report import write_report, ReportFiles
    files: ReportFiles = write_report(store, release_id, out_dir)
    files.markdown, files.html, files.runbook, files.chart  # chart: None without a rollout

    report = build_report(store, release_id)   # the data both renderers share
    report.field("Status").value               # "Success" / "Partial" / "Failed" / "not measured"

Only the names below are public.
"""

from __future__ import annotations

from golive.report.build import build_report
from golive.report.model import Field, Report
from golive.report.write import ReportFiles, write_report

__all__ = ["Field", "Report", "ReportFiles", "build_report", "write_report"]
