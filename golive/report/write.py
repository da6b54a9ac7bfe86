"""Writing a release's report files: Markdown, self-contained HTML, the runbook
written back with its evidence, and the rollout chart (PNG)."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.errors import InputError
from golive.store.events import EventStore

__all__ = ["ReportFiles", "report_names", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    html: Path
    runbook: Path
    chart: Path | None
    """None when the release had no rollout."""


def report_names(release_id: str) -> dict[str, str]:
    """The file names of a release's report (the release id, made safe for a file name)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", release_id).strip("._") or "release"
    return {
        "markdown": f"{stem}-report.md",
        "html": f"{stem}-report.html",
        "runbook": f"{stem}-runbook.md",
        "chart": f"{stem}-rollout.png",
    }


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write atomically: a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(temporary).chmod(mode)  # like any file the user writes (mkstemp makes it private)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(store: EventStore, release_id: str, out_dir: Path, *, audit: Any = None) -> ReportFiles:
    """Write the report of ``release_id`` into ``out_dir`` (created if missing).

    Raises NotFoundError for an unknown release and InputError when ``out_dir``
    cannot be written; nothing is written then.
    """
    from golive.report.build import build_report
    from golive.report.chart import render_chart
    from golive.report.html import render_html
    from golive.report.markdown import render_markdown

    report = build_report(store, release_id, audit=audit)
    out = Path(out_dir)
    names = report_names(report.release_id)
    chart = render_chart(report)
    chart_name = names["chart"] if chart is not None else None
    markdown = render_markdown(report, chart=chart_name, runbook=names["runbook"])
    html = render_html(report, chart_png=chart, runbook=names["runbook"])
    mode = 0o666 & ~_umask()
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = ReportFiles(
            markdown=out / names["markdown"],
            html=out / names["html"],
            runbook=out / names["runbook"],
            chart=out / names["chart"] if chart is not None else None,
        )
        if files.chart is not None and chart is not None:
            _write(files.chart, chart, mode)
        _write(files.runbook, report.runbook_markdown.encode("utf-8"), mode)
        _write(files.markdown, markdown.encode("utf-8"), mode)
        _write(files.html, html.encode("utf-8"), mode)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        if isinstance(exc, FileExistsError | NotADirectoryError):
            reason = "not a directory"
        raise InputError(f"cannot write the report: {reason}", location=str(out)) from None
    return files
