"""The go-live demo: golive's main job, end to end, in about a minute.

``golive demo`` takes a real runbook (seed 002, bundled, with its bundled
overlay), shows what golive read in it, then runs two whole releases of it
against the stand-in service on a compressed clock, with simulated people:

1. a healthy canary: checks run, sign-offs given, the GO recorded, rolled out
   10% → 50% → 100% while the runbook's own rollback criteria are watched, then
   hypercare; the outcome must be ``completed``;
2. a faulty canary (6% errors once it takes 50% of the traffic): the runbook's
   criterion "Error rate > 5% of total requests" fires and golive rolls back by
   itself, then runs the runbook's rollback procedure; the outcome must be
   ``rolled_back``.

Where Debian's ``prometheus`` is installed, each release gets a private
Prometheus scraping the stand-in, and the triggers query it in PromQL, as they
would in production; without it, they read the stand-in's own metrics over
HTTP. Both reports are written and their paths printed. Exit 0 when both
releases ended as they must.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["FAULT", "PROMQL", "bundled_runbook", "prometheus_guard", "run_demo"]

SEED = "002_7cbc8d121bf5dabd.txt"
FAULT = "error_rate=0.06@50"
HTTP_SPEED = 600.0
"""Rollout time per real second with the stand-in's own metrics (a 1-hour bake: 6 s)."""
PROMETHEUS_SPEED = 120.0
"""With Prometheus, slower: it scrapes once a real second, and a rate over 5 real
seconds must see the canary's traffic of the current step (a 15-minute bake: 7.5 s)."""
PROMETHEUS_MAX_ERRORS = 12
"""Evaluations that may find no data right after a step, until Prometheus has
scraped the canary twice (about 2 real seconds: 8 evaluations at 30 s and 120x)."""

WINDOW = "5s"
PROMQL: dict[str, str] = {
    "canary.error_rate": (
        f'sum(rate(http_requests_total{{version="canary",status=~"5.."}}[{WINDOW}]))'
        f' / sum(rate(http_requests_total{{version="canary"}}[{WINDOW}]))'
    ),
    "canary.health_up": 'min(health_up{version="canary"})',
    "canary.payment_failure_rate": (
        f'sum(rate(payments_total{{version="canary",result="failure"}}[{WINDOW}]))'
        f' / sum(rate(payments_total{{version="canary"}}[{WINDOW}]))'
    ),
    "latency_p95_ratio": (
        "histogram_quantile(0.95, sum by (le) "
        f'(rate(http_request_duration_seconds_bucket{{version="canary"}}[{WINDOW}])))'
        " / histogram_quantile(0.95, sum by (le) "
        f'(rate(http_request_duration_seconds_bucket{{version="stable"}}[{WINDOW}])))'
    ),
}
"""The stand-in's window metrics (``/metrics/window`` paths) as PromQL over what
Prometheus scraped from its ``/metrics``."""


def bundled_runbook() -> Path:
    return Path(str(resources.files("golive") / "data" / "seeds" / SEED))


def prometheus_guard(guard: Any) -> Any:
    """The guard with each trigger that reads the stand-in's window metrics
    reading the same number from Prometheus instead (``{prometheus_port}``)."""
    triggers = []
    for trigger in guard.triggers:
        query = PROMQL.get(trigger.path or "") if trigger.source == "http_json" else None
        if query is None:
            triggers.append(trigger)
            continue
        triggers.append(
            trigger.model_copy(
                update={
                    "source": "prometheus",
                    "url": "http://127.0.0.1:{prometheus_port}",
                    "path": None,
                    "query": query,
                    "max_errors": max(trigger.max_errors, PROMETHEUS_MAX_ERRORS),
                }
            )
        )
    return guard.model_copy(update={"triggers": triggers})


def run_demo(
    path: str | None = None,
    *,
    out_dir: str | None = None,
    prometheus: bool | None = None,
    now: datetime,
) -> int:
    """Run the demo; returns the exit code (0 when both releases ended as they must).
    ``prometheus``: None uses it when installed; True requires it; False never."""
    from rich.rule import Rule

    from golive.cli.rehearse_cmds import Display, summary
    from golive.cli.render import console, render_runbook
    from golive.errors import InputError
    from golive.prometheus import binary as prometheus_binary
    from golive.rehearse import Rehearsal, prepare
    from golive.runbook.loader import load_runbook

    out = console()
    runbook_path = Path(path) if path else bundled_runbook()
    use_prometheus = prometheus_binary() is not None if prometheus is None else prometheus
    if use_prometheus and prometheus_binary() is None:
        raise InputError(
            "prometheus is not installed (scripts/setup-system.sh installs it)", location="--prometheus"
        )
    start = now  # the command's clock, read once
    base = (
        Path(out_dir) if out_dir else Path("demo-output") / start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    )
    if base.exists() and any(base.iterdir()):
        raise InputError(f"{base} is not empty", location="--out")

    out.print(Rule(f"golive demo · {runbook_path.name}"))
    out.print("[bold]1. Read the runbook as the team wrote it[/bold]")
    render_runbook(load_runbook(runbook_path), out, summary=True)

    why = "--no-prometheus" if prometheus is False else "Prometheus is not installed"
    metrics = (
        "a private Prometheus scraping the stand-in (PromQL triggers)"
        if use_prometheus
        else f"the stand-in's own metrics over HTTP ({why})"
    )
    speed = PROMETHEUS_SPEED if use_prometheus else HTTP_SPEED
    results = []
    for number, (title, faults, expected) in enumerate(
        (
            ("a healthy canary", (), "completed"),
            (f"a faulty canary ({FAULT}: 6% errors from 50%)", (FAULT,), "rolled_back"),
        ),
        start=2,
    ):
        out.print(Rule())
        out.print(f"[bold]{number}. Release {number - 1}: {title}[/bold]")
        prepared = prepare(
            runbook_path,
            speed=speed,
            faults=list(faults),
            out_dir=base / ("healthy" if not faults else "faulty"),
            launch=_next_launch(start),
            now=start,
        )
        if use_prometheus:
            prepared.guard = prometheus_guard(prepared.guard)
        out.print(f"  metrics  {metrics}; rollout at {speed:g}x")
        with contextlib.ExitStack() as stack:
            on_standin = _prometheus_hook(stack) if use_prometheus else None
            display = stack.enter_context(Display(out, live=out.is_terminal))
            result = Rehearsal(prepared, on_update=display.update, on_standin=on_standin).run()
        summary(out, result.to_json())
        ok = result.outcome == expected
        out.print(
            f"  [bold {'green' if ok else 'red'}]{'as expected' if ok else 'NOT as expected'}[/]: "
            f"{result.outcome} (expected {expected})"
        )
        results.append((result, ok))

    out.print(Rule())
    out.print("[bold]Reports[/bold] (Markdown; HTML with the rollout chart; the runbook with its evidence)")
    for result, _ok in results:
        for kind, file in sorted(result.report_files.items()):
            out.print(f"  {result.release_id}  {kind:9} {file}")
    passed = all(ok for _, ok in results)
    out.print(
        "[bold green]Demo finished: the healthy release completed, the faulty one rolled back by itself.[/]"
        if passed
        else "[bold red]Demo failed: a release did not end as it must (see above).[/]"
    )
    return 0 if passed else 1


def _next_launch(now: datetime) -> datetime:
    """Tomorrow 09:00 UTC (moved by the runbook's own policies if it must)."""
    tomorrow = now.astimezone(UTC) + timedelta(days=1)
    return tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)


def _prometheus_hook(stack: contextlib.ExitStack) -> Any:
    from golive.prometheus import running_prometheus

    def start(port: int) -> dict[str, str]:
        server = stack.enter_context(running_prometheus([f"127.0.0.1:{port}"]))
        return {"prometheus_port": str(server.port)}

    return start
