"""``golive release …``, ``golive status``, ``golive decide`` (``golive audit``: audit_cmds).

Thin: each command parses input, calls :class:`golive.release.service.ReleaseService`
and renders the result. The database is ``--db`` or ``GOLIVE_DATABASE_URL``
(default: SQLite in golive's data directory). Every action has an actor:
``--as``, else ``GOLIVE_ACTOR``, else ``actor`` in golive.toml, else your login.
``GOLIVE_NOW`` (a time) sets where the command's one clock starts (:mod:`golive.clock`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["register"]

F = TypeVar("F", bound=Callable[..., Any])


def _common(func: F) -> F:
    func = click.option(
        "--db",
        default=None,
        metavar="URL",
        help="Database URL or SQLite path (default: GOLIVE_DATABASE_URL).",
    )(func)
    return click.option("--as", "actor", default=None, metavar="PERSON", help="Act as this person.")(func)


def _service(db: str | None, *, read_only: bool = False) -> Any:
    from golive.cli.context import release_service

    return release_service(db, read_only=read_only)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group()
def release() -> None:
    """Start and run releases: one run of a runbook for a service, version, environment and launch time."""


@release.command("start")
@click.argument("runbook", type=click.Path(dir_okay=False))
@click.option("--service", required=True, help="The service being released.")
@click.option("--version", "version_", required=True, metavar="V", help="The version being released.")
@click.option("--env", required=True, help="Target environment, e.g. production.")
@click.option(
    "--launch",
    required=True,
    metavar="WHEN",
    help='Launch time (T-0), e.g. "2026-12-01 09:00 Europe/London".',
)
@click.option(
    "--overlay", type=click.Path(dir_okay=False), default=None, help="Overlay file for the runbook."
)
@click.option("--json", "as_json", is_flag=True, help='Print {"id": ...} as JSON.')
@_common
def release_start(
    runbook: str,
    service: str,
    version_: str,
    env: str,
    launch: str,
    overlay: str | None,
    as_json: bool,
    db: str | None,
    actor: str | None,
) -> None:
    """Start a release of RUNBOOK; prints the release id. The runbook is snapshotted:
    later edits of the file change the release only through `golive release upgrade`."""
    from golive.timeparse import parse_launch

    when = parse_launch(launch)
    tz = str(getattr(when.tzinfo, "key", "UTC"))
    svc = _service(db)
    who = svc.config.whoami(actor)
    rid = svc.start(
        runbook, service=service, version=version_, env=env, launch=when, tz=tz, actor=who, overlay=overlay
    )
    if as_json:
        _echo_json({"id": rid})
    else:
        click.echo(rid)


@release.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--db", default=None, metavar="URL", help="Database URL or SQLite path.")
def release_list(as_json: bool, db: str | None) -> None:
    """List releases, oldest first."""
    svc = _service(db)
    rows = svc.store.list_releases()
    if as_json:
        _echo_json(
            [
                {"id": r.id, "service": r.service, "version": r.version, "env": r.env, "launch": r.launch_at}
                for r in rows
            ]
        )
        return
    for r in rows:
        click.echo(
            f"{r.id}  {r.service} {r.version} → {r.env}  launch {r.launch_at.isoformat()} ({r.launch_tz})"
        )


@release.command("upgrade")
@click.argument("release_id", metavar="RELEASE")
@click.argument("runbook", type=click.Path(dir_okay=False))
@click.option("--overlay", type=click.Path(dir_okay=False), default=None)
@click.option("--dry-run", is_flag=True, help="Only show the item-level diff.")
@click.option("--json", "as_json", is_flag=True)
@_common
def release_upgrade(
    release_id: str,
    runbook: str,
    overlay: str | None,
    dry_run: bool,
    as_json: bool,
    db: str | None,
    actor: str | None,
) -> None:
    """Show the item-level diff between the release's runbook and RUNBOOK now, and apply it
    as an event (state of unchanged items kept; sign-offs given before it no longer count)."""
    svc = _service(db)
    if dry_run:
        diff = svc.diff(release_id, runbook, overlay)
        diff.pop("runbook")
        diff.pop("current_content_hash")
        diff["applied"] = False
    else:
        diff = svc.upgrade(release_id, runbook, actor=svc.config.whoami(actor), overlay=overlay)
    if as_json:
        _echo_json(diff)
        return
    for key, sign in (("added", "+"), ("removed", "-"), ("changed", "~"), ("reworded", "≈")):
        for item in diff[key]:
            click.echo(f"{sign} {item}")
    click.echo(f"{diff['unchanged']} items unchanged; " + ("applied" if diff["applied"] else "not applied"))


@release.command("reconfigure")
@click.argument("release_id", metavar="RELEASE")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
@_common
def release_reconfigure(release_id: str, as_json: bool, db: str | None, actor: str | None) -> None:
    """Make golive.toml as it is now the configuration in force for RELEASE (approver role).

    A release decides with the people, quorum and policy recorded in its log at its
    start; a changed golive.toml takes effect only through this command, which
    records what changed. A change of people or quorum makes a recorded GO stale."""
    svc = _service(db)
    outcome = svc.reconfigure(release_id, actor=svc.config.whoami(actor))
    if as_json:
        _echo_json(outcome)
        return
    if not outcome["applied"]:
        click.echo(f"{release_id}: golive.toml matches the configuration in force; nothing recorded")
        return
    for change in outcome["changes"]:
        click.echo(f"  {change}")
    stale = "; the recorded GO, if any, is now stale" if outcome["affects_go"] else ""
    click.echo(f"{release_id} reconfigured{stale}")


@release.command("item")
@click.argument("action", type=click.Choice(["start", "done", "fail", "skip", "reopen"]))
@click.argument("release_id", metavar="RELEASE")
@click.argument("item")
@click.option("--reason", default=None, help="Why (required to skip, fail or reopen).")
@_common
def release_item(
    action: str, release_id: str, item: str, reason: str | None, db: str | None, actor: str | None
) -> None:
    """Record that ITEM was started, done, failed, skipped or reopened."""
    svc = _service(db)
    state = svc.item_action(release_id, item, action, actor=svc.config.whoami(actor), reason=reason)
    found = state.runbook.find_item(item)
    click.echo(f"{item}: {state.items[found.id].status.value if found else action}")


@release.command("comment")
@click.argument("release_id", metavar="RELEASE")
@click.argument("text")
@click.option("--item", default=None, help="The item the comment is about.")
@_common
def release_comment(release_id: str, text: str, item: str | None, db: str | None, actor: str | None) -> None:
    """Add a comment to the release or to one item."""
    svc = _service(db)
    svc.comment(release_id, text, actor=svc.config.whoami(actor), item_id=item)
    click.echo("comment recorded")


@release.command("attach")
@click.argument("release_id", metavar="RELEASE")
@click.argument("item")
@click.option("--url", default=None, help="Link to the evidence.")
@click.option(
    "--file", "file_", default=None, type=click.Path(dir_okay=False), help="A file; its SHA-256 is recorded."
)
@click.option("--note", default="", help="What it shows.")
@_common
def release_attach(
    release_id: str,
    item: str,
    url: str | None,
    file_: str | None,
    note: str,
    db: str | None,
    actor: str | None,
) -> None:
    """Attach evidence (a URL or a file) to an item."""
    svc = _service(db)
    svc.attach(release_id, item, actor=svc.config.whoami(actor), url=url, file=file_, note=note)
    click.echo("evidence attached")


@release.command("assign")
@click.argument("release_id", metavar="RELEASE")
@click.argument("role")
@click.argument("person")
@click.option("--remove", is_flag=True, help="Take the role away instead.")
@_common
def release_assign(
    release_id: str, role: str, person: str, remove: bool, db: str | None, actor: str | None
) -> None:
    """Map one of the runbook's roles (or golive's `approver`) to a person for this release."""
    svc = _service(db)
    svc.assign(release_id, role, person, actor=svc.config.whoami(actor), remove=remove)
    click.echo(f"{person} {'no longer holds' if remove else 'holds'} {role}")


@release.command("check")
@click.argument("release_id", metavar="RELEASE")
@click.option("--phase", default=None, help="Only the checks of this phase (id or title).")
@click.option("--json", "as_json", is_flag=True)
@_common
def release_check(
    release_id: str, phase: str | None, as_json: bool, db: str | None, actor: str | None
) -> None:
    """Run the release's checks and record every result. Exit 0 when all gates pass, 1 otherwise
    (usable as a CI pipeline step)."""
    svc = _service(db)
    state, results = svc.run_checks(release_id, actor=svc.config.whoami(actor), phase=phase)
    release_row = svc.store.get_release(release_id)
    from golive.release.decide import gate_statuses

    gates = [g for g in gate_statuses(state) if not g.item.optional]
    failing = [g for g in gates if g.holds is not True]
    if as_json:
        _echo_json(
            {
                "release": release_row.id,
                "results": [r.model_dump(mode="json") for r in results],
                "gates": {"total": len(gates), "holding": len(gates) - len(failing)},
                "ok": not failing,
            }
        )
    else:
        for r in results:
            click.echo(f"{r.status:8} {r.name}: {r.summary}")
        click.echo(
            f"{len(results)} checks recorded; gates holding: {len(gates) - len(failing)} of {len(gates)}"
        )
    raise SystemExit(0 if not failing else 1)


@release.command("signoff")
@click.argument("release_id", metavar="RELEASE")
@click.option("--role", required=True, help="The role you sign off as.")
@click.option("--note", default="")
@click.option(
    "--revoke", "revoke_reason", default=None, metavar="REASON", help="Revoke your sign-off instead."
)
@_common
def release_signoff(
    release_id: str, role: str, note: str, revoke_reason: str | None, db: str | None, actor: str | None
) -> None:
    """Approve the release as ROLE (bound to the runbook's current revision), or revoke it."""
    svc = _service(db)
    who = svc.config.whoami(actor)
    if revoke_reason is not None:
        svc.revoke(release_id, role, actor=who, reason=revoke_reason)
        click.echo(f"{who} revoked the sign-off as {role}")
    else:
        svc.signoff(release_id, role, actor=who, note=note)
        click.echo(f"{who} signed off as {role}")


@release.command("waive")
@click.argument("release_id", metavar="RELEASE")
@click.argument("target", metavar="ITEM|policy:NAME")
@click.option("--reason", required=True)
@_common
def release_waive(release_id: str, target: str, reason: str, db: str | None, actor: str | None) -> None:
    """Waive a failed gate or a policy violation (approver role only); shown in status and reports."""
    svc = _service(db)
    svc.waive(release_id, target, actor=svc.config.whoami(actor), reason=reason)
    click.echo(f"{target} waived")


@click.command()
@click.argument("release_id", metavar="[RELEASE]", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.option("--db", default=None, metavar="URL", help="Database URL or SQLite path.")
def status(release_id: str | None, as_json: bool, db: str | None) -> None:
    """Progress per phase, what is due now, what is overdue, the next gate and the decision state."""
    svc = _service(db, read_only=True)
    report = svc.status(release_id or svc.latest_release())
    if as_json:
        from golive.release.views import status_view

        _echo_json(status_view(report))
        return
    from golive.cli.render import console, render_status

    render_status(report, console())


@click.command("decide")
@click.argument("release_id", metavar="RELEASE")
@click.option("--record", is_flag=True, help="Record the decision in the log (approver role).")
@click.option(
    "--go",
    "expect_go",
    is_flag=True,
    help="With --record: record GO, or fail (writing nothing) if it is NO-GO.",
)
@click.option("--json", "as_json", is_flag=True)
@_common
def decide_cmd(
    release_id: str, record: bool, expect_go: bool, as_json: bool, db: str | None, actor: str | None
) -> None:
    """Compute GO or NO-GO with every reason. Exit 0 for GO, 1 for NO-GO."""
    if expect_go and not record:
        raise click.UsageError("--go needs --record")
    svc = _service(db)
    decision = svc.decide(release_id, actor=svc.config.whoami(actor), record=record, expect_go=expect_go)
    if as_json:
        from golive.release.views import decision_view

        _echo_json(decision_view(decision))
    else:
        click.echo(decision.decision)
        for reason in decision.reasons:
            click.echo(f"  - {reason}")
        if decision.recorded:
            click.echo(f"recorded decision: {decision.recorded}")
    raise SystemExit(0 if decision.go else 1)


def register(cli: click.Group) -> None:
    cli.add_command(release)
    cli.add_command(status)
    cli.add_command(decide_cmd)
