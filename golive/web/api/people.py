"""People (users) and their API tokens."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import Field

from golive.auth.principal import Principal
from golive.errors import InputError
from golive.web.api.common import Body, Idem, Name, web_context, who

router = APIRouter()


class NewUser(Body):
    name: Name
    role: Literal["viewer", "operator", "approver", "admin"]
    password: Annotated[str, Field(min_length=12, max_length=1024)] | None = None


def _user_view(row: Any) -> dict[str, Any]:
    return dataclasses.asdict(row)  # name, role, disabled, has_password, when and by whom made


@router.get("/users")
def users(request: Request, principal: Principal = who("user.manage")) -> list[dict[str, Any]]:
    return [_user_view(u) for u in web_context(request).accounts.list_users(actor=principal)]


@router.post("/users", status_code=201)
def user_add(body: NewUser, request: Request, idem: Idem, principal: Principal = who("user.manage")) -> Any:
    accounts = web_context(request).accounts
    return idem.run(
        principal,
        lambda: _user_view(accounts.add_user(body.name, body.role, actor=principal, password=body.password)),
        status=201,
    )


class UserChange(Body):
    role: Literal["viewer", "operator", "approver", "admin"] | None = None
    disabled: bool | None = None
    unlock: bool = False


@router.patch("/users/{name}")
def user_change(
    name: str, body: UserChange, request: Request, idem: Idem, principal: Principal = who("user.manage")
) -> Any:
    accounts = web_context(request).accounts

    def run() -> dict[str, Any]:
        row = accounts.get_user(name)
        if body.role is not None:
            row = accounts.set_role(name, body.role, actor=principal)
        if body.disabled is not None:
            row = accounts.disable(name, actor=principal, disabled=body.disabled)
        if body.unlock:
            row = accounts.unlock(name, actor=principal)
        return _user_view(row)

    return idem.run(principal, run)


class NewToken(Body):
    user: Name | None = Field(default=None, description="Default: yourself.")
    role: Literal["viewer", "operator", "approver", "admin"] | None = None
    expires: Annotated[str, Field(max_length=20, description="e.g. 30d, 12h")] = "30d"
    label: Annotated[str, Field(max_length=200)] = ""


def _token_view(row: Any, now: Any) -> dict[str, Any]:
    return dataclasses.asdict(row) | {"state": row.state(now)}  # never a secret: the row holds none


@router.get("/tokens")
def tokens(request: Request, principal: Principal = who("read")) -> list[dict[str, Any]]:
    """Your tokens (every token for an admin); never a secret."""
    ctx = web_context(request)
    return [_token_view(t, ctx.clock.now()) for t in ctx.accounts.list_tokens(actor=principal)]


@router.post("/tokens", status_code=201)
def token_create(body: NewToken, request: Request, idem: Idem, principal: Principal = who("read")) -> Any:
    """A new token for yourself (an admin: for anyone), shown once in ``token``."""
    from golive.durations import parse_duration

    ctx = web_context(request)

    def run() -> dict[str, Any]:
        try:
            life = parse_duration(body.expires)
        except ValueError as exc:
            raise InputError(str(exc), location="expires") from None
        if life <= timedelta(0):
            raise InputError("a token's life is positive", location="expires")
        new = ctx.accounts.create_token(
            body.user or principal.name, actor=principal, role=body.role, expires=life, label=body.label
        )
        return _token_view(new.row, ctx.clock.now()) | {"token": new.secret}

    # a replayed answer would show the secret again: token creation is never replayed
    idem.key = None
    return idem.run(principal, run, status=201)


@router.delete("/tokens/{token_id}")
def token_revoke(token_id: str, request: Request, principal: Principal = who("read")) -> dict[str, Any]:
    ctx = web_context(request)
    return _token_view(ctx.accounts.revoke_token(token_id, actor=principal), ctx.clock.now())
