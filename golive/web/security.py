"""Who is asking: an API token in the ``Authorization`` header, or the dashboard's
session cookie (with its CSRF token on every unsafe request). Tokens in a query
string are refused, never read. Every route depends on one :class:`Require`,
which names its action; ``public`` routes say so."""

from __future__ import annotations

import hmac

from fastapi import Request

from golive.auth.principal import ACTIONS, Principal, at_least
from golive.errors import AuthError, ForbiddenError

__all__ = ["COOKIE", "CSRF_COOKIE", "CSRF_HEADER", "PUBLIC", "Require", "authenticate"]

COOKIE = "golive_session"
CSRF_COOKIE = "golive_csrf"
CSRF_HEADER = "X-CSRF-Token"
PUBLIC = "public"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
QUERY_SECRETS = frozenset({"token", "access_token", "api_key", "apikey", "auth", "session"})


class CsrfError(ForbiddenError):
    code = "csrf"


def authenticate(request: Request) -> Principal:
    """The person behind the request, or AuthError (401)."""
    accounts = request.app.state.golive.accounts
    if QUERY_SECRETS & {key.lower() for key in request.query_params}:
        raise AuthError("credentials are accepted only in the Authorization header, never in the URL")
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError("expected 'Authorization: Bearer TOKEN'")
        principal: Principal = accounts.authenticate_token(value.strip(), touch=False)
        return principal
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise AuthError("sign in, or send an API token in the Authorization header")
    principal, csrf = accounts.session(cookie)
    if request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER) or getattr(request.state, "form_csrf", None) or ""
        if not sent or not hmac.compare_digest(sent, csrf):
            raise CsrfError(f"missing or wrong CSRF token (send it in {CSRF_HEADER})")
    request.state.csrf = csrf
    return principal


class Require:
    """The route's rule: the action it takes (a key of ``ACTIONS``) or ``public``.
    The service layer checks the same table again for every action it takes."""

    def __init__(self, action: str) -> None:
        if action != PUBLIC and action not in ACTIONS:
            raise KeyError(f"no rule for action {action!r}")
        self.action = action

    async def __call__(self, request: Request) -> Principal | None:
        # on the event loop: authenticating reads one indexed row, which costs less than
        # the hop to a worker thread; the one write (a token's last use, once a minute)
        # goes to a thread, since a write may wait for the database's lock
        if self.action == PUBLIC:
            return None
        principal = authenticate(request)
        accounts = request.app.state.golive.accounts
        if principal.token_id is not None and principal.token_id in accounts.touch_due:
            import anyio.to_thread

            await anyio.to_thread.run_sync(accounts.touch_token, principal.token_id)
        needed = ACTIONS[self.action]
        if not at_least(principal.role, needed):
            raise ForbiddenError(
                f"{principal.name} is {principal.role}; {self.action} needs {needed} or above"
            )
        request.state.principal = principal
        return principal

    def __repr__(self) -> str:
        return f"Require({self.action!r})"
