"""The report as one self-contained HTML file, from a Jinja2 template in
``golive/data/report/`` (loaded with importlib.resources), autoescape on: every
value is escaped. The chart is embedded as a ``data:`` URI, so the file has no
external reference and can be mailed or archived as it is."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from golive.report.model import Report
from golive.report.text import fmt_value

__all__ = ["TEMPLATE", "render_html"]

TEMPLATE = "report.html.j2"


def _load(name: str) -> str:
    from importlib.resources import files

    return files("golive").joinpath("data", "report", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, FunctionLoader, StrictUndefined

    env = Environment(
        loader=FunctionLoader(_load),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["value"] = fmt_value
    return env


def render_html(report: Report, *, chart_png: bytes | None = None, runbook: str | None = None) -> str:
    """The report as HTML; ``chart_png`` is embedded, ``runbook`` names the written-back runbook file."""
    chart = "data:image/png;base64," + base64.b64encode(chart_png).decode("ascii") if chart_png else None
    template = _environment().get_template(TEMPLATE)
    return str(template.render(report=report, chart=chart, runbook=runbook))
