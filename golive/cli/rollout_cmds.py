"""``golive rollout …``: the rollout guard's commands."""

from __future__ import annotations

import json
from typing import Any

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
    plan = compile_triggers(load_runbook(runbook, overlay=overlay), interval=every, health=True)
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
        click.echo(f"line {t.line}: {t.text}" if t.line else t.text)
        click.echo(f"  → {t.metric}: {t.breach} ({t.reading}); react: {t.reaction}")
        click.echo(f"    worst-case detection {format_duration(t.worst_case)}; query: {t.query}")
    for criterion, reason in plan.not_compiled:
        where = f"line {criterion.line}: " if criterion.line else ""
        click.echo(f"{where}{criterion.text}\n  not compiled: {reason}")


def _service(db: str | None, store: Any = None) -> Any:
    """The rollout service of ``--db``, on the command's clock."""
    from golive.cli.context import command_clock, rollout_service

    if store is None:
        return rollout_service(db)
    from golive.config import load_config
    from golive.rollout.service import RolloutService

    return RolloutService(store, load_config(), command_clock())


def _who(service: Any, actor: str | None) -> str:
    """The acting person: ``--as``, GOLIVE_ACTOR, golive.toml or the login."""
    return str(service.config.whoami(actor))


_as = click.option("--as", "actor", default=None, metavar="PERSON", help="Act as this person.")
_db = click.option(
    "--db", default=None, metavar="URL", help="Database URL or SQLite path (default: GOLIVE_DATABASE_URL)."
)
_speed = click.option(
    "--speed", type=float, default=1.0, show_default=True, help="Compress time: 3600 runs an hour a second."
)


@rollout.command("start")
@click.argument("release_id", metavar="RELEASE")
@click.option(
    "--guard", "guard_file", type=click.Path(dir_okay=False), default=None, help="A rollout_guard YAML file."
)
@click.option(
    "--without-go",
    "without_go",
    default=None,
    metavar="REASON",
    help="Start although no current GO is recorded (a drill, a test environment); the reason is recorded.",
)
@_db
@_as
def rollout_start(
    release_id: str, guard_file: str | None, without_go: str | None, db: str | None, actor: str | None
) -> None:
    """Record the start of RELEASE's guarded rollout, printing each trigger's worst-case detection time.

    The release needs a recorded GO that is still current (golive decide RELEASE --record --go),
    unless --without-go says why not."""
    from golive.durations import format_duration

    service = _service(db)
    result = service.start(
        release_id, actor=_who(service, actor), guard_file=guard_file, without_go=without_go
    )
    for trigger in result.triggers:
        mode = " (shadow)" if trigger.shadow else ""
        click.echo(
            f"trigger {trigger.name}{mode}: {trigger.breach}; react {trigger.reaction}; "
            f"worst-case detection {format_duration(trigger.worst_case)}"
        )
    if result.health is False:
        click.echo("health guard: off (health: false, recorded)")
    elif isinstance(result.health, dict):
        for probe in result.health.get("probes", []):
            click.echo(f"health guard watches {probe['url']} ({probe['source']})")
        for unused in result.health.get("not_used", []):
            click.echo(f"health guard does not use {unused['url']} ({unused['source']}): {unused['reason']}")
        if result.health.get("note"):
            click.echo(f"health guard: {result.health['note']}")
    for number, step in enumerate(result.procedure, 1):
        where = f" (line {step.line})" if step.line else ""
        click.echo(f"rollback procedure step {number}{where}: {step.text}")
    click.echo(
        f"rollout of {release_id} started: "
        + ", ".join(f"{name} {' → '.join(f'{w:g}%' for w in weights)}" for name, weights in result.components)
    )


@rollout.command("run")
@click.argument("release_id", metavar="RELEASE")
@_db
@_speed
def rollout_run(release_id: str, db: str | None, speed: float) -> None:
    """Run the controller for RELEASE in the foreground until the rollout ends
    (completed and, with hypercare, its watch over) or pauses. On a terminal it
    shows a live table of components, triggers and the latest events; otherwise
    one line per event. Exit 0 when it completed, 1 when it rolled back, paused
    or was aborted."""
    import asyncio
    import sys

    from golive.cli.rollout_display import RolloutBoard, event_line

    if speed <= 0:
        raise click.UsageError("--speed must be positive")

    board: RolloutBoard | None = None
    live: Any = None

    def show(kind: str, data: dict[str, Any]) -> None:
        at = controller.clock.now()
        if board is not None and live is not None:
            board.record(at, kind, data)
            live.update(board, refresh=True)
        elif not (kind == "rollout.evaluated" and data.get("outcome") == "ok"):
            click.echo(event_line(at, kind, data))

    service = _service(db)
    controller = service.runner(release_id, speed=speed, on_event=show)
    state = controller.state()
    if sys.stdout.isatty():
        from rich.live import Live

        from golive.cli.render import console

        board = RolloutBoard.from_guard(release_id, state.guard)
        with Live(board, console=console(), auto_refresh=False) as live:
            state = asyncio.run(controller.run())
    else:
        state = asyncio.run(controller.run())
    for intent in service.waiting_for_a_person(state):
        click.echo(
            f"waiting for a person: {intent.step}: {intent.what} may or may not have run "
            f"(golive rollout resolve {release_id} {intent.step} --ran | --did-not-run --reason TEXT)"
        )
    reason = f": {state.paused}" if state.outcome == "paused" and state.paused else ""
    click.echo(f"rollout {state.outcome}{reason}")
    raise SystemExit(0 if state.outcome == "completed" else 1)


def _manual(
    action: str,
    release_id: str,
    db: str | None,
    reason: str,
    actor: str | None,
    component: str | None = None,
) -> None:
    import asyncio

    service = _service(db)
    who = _who(service, actor)
    if action == "promote":
        result = service.promote(release_id, actor=who, reason=reason, component=component)
    elif action == "pause":
        result = service.pause(release_id, actor=who, reason=reason)
    elif action == "resume":
        result = service.resume(release_id, actor=who, reason=reason)
    elif action == "abort":
        result = asyncio.run(service.abort(release_id, actor=who, reason=reason))
    else:
        result = service.emergency_stop(release_id, actor=who, reason=reason)
    click.echo(f"{result.action} by {result.actor}: {result.outcome}")


_reason = click.option("--reason", required=True, help="Why (recorded in the log).")


@rollout.command("promote")
@click.argument("release_id", metavar="RELEASE")
@click.option("--component", default=None, help="Only this component.")
@_reason
@_db
@_as
def rollout_promote(
    release_id: str, component: str | None, reason: str, db: str | None, actor: str | None
) -> None:
    """Promote to the next step now (ends a bake that waits until promoted)."""
    _manual("promote", release_id, db, reason, actor, component)


def _manual_command(action: str, summary: str) -> None:
    """``golive rollout pause|resume|abort|stop RELEASE --reason ...``: one shape, four actions."""

    @rollout.command(action, help=summary)
    @click.argument("release_id", metavar="RELEASE")
    @_reason
    @_db
    @_as
    def command(release_id: str, reason: str, db: str | None, actor: str | None) -> None:
        _manual(action, release_id, db, reason, actor)


for _action, _summary in (
    ("pause", "Pause the rollout where it is."),
    ("resume", "Resume a paused rollout."),
    ("abort", "Abort: roll back now (at most once per release)."),
    ("stop", "Emergency stop: pause every rollout of the release at once."),
):
    _manual_command(_action, _summary)


@rollout.command("resolve")
@click.argument("release_id", metavar="RELEASE")
@click.argument("step", metavar="STEP")
@click.option(
    "--ran/--did-not-run",
    "ran",
    default=None,
    help="The step's action did run (recorded as done, not run again) / did not (run again, once).",
)
@_reason
@_db
@_as
def rollout_resolve(
    release_id: str, step: str, ran: bool | None, reason: str, db: str | None, actor: str | None
) -> None:
    """Say whether an action a crash left open (its intent recorded, its outcome
    not) did run, so the controller goes on. For an approver.

    STEP names the open intent as `rollout run` lists it: COMPONENT:N (step N of
    a component), rollback:COMPONENT (a component's rollback), procedure:N (step N
    of the rollback procedure). Refused while a controller acts on the release."""
    if ran is None:
        raise click.UsageError("give --ran or --did-not-run")
    service = _service(db)
    result = service.resolve(release_id, step, ran=ran, actor=_who(service, actor), reason=reason)
    said = "ran" if result.ran else "did not run"
    click.echo(f"{result.intent.step} ({result.intent.what}) {said}, by {result.actor}: {result.outcome}")


@click.command()
@_db
@_speed
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address the API and dashboard listen on."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@click.option("--no-api", is_flag=True, help="Only run the rollout controllers: no API, no dashboard.")
@click.option(
    "--secure",
    is_flag=True,
    help="Served behind HTTPS (a TLS proxy): Secure cookies and HSTS.",
)
@click.option("--once", is_flag=True, help="One reconciliation of every release, then exit (no API).")
def serve(db: str | None, speed: float, host: str, port: int, no_api: bool, secure: bool, once: bool) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /openapi.json) and the dashboard, and run the
    rollout controller of every release with an active rollout, until interrupted.

    Sign in with a user made by `golive user add`, or send an API token (`golive token
    create`) as `Authorization: Bearer TOKEN`. There is no default account."""
    import asyncio

    from golive.cli.context import command_clock, open_store
    from golive.config import load_config
    from golive.rollout.supervisor import Supervisor

    if speed <= 0:
        raise click.UsageError("--speed must be positive")
    store = open_store(db, local=True)  # one store (one connection pool) for every release

    def report(line: str) -> None:
        click.echo(f"golive serve: {line}", err=True)

    if once or no_api:
        supervisor = Supervisor(_service(db, store), speed=speed, report=report)
        asyncio.run(supervisor.round() if once else supervisor.run())
        return
    from golive.web.app import create_app, run_app

    app = create_app(
        store, load_config(), command_clock(), secure=secure, supervise=True, speed=speed, report=report
    )
    click.echo(f"golive serve: http://{host}:{port}/ (API at /api/v1, OpenAPI at /openapi.json)", err=True)
    run_app(app, host, port)


def register(cli: click.Group) -> None:
    cli.add_command(rollout)
    cli.add_command(serve)
