"""Health, signing in and out, and who you are."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from golive.auth.principal import Principal
from golive.web.api.common import Body, Name, web_context, who
from golive.web.security import COOKIE, PUBLIC

router = APIRouter()


class Login(Body):
    name: Name
    password: Annotated[str, Field(min_length=1, max_length=1024)]


@router.get("/health")
async def health(_: Any = who(PUBLIC)) -> dict[str, str]:
    return {"status": "ok"}


@router.post("/session")
def login(body: Login, request: Request, response: Response, _: Any = who(PUBLIC)) -> dict[str, Any]:
    """Sign in: sets the HttpOnly session cookie; answers the CSRF token to send
    in ``X-CSRF-Token`` with every unsafe request of the session."""
    accounts = web_context(request).accounts
    client = request.client.host if request.client else "unknown"
    principal = accounts.login(body.name, body.password, client=client)
    session_id, csrf = accounts.open_session(principal)
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="lax",
        secure=web_context(request).secure,
        path="/",
        max_age=12 * 3600,
    )
    return {"name": principal.name, "role": principal.role, "csrf": csrf}


@router.delete("/session")
def logout(request: Request, response: Response, _: Principal = who("read")) -> dict[str, bool]:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        web_context(request).accounts.close_session(cookie)
    response.delete_cookie(COOKIE, path="/")
    return {"signed_out": True}


@router.get("/me")
def me(principal: Principal = who("read")) -> dict[str, Any]:
    return {"name": principal.name, "role": principal.role, "via": principal.via, "token": principal.token_id}
