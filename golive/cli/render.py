"""Rich rendering for the CLI. Presentation only: no decisions are made here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from golive.durations import format_duration
from golive.runbook.model import CodeBlock, Item, RolloutStep, Runbook, Schedule, Section

if TYPE_CHECKING:
    from types import TracebackType

    from golive.checks.result import CheckResult
    from golive.checks.runner import PreparedCheck
    from golive.checks.service import CheckRun
    from golive.lint import Finding
    from golive.release.status import StatusReport
    from golive.runbook.explain import Explanation

__all__ = [
    "CheckProgress",
    "console",
    "format_schedule",
    "render_check_results",
    "render_findings",
    "render_runbook",
]


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _offset(value: timedelta) -> str:
    if value == timedelta(0):
        return "T-0"
    text = format_duration(value)
    return f"T{text}" if text.startswith("-") else f"T+{text}"


def format_schedule(schedule: Schedule | None) -> str:
    if schedule is None:
        return ""
    if schedule.anchor == "launch_day":

        def clock(v: timedelta) -> str:
            days, rest = divmod(int(v.total_seconds()), 86400)
            hours, minutes = divmod(rest // 60, 60)
            prefix = "launch day" if days == 0 else f"day {days:+d}"
            return f"{prefix} {hours:02d}:{minutes:02d}"

        start = clock(schedule.start) if schedule.start is not None else "?"
        end = clock(schedule.end) if schedule.end is not None else "?"
        return f"{start} → {end}"
    start = _offset(schedule.start) if schedule.start is not None else "?"
    if schedule.end is None:
        return f"from {start}"
    return f"{start} → {_offset(schedule.end)}"


def _item_label(item: Item) -> str:
    box = {"task": "[x] " if item.checked else "[ ] ", "step": "• ", "bullet": "- "}[item.kind]
    parts = [f"[dim]{item.line:>4}[/dim] {escape(box)}{escape(item.text)}"]
    tags: list[str] = []
    if item.gate is not None:
        tags.append(f"[bold magenta]gate:{item.gate.kind}[/]")
    if item.optional:
        tags.append("[dim]optional[/]")
    if item.context != "normal":
        tags.append(f"[yellow]{item.context}[/]")
    if item.duration is not None:
        tags.append(f"[cyan]{escape(item.duration.text)}[/]")
    if item.schedule is not None:
        tags.append(f"[cyan]{escape(format_schedule(item.schedule))}[/]")
    for threshold in item.thresholds:
        tags.append(f"[green]{escape(threshold.expression)}[/]")
    for code in item.commands:
        tags.append(f"[blue]$ {escape(code.code)}[/]")
    if item.checks:
        tags.append(f"[bold green]{len(item.checks)} check(s)[/]")
    if tags:
        parts.append("  " + " ".join(tags))
    return "".join(parts)


def _code_label(block: CodeBlock) -> str:
    first = next((ln for ln in block.code.splitlines() if ln.strip()), "")
    state = "[green]runnable[/]" if block.runnable else f"[dim]reference: {escape(block.reason)}[/]"
    return (
        f"[dim]{block.line:>4}[/dim] ```{escape(block.language or '')} {state}  [dim]{escape(first[:70])}[/]"
    )


def _add_items(tree: Tree, items: Iterable[Item]) -> None:
    for item in items:
        node = tree.add(_item_label(item))
        for block in item.code_blocks:
            node.add(_code_label(block))
        _add_items(node, item.items)


def _section_label(section: Section) -> str:
    title = escape(section.title or "(before the first heading)")
    bits = [f"[dim]{section.line:>4}[/dim] [bold]{title}[/bold]"]
    if section.file and section.level > 0 and section.line == 1:
        bits.append(f"[dim]({escape(section.file)})[/]")
    if section.schedule is not None:
        bits.append(f"[cyan]{escape(format_schedule(section.schedule))}[/]")
    if section.owner:
        bits.append(f"[yellow]owner: {escape(section.owner)}[/]")
    if section.duration is not None:
        bits.append(f"[cyan]{escape(section.duration.text)}[/]")
    if section.gate is not None:
        bits.append(f"[bold magenta]gate:{section.gate.kind}[/]")
    return " ".join(bits)


def _add_section(tree: Tree, section: Section) -> None:
    node = tree.add(_section_label(section)) if section.level > 0 or section.items else tree
    for block in section.code_blocks:
        node.add(_code_label(block))
    for table in section.tables:
        node.add(f"[dim]{table.line:>4}[/dim] table ({table.kind}): {escape(' | '.join(table.header))}")
    _add_items(node, section.items)
    for child in section.sections:
        _add_section(node, child)


def render_runbook(runbook: Runbook, out: Console, *, summary: bool = False) -> None:
    meta = runbook.metadata.model_dump(exclude_defaults=True)
    extra = meta.pop("extra", {})
    info = " · ".join(f"{k.replace('_', ' ')} {v}" for k, v in {**meta, **extra}.items())
    out.print(f"[bold]{escape(runbook.title)}[/bold]" + (f"  [dim]{escape(info)}[/dim]" if info else ""))
    files = ", ".join(runbook.files) or (runbook.file or "")
    tasks = runbook.task_items()
    out.print(
        f"[dim]{escape(files)} · {len(list(runbook.all_items()))} items ({len(tasks)} task-list entries) · "
        f"{len(list(runbook.all_code_blocks()))} code blocks · {len(runbook.phases())} phases · "
        f"{len(runbook.gates())} gates[/dim]"
    )
    if not summary:
        tree = Tree("[bold]sections[/bold]", guide_style="dim")
        for section in runbook.sections:
            _add_section(tree, section)
        out.print(tree)
    render_overview(runbook, out)


def render_overview(runbook: Runbook, out: Console) -> None:
    phases = runbook.phases()
    if phases:
        table = Table(title="Phases (relative to launch, T-0)", title_justify="left")
        for col in ("line", "phase", "when", "owner", "items"):
            table.add_column(col)
        for phase in phases:
            table.add_row(
                str(phase.line),
                escape(phase.title),
                escape(format_schedule(phase.schedule)),
                escape(phase.owner or ""),
                str(sum(1 for sec in phase.walk() for _ in sec.all_items())),
            )
        out.print(table)
    gates = runbook.gates()
    if gates or runbook.sign_offs:
        table = Table(title="Gates and sign-offs", title_justify="left")
        for col in ("line", "kind", "what", "rule"):
            table.add_column(col)
        for so in runbook.sign_offs:
            table.add_row(str(so.line), "sign-off", escape(f"{so.role} (quorum {so.quorum})"), so.source)
        for gate_item in gates[:40]:
            assert gate_item.gate is not None
            table.add_row(
                str(gate_item.line), gate_item.gate.kind, escape(gate_item.text), escape(gate_item.gate.rule)
            )
        if len(gates) > 40:
            table.add_row("", "", f"… and {len(gates) - 40} more gates", "")
        out.print(table)
    for title, criteria in (
        ("Rollback criteria", runbook.rollback_criteria),
        ("Success metrics", runbook.success_metrics),
    ):
        if not criteria:
            continue
        table = Table(title=title, title_justify="left")
        for col in ("line", "as written", "threshold"):
            table.add_column(col)
        for criterion in criteria:
            expr = "; ".join(
                f"{t.expression} [{t.level}]" if t.level != "critical" else t.expression
                for t in criterion.thresholds
            )
            table.add_row(
                str(criterion.line),
                escape(criterion.text),
                escape(expr) if expr else "[dim]no number: a person judges[/]",
            )
        out.print(table)
    for plan in runbook.rollout:
        steps = " → ".join(f"{s.weight:g}%" + _step_notes(s) for s in plan.steps)
        out.print(f"[bold]Rollout[/bold] (line {plan.line}): {escape(steps)}")
    if runbook.contacts or runbook.escalation:
        table = Table(title="Contacts and escalation", title_justify="left")
        for col in ("line", "role", "name", "reach"):
            table.add_column(col)
        for c in runbook.contacts:
            reach = " ".join(x for x in (c.phone, c.email, c.contact if c.contact != c.name else None) if x)
            table.add_row(str(c.line), escape(c.role), escape(c.name or ""), escape(reach))
        for level in runbook.escalation:
            band = ""
            if level.start is not None:
                band = f" ({format_duration(level.start)}" + (
                    f"-{format_duration(level.end)})" if level.end else "+)"
                )
            table.add_row(
                str(level.line), f"escalation {level.level}{band}", escape(", ".join(level.who)), ""
            )
        out.print(table)
    if runbook.policies:
        out.print(
            "[bold]Policies stated by the runbook:[/bold] "
            + ", ".join(f"{escape(p.rule)} (line {p.line})" for p in runbook.policies)
        )
    if runbook.roles:
        out.print("[bold]Roles:[/bold] " + escape(", ".join(r.name for r in runbook.roles)))
    for warning in runbook.warnings:
        where = f"{warning.file or runbook.file}:{warning.line}" if warning.line else (warning.file or "")
        out.print(f"[yellow]warning[/yellow] {escape(where)}: {escape(warning.message)}")


def render_findings(findings: list[Finding], out: Console) -> None:
    colours = {"error": "bold red", "warning": "yellow", "info": "cyan"}
    for f in findings:
        where = f"{f.file}:{f.line}" if f.file else str(f.line)
        colour = colours.get(f.severity, "white")
        out.print(f"{escape(where)}: [{colour}]{f.severity}[/] [dim]{escape(f.rule)}[/] {escape(f.message)}")
    counts = {sev: sum(1 for f in findings if f.severity == sev) for sev in ("error", "warning", "info")}
    out.print(f"[bold]{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes[/bold]")


_STATUS_STYLE = {"passed": "green", "failed": "bold red", "error": "bold yellow", "skipped": "dim"}


class CheckProgress:
    """A live progress bar on stderr while checks run (only on a terminal)."""

    def __init__(self, out: Console, *, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: object | None = None
        self._task: object | None = None

    def __enter__(self) -> CheckProgress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            progress = Progress(
                TextColumn("checks"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=True,
            )
            progress.start()
            self._progress = progress
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()  # type: ignore[attr-defined]

    def selected(self, checks: list[PreparedCheck]) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task("", total=len(checks))  # type: ignore[attr-defined]

    def done(self, check: PreparedCheck, result: CheckResult) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=f"{result.status}: {check.name}")  # type: ignore[attr-defined]


def render_check_results(run: CheckRun, out: Console) -> None:
    if not run.results:
        out.print("No automated checks in this runbook. [dim]golive suggest RUNBOOK proposes some.[/dim]")
        return
    items = {i.id: i for i in run.runbook.all_items()}
    table = Table(title=f"Checks: {escape(run.runbook.title)}", title_justify="left")
    for col in ("status", "check", "item", "result", "time"):
        table.add_column(col)
    for result in run.results:
        item = items.get(result.item or "")
        where = f"{item.line}: {item.text}" if item is not None else (result.source or "")
        style = _STATUS_STYLE.get(result.status, "white")
        tries = f" ({result.attempts} tries)" if result.attempts > 1 else ""
        table.add_row(
            f"[{style}]{result.status}[/]",
            escape(result.name),
            escape(where[:60]),
            escape(result.summary[:120]),
            f"{result.duration_ms / 1000:.2f}s{tries}",
        )
    out.print(table)
    counts = run.counts()
    out.print(
        f"[bold]{counts['passed']} passed, {counts['failed']} failed, {counts['error']} errors, "
        f"{counts['skipped']} skipped[/bold]"
    )


def render_status(report: StatusReport, out: Console) -> None:
    rel = report.release
    out.print(
        f"[bold]{escape(rel.id)}[/bold]  {escape(rel.service)} {escape(rel.version)} → {escape(rel.env)}  "
        f"launch {rel.launch_at:%Y-%m-%d %H:%M} UTC ({escape(rel.launch_tz)})  "
        f"now {report.now:%Y-%m-%d %H:%M} UTC"
    )
    table = Table(title="Phases", title_justify="left")
    for col in ("phase", "window", "done", "failed", "state"):
        table.add_column(col)
    for phase in report.phases:
        window = phase.window
        if window.end is not None and report.now >= window.end:
            state = "past"
        elif window.contains(report.now):
            state = "[bold]now[/bold]"
        else:
            state = "upcoming"
        span = (
            (f"{window.start:%m-%d %H:%M}" if window.start else "?")
            + " → "
            + (f"{window.end:%m-%d %H:%M}" if window.end else "…")
        )
        table.add_row(
            escape(phase.section.title[:50]), span, f"{phase.done}/{phase.total}", str(phase.failed), state
        )
    out.print(table)
    if report.overdue:
        out.print(f"[bold red]Overdue ({len(report.overdue)}):[/]")
        for item, window in report.overdue[:15]:
            owner = f" [{escape(item.owner)}]" if item.owner else ""
            out.print(f"  {item.line:>4} {escape(item.text)}{owner} (due {window.end:%m-%d %H:%M})")
    if report.due_now:
        out.print(f"[bold]Due now ({len(report.due_now)}):[/]")
        for item, _window in report.due_now[:15]:
            owner = f" [{escape(item.owner)}]" if item.owner else ""
            out.print(f"  {item.line:>4} {escape(item.text)}{owner}")
    if report.next_gate is not None:
        out.print(
            f"[bold magenta]Next gate:[/] {escape(report.next_gate.text)} (line {report.next_gate.line})"
        )
    for waiver in report.state.waivers.values():
        out.print(
            f"[yellow]Waived[/] {escape(waiver.target)} by {escape(waiver.by)}: {escape(waiver.reason)}"
        )
    decision = report.decision
    if decision is not None:
        colour = "green" if decision.go else "red"
        out.print(f"[bold {colour}]Decision now: {decision.decision}[/] ({len(decision.reasons)} reasons)")
        for reason in decision.reasons[:10]:
            out.print(f"  - {escape(reason)}")
        if decision.recorded:
            out.print(f"Recorded decision: {escape(decision.recorded)}")
    from golive.config import describe_record

    out.print("[bold]Configuration in force[/] (from the log; golive release reconfigure changes it):")
    for line in describe_record(report.state.config):
        out.print(f"  {escape(line)}")


def _step_notes(step: RolloutStep) -> str:
    notes = []
    if step.bake is not None:
        notes.append(f"bake {format_duration(step.bake)}")
    if step.hold:
        notes.append(f"hold for a promote, line {step.hold_line}")
    return f" ({', '.join(notes)})" if notes else ""


def render_explanation(explanation: Explanation, out: Console) -> None:
    where = f"{explanation.file}:{explanation.line}" if explanation.file else f"line {explanation.line}"
    out.print(f"[bold]{escape(where)}[/bold] ({explanation.kind}): {escape(explanation.text)}")
    for reading in explanation.readings:
        out.print(f"  [bold magenta]{escape(reading.what)}[/]: {escape(reading.reading)}")
        out.print(f"    [dim]rule:[/] {escape(reading.rule)}")
        out.print(f"    [dim]override:[/] {escape(reading.override)}")
