"""``golive rehearse``: a whole release of a runbook against a stand-in, on a compressed clock."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["register"]


@click.command()
@click.argument("runbook", type=click.Path(dir_okay=False))
@click.option(
    "--overlay",
    type=click.Path(dir_okay=False),
    default=None,
    help="Overlay with the rollout_guard and checks against the stand-in "
    "(default: the bundled overlay of a seed, found by the runbook file's name).",
)
@click.option(
    "--speed",
    type=float,
    default=600.0,
    show_default=True,
    help="Rehearsal seconds per real second during the rollout (600: a 1-hour bake takes 6 s). "
    "Before T-0 and in hypercare time jumps.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="A fault of the stand-in, [VERSION:]KIND=VALUE[@WEIGHT][+AFTER]: error_rate=0.06@50 "
    "(6% errors once the canary reaches 50%), latency_ms=2000@10, health=down@100, "
    "payment_failure=0.03@50; +AFTER counts rehearsal time from T-0 (repeatable).",
)
@click.option(
    "--launch",
    metavar="WHEN",
    default=None,
    help='Launch time (T-0), e.g. "2026-12-01 09:00 Europe/London" (default: tomorrow 09:00 UTC); '
    "moved to the next allowed slot when it breaks the runbook's policies.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for the event store and the report (default: ./rehearsals/<runbook>-<UTC time>/).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the outcome at the end.")
def rehearse(
    runbook: str,
    overlay: str | None,
    speed: float,
    faults: tuple[str, ...],
    launch: str | None,
    out_dir: str | None,
    as_json: bool,
) -> None:
    """Rehearse the whole release of RUNBOOK against a stand-in service it starts.

    From the first phase to the end of hypercare, on a compressed clock: simulated
    people do the items they own, checks run against the stand-in, sign-offs are
    given and the GO recorded; then the real rollout controller rolls out while
    watching the runbook's rollback criteria, and rolls back by itself when one
    is breached. Prints where the event store and the report are.

    Exit 0 when the release completed, 1 when it rolled back, paused or was
    aborted (a failed gate or a NO-GO before T-0), 2 on bad input.
    """
    from golive.cli.context import command_clock
    from golive.rehearse import Rehearsal, prepare

    when = None
    if launch is not None:
        from golive.timeparse import parse_launch

        when = parse_launch(launch)
    prepared = prepare(
        runbook,
        overlay=overlay,
        speed=speed,
        faults=faults,
        out_dir=out_dir,
        launch=when,
        now=command_clock().now(),
    )
    if as_json:
        result = Rehearsal(prepared).run()
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        raise SystemExit(0 if result.ok else 1)
    from rich.console import Console

    out = Console(highlight=False, soft_wrap=True)
    out.print(f"rehearsing [bold]{prepared.runbook.title}[/] ({prepared.runbook_path})")
    out.print(f"  overlay  {prepared.overlay or '(none: the runbook annotates itself)'}")
    out.print(f"  launch   {prepared.launch:%a %Y-%m-%d %H:%M} {prepared.tz}")
    if prepared.launch_note:
        out.print(f"  [yellow]{prepared.launch_note}[/]")
    out.print(f"  out      {prepared.out_dir}")
    if prepared.faults:
        out.print("  faults   " + ", ".join(str(f) for f in prepared.faults))
    live = Display(out, live=out.is_terminal)
    with live:
        result = Rehearsal(prepared, on_update=live.update).run()
    summary(out, result.to_json())
    raise SystemExit(0 if result.ok else 1)


def summary(out: Any, data: dict[str, Any]) -> None:
    colour = "green" if data["outcome"] == "completed" else "red"
    out.print(f"[bold {colour}]{data['outcome']}[/]" + (f": {data['reason']}" if data.get("reason") else ""))
    if data.get("trigger"):
        out.print(f"  trigger  {data['trigger']}")
    items = data["items"]
    out.print(
        f"  items    {items['done']} done, {items['failed']} failed, {items['skipped']} skipped, "
        f"{items['pending']} not done; checks {data['checks'].get('passed', 0)} passed, "
        f"{data['checks'].get('failed', 0) + data['checks'].get('error', 0)} failed"
    )
    steps = ", ".join(f"{c} {' → '.join(f'{w:g}%' for w in ws) or 'none'}" for c, ws in data["steps"].items())
    out.print(f"  rollout  {steps}; decision {data['decision']}")
    for alert in data["alerts"][:5]:
        out.print(f"  alert    {alert}")
    for note in data["notes"][:5]:
        out.print(f"  note     {note}")
    took = data["durations"]
    out.print(f"  time     {took['virtual']} rehearsed in {took['real_seconds']:.1f} s")
    out.print(f"  release  {data['release']}")
    out.print(f"  db       {data['db']}")
    out.print(f"  report   {data['report'] or '(none)'}")


class Display:
    """A live panel on a terminal; one line per notable event elsewhere (logs, CI)."""

    def __init__(self, out: Any, *, live: bool) -> None:
        self.out = out
        self.view: Any = None
        self.live: Any = None
        self.last: Any = None
        if live:
            from rich.live import Live

            self.live = Live(console=out, refresh_per_second=8, get_renderable=self._render, transient=True)

    def __enter__(self) -> Display:
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)

    def update(self, view: Any, line: str | None) -> None:
        self.view = view
        if line is not None:
            if self.live is not None:
                self.live.console.print(line, markup=False, highlight=False, soft_wrap=True)
            else:
                self.out.print(line, markup=False, highlight=False, soft_wrap=True)

    def _render(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        view = self.view
        if view is None:
            return ""
        try:
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold")
            table.add_column()
            now = f"{view.now:%a %Y-%m-%d %H:%M:%S}" if view.now else ""
            table.add_row("time", f"{now}  ({view.stage})")
            table.add_row("phase", Text(view.phase or "-"))
            table.add_row(
                "items",
                f"{view.items_done} done, {view.items_failed} failed, {view.items_skipped} skipped "
                f"({view.actions_done}/{view.actions_total} actions)",
            )
            table.add_row("checks", f"{view.checks_passed} passed, {view.checks_failed} failed")
            table.add_row("decision", Text(view.decision or "-"))
            weights = ", ".join(f"{n} {w:g}%" for n, w in list(view.weights.items())) or "-"
            table.add_row("rollout", Text(f"{view.rollout}; {weights}; {view.alerts} alerts"))
            for name, (outcome, value) in list(view.triggers.items()):
                shown = "" if value is None else f" ({value:.4g})"
                table.add_row(Text(f"  {name}"), Text(f"{outcome}{shown}"))
            self.last = table
        except RuntimeError:  # the view changed while drawing: show the previous frame
            return self.last or ""
        return table


def register(cli: click.Group) -> None:
    cli.add_command(rehearse)
