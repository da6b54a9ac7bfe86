"""``golive login URL`` and ``golive logout``: act through a golive server.

After ``golive login``, the release, decide, sign-off, rollout, audit and report
commands act through the server's API as the signed-in person (as with
``GOLIVE_SERVER`` and ``GOLIVE_TOKEN``); ``--as`` is refused then. The token is
kept in golive's data directory (``client.json``, readable by you only).
"""

from __future__ import annotations

import sys

import click

__all__ = ["register"]


@click.command("login")
@click.argument("url")
@click.option("--user", "name", default=None, help="Your user name on the server (default: your login).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (one line).")
@click.option("--token-stdin", is_flag=True, help="Save an API token read from stdin instead of signing in.")
@click.option("--expires", default="30d", show_default=True, help="How long the token made for you lives.")
def login(url: str, name: str | None, password_stdin: bool, token_stdin: bool, expires: str) -> None:
    """Sign in to the golive server at URL and keep an API token for the CLI."""
    import httpx

    from golive.client.connection import Remote, save_login
    from golive.config import load_config
    from golive.errors import InputError

    if not url.startswith(("http://", "https://")):
        raise InputError("expected a URL such as https://golive.example.com", location="URL")
    base = url.rstrip("/")
    if token_stdin:
        token = sys.stdin.readline().strip()
    else:
        who = name or load_config().whoami(None)
        if password_stdin:
            password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        else:
            password = click.prompt(f"password for {who} at {base}", hide_input=True)
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                answer = client.post("/api/v1/session", json={"name": who, "password": password})
                if answer.status_code >= 400:
                    raise _error(answer)
                csrf = answer.json()["csrf"]
                made = client.post(
                    "/api/v1/tokens",
                    json={"expires": expires, "label": "golive login"},
                    headers={"X-CSRF-Token": csrf},
                )
                if made.status_code >= 400:
                    raise _error(made)
                token = made.json()["token"]
                client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
        except httpx.HTTPError as exc:
            raise InputError(f"cannot reach {base}: {exc.__class__.__name__}", location="URL") from None
    me = Remote(base, token).call("GET", "/me")
    path = save_login(base, token)
    click.echo(f"signed in to {base} as {me['name']} ({me['role']}); token kept in {path}")


def _error(answer: object) -> Exception:
    from golive.client.connection import server_error

    return server_error(answer)


@click.command("logout")
def logout() -> None:
    """Revoke the token `golive login` kept and forget it."""
    from golive.client.connection import forget_login, remote

    server = remote({})
    if server is None:
        click.echo("not signed in to a server")
        return
    me = server.call("GET", "/me")
    if me.get("token"):
        server.call("DELETE", f"/tokens/{me['token']}")
    forget_login()
    click.echo(f"signed out of {server.url}")


def register(cli: click.Group) -> None:
    cli.add_command(login)
    cli.add_command(logout)
