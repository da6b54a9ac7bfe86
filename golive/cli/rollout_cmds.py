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


def _controller(
    release_id: str, db: str | None, speed: float, on_event: Any = None, store: Any = None
) -> Any:
    from golive.cli.context import command_clock, open_store
    from golive.clock import compressed
    from golive.rollout.controller import Controller

    store = store or open_store(db)
    release = store.get_release(release_id)
    events = store.events(release_id)
    # a compressed timeline continues from the last recorded event: a restart
    # neither shortens nor restarts a bake
    clock = compressed(command_clock(), speed, events[-1].at if events else None)
    values = {"version": release.version, "env": release.env, "service": release.service}
    return Controller(store, release_id, clock=clock, values=values, on_event=on_event)


def _guard_for(runbook: Any, guard_file: str | None) -> Any:
    """The guard of ``--guard FILE``, else of the release's runbook (annotation or overlay)."""
    from golive.errors import InputError
    from golive.rollout.spec import RolloutGuard

    if guard_file is not None:
        import yaml

        try:
            with open(guard_file, encoding="utf-8") as stream:  # noqa: PTH123
                data = yaml.safe_load(stream)
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(
                f"cannot read rollout guard: {exc.__class__.__name__}", location=guard_file
            ) from None
        data = data.get("rollout_guard", data) if isinstance(data, dict) else data
    else:
        data = runbook.rollout_guard
        if data is None:
            raise InputError(
                "the release's runbook declares no rollout_guard (give --guard FILE or use an overlay)",
                location="--guard",
            )
    try:
        return RolloutGuard.model_validate(data)
    except ValueError as exc:
        first = str(exc).splitlines()
        raise InputError(
            " ".join(first[1:3]).strip() or "invalid rollout guard", location=guard_file or "rollout_guard"
        ) from None


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
    from golive.release.service import ActionError
    from golive.rollout.controller import _rule

    controller = _controller(release_id, db, 1.0)
    who, service, release, state = _authorize(controller, "start", actor)
    guard = _guard_for(state.runbook, guard_file)
    blocker = service.rollout_blocker(release, state)
    if blocker is not None and not (without_go or "").strip():
        raise ActionError(
            f"{blocker}: record a GO first (golive decide {release_id} --record --go), "
            "or give --without-go REASON",
            location="--without-go",
        )
    try:
        guard = controller.start(
            guard, state.runbook, actor=who, without_go=(without_go or "").strip() or None
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    from golive.rollout.triggers import worst_case_detection

    for trigger in guard.triggers:
        worst = worst_case_detection(_rule(trigger, guard))
        mode = " (shadow)" if trigger.shadow or guard.shadow else ""
        click.echo(
            f"trigger {trigger.name}{mode}: {trigger.breach}; react {trigger.reaction}; "
            f"worst-case detection {format_duration(worst)}"
        )
    steps = guard.rollback_procedure if isinstance(guard.rollback_procedure, list) else []
    for number, step in enumerate(steps, 1):
        where = f" (line {step.line})" if step.line else ""
        click.echo(f"rollback procedure step {number}{where}: {step.text}")
    click.echo(
        f"rollout of {release_id} started: "
        + ", ".join(f"{c.name} {' → '.join(f'{s.weight:g}%' for s in c.steps)}" for c in guard.components)
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

    controller = _controller(release_id, db, speed, on_event=show)
    state = controller.state()
    if state.guard is None:
        raise click.ClickException(f"the rollout of {release_id} has not started (golive rollout start)")
    if sys.stdout.isatty():
        from rich.live import Live

        from golive.cli.render import console

        board = RolloutBoard.from_guard(release_id, state.guard)
        with Live(board, console=console(), auto_refresh=False) as live:
            state = asyncio.run(controller.run())
    else:
        state = asyncio.run(controller.run())
    reason = f": {state.paused}" if state.outcome == "paused" and state.paused else ""
    click.echo(f"rollout {state.outcome}{reason}")
    raise SystemExit(0 if state.outcome == "completed" else 1)


MANAGE = frozenset({"start", "promote", "resume", "abort"})
"""Actions for the release's starter or an approver. Pause and emergency stop are
for anyone who holds a role in the release: whoever sees trouble may stop it."""


def _authorize(controller: Any, action: str, actor: str | None) -> tuple[str, Any, Any, Any]:
    """Who acts, checked on the server side of the CLI against the release's roles;
    with the release service, release and state read for it."""
    from golive.config import load_config
    from golive.release.service import APPROVER, ActionError, ReleaseService

    service = ReleaseService(controller.store, load_config(), clock=controller.clock.now)
    who = service.config.whoami(actor)
    release, state = service.load(controller.release_id)
    manager = who == release.created_by or APPROVER in state.roles_of(who)
    if action in MANAGE and not manager:
        raise ActionError(
            f"{who} may not {action} the rollout: only the release's starter or an approver may"
        )
    if not manager and not state.roles_of(who):
        raise ActionError(f"{who} holds no role in {controller.release_id} and may not {action} its rollout")
    return str(who), service, release, state


def _manual(
    action: str,
    release_id: str,
    db: str | None,
    reason: str,
    actor: str | None,
    component: str | None = None,
) -> None:
    import asyncio

    controller = _controller(release_id, db, 1.0)
    if controller.state().guard is None:
        raise click.ClickException(f"the rollout of {release_id} has not started")
    who = _authorize(controller, action, actor)[0]
    try:
        if action == "promote":
            controller.promote(component, reason=reason, actor=who)
        elif action == "pause":
            controller.pause(reason, actor=who)
        elif action == "resume":
            controller.resume(reason, actor=who)
        elif action == "abort":
            asyncio.run(controller.abort(reason, actor=who))
        elif action == "stop":
            controller.emergency_stop(reason, actor=who)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{action} by {who}: {controller.state().outcome}")


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


@click.command()
@_db
@_speed
@click.option("--once", is_flag=True, help="One reconciliation of every release, then exit.")
def serve(db: str | None, speed: float, once: bool) -> None:
    """Run the rollout controller for every release with an active rollout until interrupted."""
    import asyncio

    from golive.cli.context import open_store

    store = open_store(db)  # one store (one connection pool) for every release
    controllers: dict[str, Any] = {}
    finished: set[str] = set()
    seen: dict[str, int] = {}  # releases without a rollout: the last event looked at
    backoff: dict[str, int] = {}  # rounds to skip after a release's tick failed

    async def one(release_id: str) -> None:
        controller = controllers.get(release_id)
        if controller is None:
            events = store.events(release_id, after=seen.get(release_id, 0))
            if events:
                seen[release_id] = events[-1].seq
            if not any(e.type == "rollout.started" for e in events):
                return  # not started yet: only its new events are looked at next round
            controller = controllers[release_id] = _controller(release_id, db, speed, store=store)
        state = controller.state()  # the events since the last round only
        interrupted = state.rollback_intent is not None and not state.rollback_done
        if state.active or interrupted or controller.in_hypercare(state):
            await controller.tick()
        elif state.completed_at or state.aborted or state.rollback_done:
            finished.add(release_id)
            controllers.pop(release_id, None)

    async def loop() -> None:
        while True:
            for release in store.list_releases():
                if release.id in finished:
                    continue
                if backoff.get(release.id, 0) > 0:
                    backoff[release.id] -= 1
                    continue
                try:
                    await one(release.id)
                except Exception as exc:  # one release's trouble never stops the others
                    click.echo(f"golive serve: {release.id}: {exc.__class__.__name__}: {exc}", err=True)
                    controllers.pop(release.id, None)
                    backoff[release.id] = 10
            if once:
                return
            await asyncio.sleep(max(0.05, 1.0 / speed))

    asyncio.run(loop())


def register(cli: click.Group) -> None:
    cli.add_command(rollout)
    cli.add_command(serve)
