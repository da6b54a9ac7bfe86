"""``golive rollout …``: the rollout guard's commands."""

from __future__ import annotations

import json

import click

__all__ = ["register"]


@click.group()
def rollout() -> None:
    """Staged rollouts guarded by the runbook's own rollback criteria."""


@rollout.command("plan")
@click.argument("runbook", type=click.Path(dir_okay=False))
@click.option(
    "--overlay", type=click.Path(dir_okay=False), default=None, help="Overlay file for the runbook."
)
@click.option("--interval", default="30s", show_default=True, help="Evaluation interval of every trigger.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rollout_plan(runbook: str, overlay: str | None, interval: str, as_json: bool) -> None:
    """Show which rollback criteria become which triggers, and each trigger's
    worst-case detection time (breach starts → rollback starts)."""
    from golive.durations import format_duration, parse_duration
    from golive.errors import InputError
    from golive.rollout.plan import compile_triggers
    from golive.runbook.loader import load_runbook

    try:
        every = parse_duration(interval)
    except ValueError as exc:
        raise InputError(str(exc), location="--interval") from None
    if every.total_seconds() <= 0:
        raise InputError("must be positive", location="--interval")
    plan = compile_triggers(load_runbook(runbook, overlay=overlay), interval=every)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "triggers": [
                        {
                            "name": t.name,
                            "text": t.text,
                            "line": t.line,
                            "metric": t.metric,
                            "query": t.query,
                            "breach": t.breach,
                            "for": format_duration(t.rule.for_duration or every * 0),
                            "interval": format_duration(t.rule.interval),
                            "reaction": t.reaction,
                            "worst_case_detection": format_duration(t.worst_case),
                            "reading": t.reading,
                        }
                        for t in plan.triggers
                    ],
                    "not_compiled": [
                        {"text": c.text, "line": c.line, "reason": r} for c, r in plan.not_compiled
                    ],
                },
                indent=2,
            )
        )
        return
    for t in plan.triggers:
        click.echo(f"line {t.line}: {t.text}")
        click.echo(f"  → {t.metric}: {t.breach} ({t.reading}); react: {t.reaction}")
        click.echo(f"    worst-case detection {format_duration(t.worst_case)}; query: {t.query}")
    for criterion, reason in plan.not_compiled:
        click.echo(f"line {criterion.line}: {criterion.text}\n  not compiled: {reason}")


def register(cli: click.Group) -> None:
    cli.add_command(rollout)
