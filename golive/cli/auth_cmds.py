"""``golive user …`` and ``golive token …``: the people and API tokens of the web API.

Thin: each command parses its input, calls :class:`golive.auth.accounts.Accounts`
and renders the result. These commands run on the machine itself, so the acting
person is a local principal (``GOLIVE_ACTOR``, else ``actor`` in golive.toml,
else your login): there is no default account, and ``golive user add NAME
--role admin --password-stdin`` is how the first admin is made.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeVar

import click

from golive.auth.principal import SITE_ROLES

__all__ = ["register"]

F = TypeVar("F", bound=Callable[..., Any])

_ROLES = "|".join(SITE_ROLES)


def _db_option(func: F) -> F:
    return click.option(
        "--db",
        default=None,
        metavar="URL",
        help="Database URL or SQLite path (default: GOLIVE_DATABASE_URL).",
    )(func)


def _json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout for machines.")(func)


@contextmanager
def _accounts(db: str | None, *, read_only: bool = False) -> Iterator[Any]:
    """The accounts of ``--db`` on the command's clock, closed afterwards."""
    from golive.auth.accounts import Accounts
    from golive.cli.context import command_clock, open_store

    store = open_store(db, read_only=read_only, local=True)
    try:
        yield Accounts(store.engine, command_clock())
    finally:
        store.close()


def _me() -> str:
    from golive.config import load_config

    return load_config().whoami(None)


def _password_from_stdin() -> str:
    """One line of stdin, its line ending stripped (checked by the accounts, not here)."""
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def _plain(row: Any) -> dict[str, Any]:
    """A row as JSON-ready data: its fields, times in ISO 8601."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(row).items()}


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def _when(value: datetime | None, none: str = "-") -> str:
    return none if value is None else value.isoformat(timespec="seconds")


# -- people ------------------------------------------------------------------------
@click.group()
def user() -> None:
    """The people who may use the web API and dashboard, and their site roles.

    Site roles, each including the ones before it: viewer (reads), operator (does the
    work), approver (gives approvals), admin (manages people and tokens). The release's
    own roles still decide inside a release.
    """


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, metavar=_ROLES, help="The person's site role.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from stdin (one line, at least 12 characters). "
    "Without it the person signs in with API tokens only.",
)
@_db_option
def user_add(name: str, role: str, password_stdin: bool, db: str | None) -> None:
    """Add the person NAME with a site role (the first admin is made this way)."""
    password = _password_from_stdin() if password_stdin else None
    with _accounts(db) as accounts:
        row = accounts.add_user(name, role, actor=_me(), password=password)
    click.echo(f"added user {row.name} ({row.role})")


@user.command("list")
@_json_option
@_db_option
def user_list(as_json: bool, db: str | None) -> None:
    """List the people: name, role, whether disabled, whether they have a password, created by/at."""
    with _accounts(db) as accounts:
        rows = accounts.list_users(actor=_me())
    if as_json:
        _echo_json([_plain(r) for r in rows])
        return
    if not rows:
        click.echo("no users (add the first admin: golive user add NAME --role admin --password-stdin)")
        return
    width = max(len(r.name) for r in rows)
    for r in rows:
        data = _plain(r)
        data["name"] = r.name.ljust(width)
        data["role"] = r.role.ljust(8)
        data["state"] = ("disabled" if r.disabled else "active").ljust(8)
        data["login"] = ("password" if r.has_password else "tokens only").ljust(11)
        data["created_at"] = _when(r.created_at)
        click.echo("{name}  {role}  {state}  {login}  created {created_at} by {created_by}".format(**data))


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin (one line); required.")
@_db_option
def user_passwd(name: str, password_stdin: bool, db: str | None) -> None:
    """Set the password of NAME; their dashboard sessions end and their login locks are lifted."""
    if not password_stdin:
        raise click.UsageError("--password-stdin is required: the new password is read from stdin")
    password = _password_from_stdin()
    with _accounts(db) as accounts:
        row = accounts.set_password(name, password, actor=_me())
    click.echo(f"password of {row.name} set; their sessions ended")


@user.command("role")
@click.argument("name")
@click.argument("role", metavar="ROLE")
@_db_option
def user_role(name: str, role: str, db: str | None) -> None:
    """Give NAME the site ROLE (viewer, operator, approver or admin); their tokens act with
    the lower of their own role and this."""
    with _accounts(db) as accounts:
        row = accounts.set_role(name, role, actor=_me())
    click.echo(f"{row.name} is now {row.role}")


@user.command("disable")
@click.argument("name")
@_db_option
def user_disable(name: str, db: str | None) -> None:
    """Disable NAME: their sessions end and their tokens stop working."""
    with _accounts(db) as accounts:
        row = accounts.disable(name, actor=_me())
    click.echo(f"disabled user {row.name}")


@user.command("enable")
@click.argument("name")
@_db_option
def user_enable(name: str, db: str | None) -> None:
    """Enable NAME again (their unexpired, unrevoked tokens work again)."""
    with _accounts(db) as accounts:
        row = accounts.disable(name, actor=_me(), disabled=False)
    click.echo(f"enabled user {row.name}")


@user.command("unlock")
@click.argument("name")
@_db_option
def user_unlock(name: str, db: str | None) -> None:
    """Lift every login lock of NAME (after too many failed logins), from every address."""
    with _accounts(db) as accounts:
        row = accounts.unlock(name, actor=_me())
    click.echo(f"unlocked user {row.name}")


# -- API tokens --------------------------------------------------------------------
@click.group()
def token() -> None:
    """API tokens: shown once, stored only as a SHA-256, always expiring, revocable.

    A token acts for its person with at most its own role and the person's role now.
    """


@token.command("create")
@click.option("--user", "user_name", required=True, metavar="NAME", help="The person the token acts for.")
@click.option(
    "--role", default=None, metavar=_ROLES, help="The token's site role (default: the person's role)."
)
@click.option(
    "--expires",
    default="30d",
    show_default=True,
    metavar="DURATION",
    help="How long the token lives, e.g. 12h, 30d (at most 366 days).",
)
@click.option("--label", default="", metavar="TEXT", help="What the token is for, e.g. 'CI deploys'.")
@_json_option
@_db_option
def token_create(
    user_name: str, role: str | None, expires: str, label: str, as_json: bool, db: str | None
) -> None:
    """Create an API token for a person and print it, once: it is not stored and cannot be
    shown again (send it as "Authorization: Bearer TOKEN")."""
    from golive.durations import parse_duration
    from golive.errors import InputError

    try:
        life = parse_duration(expires)
    except ValueError as exc:
        raise InputError(str(exc), location="--expires") from None
    with _accounts(db) as accounts:
        new = accounts.create_token(user_name, actor=_me(), role=role, expires=life, label=label)
    row = new.row
    if as_json:
        _echo_json({"token": new.secret, **_plain(row)})
        return
    click.echo(new.secret)
    click.echo("This token is shown once and will not be shown again: store it now.")
    click.echo(f"id {row.id}  user {row.user}  role {row.role}  expires {_when(row.expires_at)}")


@token.command("list")
@click.option("--user", "user_name", default=None, metavar="NAME", help="Only this person's tokens.")
@_json_option
@_db_option
def token_list(user_name: str | None, as_json: bool, db: str | None) -> None:
    """List API tokens (never their secrets): id, person, role, label, created, expires,
    state (active, expired, revoked), last used."""
    from golive.cli.context import command_clock

    with _accounts(db) as accounts:
        rows = accounts.list_tokens(actor=_me(), user=user_name)
    now = command_clock().now()
    if as_json:
        _echo_json([{**_plain(r), "state": r.state(now)} for r in rows])
        return
    if not rows:
        click.echo("no tokens")
        return
    for r in rows:
        label = f"  {r.label!r}" if r.label else ""
        click.echo(
            f"{r.id}  {r.user}  {r.role}  {r.state(now)}  created {_when(r.created_at)}  "
            f"expires {_when(r.expires_at)}  last used {_when(r.last_used_at, 'never')}{label}"
        )


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@_db_option
def token_revoke(token_id: str, db: str | None) -> None:
    """Revoke the token ID (from `golive token list`): it stops working at once."""
    with _accounts(db) as accounts:
        row = accounts.revoke_token(token_id, actor=_me())
    click.echo(f"revoked token {row.id} of {row.user}")


def register(cli: click.Group) -> None:
    cli.add_command(user)
    cli.add_command(token)
