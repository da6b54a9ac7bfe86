"""``golive audit verify`` and ``golive audit head``: tamper evidence of a release.

Thin: parse, call :meth:`golive.release.service.ReleaseService.audit` (or the
store's head), render. What each mode protects against: docs/audit.md.
"""

from __future__ import annotations

import json

import click

__all__ = ["register"]

_DB_HELP = "Database URL or SQLite path (default: GOLIVE_DATABASE_URL); it must exist."


@click.group()
def audit() -> None:
    """Tamper evidence of release logs: every stored fact checked against the hash-chained log.

    With GOLIVE_AUDIT_KEY set (environment only, never stored or printed), new
    releases are recorded keyed (HMAC-SHA256). See docs/audit.md.
    """


@audit.command("verify")
@click.argument("release_id", metavar="RELEASE")
@click.option(
    "--head",
    "anchor",
    default=None,
    metavar="SEQ:HASH",
    help="An anchor kept elsewhere (from `golive audit head`): detects events cut off after it, "
    "or rewritten before it.",
)
@click.option(
    "--require-keyed", is_flag=True, help="Fail (exit 1) when the release was recorded plain SHA-256."
)
@click.option("--db", default=None, metavar="URL", help=_DB_HELP)
def audit_verify(release_id: str, anchor: str | None, require_keyed: bool, db: str | None) -> None:
    """Check every stored fact of RELEASE against its log: the event chain, runbook snapshots,
    the release row, rollbacks and cached state.

    Exit 0 when everything matches; 1 naming each table and row that differs; 2 for bad input,
    and for a keyed release checked without GOLIVE_AUDIT_KEY when nothing else was found (its
    keyed hashes could not be checked: fix the setup, this is not a verdict).
    """
    from golive.cli.context import release_service
    from golive.store.chain import parse_anchor

    parsed = parse_anchor(anchor) if anchor is not None else None
    svc = release_service(db, read_only=True)
    try:
        result = svc.audit(release_id, anchor=parsed, require_keyed=require_keyed)
    finally:
        svc.store.close()
    recorded = f"recorded {result.mode_name}"
    if result.findings:
        click.echo(f"{release_id}: {result.events} events, TAMPERED ({recorded}):")
        for finding in result.findings:
            click.echo(f"  {finding}")
    elif not result.hashes_checked:
        click.echo(
            f"{release_id}: {result.events} events, cannot check the keyed hashes: "
            "GOLIVE_AUDIT_KEY is not set (recorded keyed (HMAC-SHA256))"
        )
    else:
        click.echo(
            f"{release_id}: {result.events} events, chain intact ({recorded}); every stored fact matches"
        )
    for note in result.notes:
        click.echo(f"  note: {note}")
    raise SystemExit(result.exit_code)


@audit.command("head")
@click.argument("release_id", metavar="RELEASE")
@click.option("--json", "as_json", is_flag=True)
@click.option("--db", default=None, metavar="URL", help=_DB_HELP)
def audit_head(release_id: str, as_json: bool, db: str | None) -> None:
    """Print RELEASE's head (SEQ:HASH and the mode) to keep outside the database (a CI artifact,
    a ticket); `golive audit verify RELEASE --head SEQ:HASH` checks the log against it later."""
    from golive.cli.context import open_store
    from golive.store.chain import MODE_NAMES

    store = open_store(db, read_only=True)
    try:
        release = store.get_release(release_id)
    finally:
        store.close()
    anchor = f"{release.head_seq}:{release.head_hash}"
    if as_json:
        data = {
            "release": release.id,
            "seq": release.head_seq,
            "hash": release.head_hash,
            "mode": release.audit_mode,
            "anchor": anchor,
        }
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"{anchor} {MODE_NAMES.get(release.audit_mode, release.audit_mode)}")


def register(cli: click.Group) -> None:
    cli.add_command(audit)
