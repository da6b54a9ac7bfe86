"""The rollout chart: each trigger's measured values over time (one panel per
trigger, points coloured by outcome, the breach threshold drawn when the
condition names one) above the canary weight of each component, with the steps,
fired triggers (shadow ones dashed) and the rollback marked.

matplotlib is imported inside :func:`render_chart` (Agg backend, no display),
so importing golive never pays for it.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from datetime import datetime

from golive.report.model import Report, RolloutReport

__all__ = ["Mark", "chart_marks", "render_chart"]

_COLOURS = {"ok": "#2e7d32", "breach": "#c62828", "error": "#6a1b9a", "inconclusive": "#ef6c00"}
_THRESHOLD = re.compile(r"^\s*value\s*(?:[<>]=?|==)\s*(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)\s*$")
MAX_PANELS = 8


@dataclass(frozen=True)
class Mark:
    """A vertical line on every panel: a step, a fired trigger, the rollback, completion."""

    at: datetime
    label: str
    colour: str
    style: str


def chart_marks(rollout: RolloutReport) -> list[Mark]:
    """What the chart marks, in time order: each step reached, each trigger that
    fired (dashed when in shadow mode: it would have fired), the rollback, completion."""
    marks: list[Mark] = []
    for step in rollout.steps:
        if step.ok:
            marks.append(Mark(step.when.at, f"{step.component} {step.weight:g}%", "#546e7a", ":"))
    for trigger in rollout.triggers:
        if trigger.fired is not None:
            what = "would have fired" if trigger.shadow else "fired"
            colour = "#ef6c00" if trigger.shadow else "#c62828"
            marks.append(
                Mark(trigger.fired.at, f"{trigger.name} {what}", colour, "--" if trigger.shadow else "-")
            )
    if rollout.rollback is not None:
        marks.append(Mark(rollout.rollback.intent.at, "rollback", "#b71c1c", "-"))
    if rollout.completed is not None:
        marks.append(Mark(rollout.completed.at, "completed", "#2e7d32", "-"))
    marks.sort(key=lambda m: m.at)
    return marks


def _axis(report: Report, rollout: RolloutReport) -> tuple[float, str]:
    """Seconds per unit of the x axis, and its label: time from T-0."""
    times = [rollout.started.at]
    times.extend(p.when.at for t in rollout.triggers for p in t.evaluations)
    times.extend(p.when.at for p in rollout.weights)
    span = (max(times) - min(times)).total_seconds()
    if span > 2 * 86400:
        return 86400.0, "days from T-0"
    if span > 3 * 3600:
        return 3600.0, "hours from T-0"
    return 60.0, "minutes from T-0"


def render_chart(report: Report) -> bytes | None:
    """The chart as PNG bytes, or None when the release had no rollout. Text is
    drawn as given: a ``$`` in a version or a criterion is not mathtext."""
    if report.rollout is None:
        return None
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        return _render(report)


def _render(report: Report) -> bytes | None:
    rollout = report.rollout
    if rollout is None:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    unit, label = _axis(report, rollout)
    launch = report.launch.at

    def x(at: datetime) -> float:
        return (at - launch).total_seconds() / unit

    triggers = [t for t in rollout.triggers if t.evaluations][:MAX_PANELS]
    panels = len(triggers) + 1
    figure = Figure(figsize=(10, 2.2 * panels + 0.8), dpi=100)
    FigureCanvasAgg(figure)  # the Agg backend, without touching matplotlib's global state
    axes = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    marks = [(x(m.at), m.colour, m.style, m.label) for m in chart_marks(rollout)]

    for ax, trigger in zip(axes, triggers, strict=False):
        for outcome, colour in _COLOURS.items():
            points = [p for p in trigger.evaluations if p.outcome == outcome and p.value is not None]
            if points:
                ax.plot(
                    [x(p.when.at) for p in points],
                    [p.value for p in points],
                    "o",
                    markersize=3,
                    color=colour,
                    label=outcome,
                )
        measured = [p for p in trigger.evaluations if p.value is not None]
        if len(measured) > 1:
            ax.plot(
                [x(p.when.at) for p in measured],
                [p.value for p in measured],
                "-",
                color="#90a4ae",
                lw=0.8,
                zorder=0,
            )
        blind = [p for p in trigger.evaluations if p.value is None]
        if blind:
            ax.plot(
                [x(p.when.at) for p in blind],
                [0.0] * len(blind),
                "x",
                color=_COLOURS["error"],
                label="no value",
            )
        match = _THRESHOLD.match(trigger.breach)
        if match is not None:
            ax.axhline(
                float(match.group(1)), color="#c62828", lw=0.8, ls="--", label=f"breach: {trigger.breach}"
            )
        title = (
            trigger.name
            + (f": {trigger.text}" if trigger.text else "")
            + (" (shadow)" if trigger.shadow else "")
        )
        ax.set_title(title[:110], fontsize=9, loc="left")
        ax.legend(fontsize=7, loc="best", ncols=5)
        ax.grid(alpha=0.3)

    weights_ax = axes[-1]
    components = sorted({p.component for p in rollout.weights}) or [c.name for c in rollout.components]
    for component in components:
        steps = [p for p in rollout.weights if p.component == component]
        xs = [x(rollout.started.at)] + [x(p.when.at) for p in steps]
        ys = [0.0] + [p.weight for p in steps]
        end = report.last_event.at if report.last_event is not None else None
        if end is not None:
            xs.append(x(end))
            ys.append(ys[-1])
        weights_ax.step(xs, ys, where="post", lw=2, label=f"{component} canary weight")
    weights_ax.set_ylim(-5, 105)
    weights_ax.set_ylabel("weight (%)", fontsize=8)
    weights_ax.set_title("canary weight", fontsize=9, loc="left")
    weights_ax.legend(fontsize=7, loc="lower right")
    weights_ax.grid(alpha=0.3)
    weights_ax.set_xlabel(f"{label} (launch {report.launch.local})", fontsize=8)

    spans = [
        (x((t.breach_began or t.fired).at), x(t.fired.at))
        for t in rollout.triggers
        if t.fired is not None and not t.shadow
    ]
    for ax in axes:
        for position, colour, style, _text in marks:
            ax.axvline(position, color=colour, ls=style, lw=1)
        for begin, until in spans:  # the breach that made a trigger fire
            ax.axvspan(begin, until, color="#c62828", alpha=0.08, lw=0)
    labels: dict[float, tuple[str, list[str]]] = {}
    for position, colour, _style, text in marks:
        # marks at the same moment (a trigger fired, the rollback began) share one label
        key = round(position, 6)
        _colour, texts = labels.setdefault(key, (colour, []))
        texts.append(text)
    xs_all = [p for p, *_ in marks] + [x(p.when.at) for t in triggers for p in t.evaluations]
    xs_all += [x(p.when.at) for p in rollout.weights] + [x(rollout.started.at)]
    if rollout.completed is not None and rollout.hypercare_until is not None:
        for ax in axes:  # hypercare: watched after completion, alerts only
            ax.axvspan(
                x(rollout.completed.at), x(rollout.hypercare_until.at), color="#2e7d32", alpha=0.06, lw=0
            )
        weights_ax.annotate(
            "hypercare",
            (x(rollout.completed.at), 0),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7,
            color="#2e7d32",
        )
    if xs_all:
        low, high = min(xs_all), max(xs_all)
        margin = max((high - low) * 0.04, 0.5)
        weights_ax.set_xlim(low - margin, high + margin)
    for position, (colour, texts) in labels.items():
        weights_ax.annotate(
            "; ".join(texts),
            (position, 100),
            xytext=(2, -2),
            textcoords="offset points",
            rotation=90,
            fontsize=7,
            color=colour,
            va="top",
        )
    outcome = {"rolled_back": "rolled back", "completed": "completed"}.get(rollout.outcome, rollout.outcome)
    figure.suptitle(f"Rollout of {report.service} {report.version} ({report.env}): {outcome}", fontsize=11)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # a runbook's emoji may have no glyph in the default font: drawn as a box, not an error
        warnings.filterwarnings("ignore", message=r"Glyph .* missing", category=UserWarning)
        figure.tight_layout()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
