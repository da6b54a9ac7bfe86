"""What the API's modules share: the body models' base, ``who`` (the route's rule),
the error answers, and the helpers that reach the services and the shared answers."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from golive.web.idempotency import Idempotent, idempotency, json_bytes
from golive.web.security import Require

__all__ = [
    "ERRORS",
    "Body",
    "ErrorAnswer",
    "ErrorDetail",
    "Idem",
    "Name",
    "Reason",
    "ReleaseId",
    "RunbookText",
    "Stale",
    "Text",
    "expect_fresh",
    "release_service",
    "rollout_service",
    "shared_answer",
    "shared_load_answer",
    "state_answer",
    "web_context",
    "who",
    "with_file",
]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None


class ErrorAnswer(BaseModel):
    """What every error answers (golive.web.errors), never FastAPI's ``detail`` list."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorAnswer, "description": text}
    for status, text in [
        (401, "Not authenticated"),
        (403, "Forbidden"),
        (404, "Not found"),
        (409, "Conflict"),
        (422, "Invalid input"),
    ]
}

Idem = Annotated[Idempotent, Depends(idempotency)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=10_000)]
Reason = Annotated[str, Field(min_length=1, max_length=10_000)]
ReleaseId = Annotated[str, Field(min_length=1, max_length=40)]


def who(action: str) -> Any:
    return Depends(Require(action))


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Stale(Body):
    expect_seq: int | None = Field(
        default=None,
        ge=0,
        description="The seq the person decided on: 409 `stale` when the release moved on.",
    )


# -- helpers ---------------------------------------------------------------------------
def web_context(request: Request) -> Any:
    return request.app.state.golive


def release_service(request: Request) -> Any:
    from golive.release.service import ReleaseService

    ctx = web_context(request)
    return ReleaseService(ctx.store, ctx.config, clock=ctx.clock.now)


def rollout_service(request: Request) -> Any:
    from golive.rollout.service import RolloutService

    ctx = web_context(request)
    return RolloutService(ctx.store, ctx.config, ctx.clock)


def expect_fresh(svc: Any, _release_id: str, expect_seq: int | None) -> None:
    """The action's append is refused (409 ``stale``) unless the release is still at
    ``expect_seq``: the service checks it against the state it acts on."""
    svc.expect_seq = expect_seq


async def shared_answer(
    request: Request, kind: str, release_id: str, make: Any, *, timed: bool = True
) -> Response:
    """``make()``'s answer as JSON, made once for every request at the release's head
    (and, when it depends on the clock, in the same second): see golive.web.cache."""
    return await _shared(request, kind, release_id, lambda _head: make(), timed)


async def shared_load_answer(
    request: Request, kind: str, release_id: str, make: Any, *, timed: bool = True
) -> Response:
    """As :func:`shared_answer`, with ``make(loaded)`` given the release as loaded once
    at its head for every answer (WebContext.loaded): a second's status costs no fold."""
    ctx = web_context(request)
    return await _shared(
        request,
        kind,
        release_id,
        lambda head: make(ctx.loaded(release_service(request), release_id, head)),
        timed,
    )


async def _shared(request: Request, kind: str, release_id: str, make: Any, timed: bool) -> Response:
    """On the event loop: the head (one indexed read) and, most of the time, an answer
    already made; a worker thread only makes an answer (a fold, a status, JSON)."""
    from anyio.to_thread import run_sync

    from golive.web.cache import MISSING

    ctx = web_context(request)
    head = ctx.store.get_release(release_id).head_seq
    second = int(ctx.clock.now().timestamp()) if timed else 0
    key, family = (kind, release_id, head, second), (kind, release_id, head)
    body: bytes = ctx.views.peek(key, family=family)
    if body is MISSING:
        body = await run_sync(lambda: ctx.views.get(key, lambda: json_bytes(make(head)), family=family))
    return Response(body, media_type="application/json")


def state_answer(svc: Any, release_id: str, state: Any) -> dict[str, Any]:
    from golive.release.views import status_view

    return status_view(svc.status(release_id)) | {"seq": state.seq}


class RunbookText(Body):
    # a file name, never only dots ("." or ".." would name the upload folder or its parent)
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\.*[\w\- ][\w.\- ]*$")] = (
        "runbook.md"
    )
    content: Annotated[str, Field(max_length=5_000_000)]


def with_file(doc: RunbookText, work: Any) -> Any:
    with tempfile.TemporaryDirectory(prefix="golive-upload-") as tmp:
        path = Path(tmp) / Path(doc.filename).name
        path.write_text(doc.content, encoding="utf-8")
        return work(path)
