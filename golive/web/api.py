"""The REST API under ``/api/v1``: parse, call the service layer as the
authenticated person, answer JSON. No rule lives here: each route names its
action (:class:`~golive.web.security.Require`) and the services decide the rest.

Actions with a side effect take an ``Idempotency-Key``; release actions take
``expect_seq`` (the ``seq`` of the state the person decided on): when the
release moved on since, the answer is 409 ``stale`` and nothing is written.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from golive.auth.principal import Principal
from golive.errors import InputError
from golive.web.idempotency import Idempotent, idempotency, json_bytes, jsonable
from golive.web.security import COOKIE, PUBLIC, Require

__all__ = ["router"]


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
router = APIRouter(prefix="/api/v1", responses=ERRORS)

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
def _ctx(request: Request) -> Any:
    return request.app.state.golive


def _releases(request: Request) -> Any:
    from golive.release.service import ReleaseService

    ctx = _ctx(request)
    return ReleaseService(ctx.store, ctx.config, clock=ctx.clock.now)


def _rollouts(request: Request) -> Any:
    from golive.rollout.service import RolloutService

    ctx = _ctx(request)
    return RolloutService(ctx.store, ctx.config, ctx.clock)


def _fresh(svc: Any, _release_id: str, expect_seq: int | None) -> None:
    """The action's append is refused (409 ``stale``) unless the release is still at
    ``expect_seq``: the service checks it against the state it acts on."""
    svc.expect_seq = expect_seq


def _shared(request: Request, kind: str, release_id: str, make: Any, *, timed: bool = True) -> Response:
    """``make()``'s answer as JSON, made once for every request at the release's head
    (and, when it depends on the clock, in the same second): see golive.web.cache."""
    ctx = _ctx(request)
    head = ctx.store.get_release(release_id).head_seq
    second = int(ctx.clock.now().timestamp()) if timed else 0
    body: bytes = ctx.views.get((kind, release_id, head, second), lambda: json_bytes(make()))
    return Response(body, media_type="application/json")


def _state_answer(svc: Any, release_id: str, state: Any) -> dict[str, Any]:
    from golive.release.views import status_view

    return status_view(svc.status(release_id)) | {"seq": state.seq}


# -- session, health, me ------------------------------------------------------------
class Login(Body):
    name: Name
    password: Annotated[str, Field(min_length=1, max_length=1024)]


@router.get("/health")
def health(_: Any = who(PUBLIC)) -> dict[str, str]:
    return {"status": "ok"}


@router.post("/session")
def login(body: Login, request: Request, response: Response, _: Any = who(PUBLIC)) -> dict[str, Any]:
    """Sign in: sets the HttpOnly session cookie; answers the CSRF token to send
    in ``X-CSRF-Token`` with every unsafe request of the session."""
    accounts = _ctx(request).accounts
    client = request.client.host if request.client else "unknown"
    principal = accounts.login(body.name, body.password, client=client)
    session_id, csrf = accounts.open_session(principal)
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="lax",
        secure=_ctx(request).secure,
        path="/",
        max_age=12 * 3600,
    )
    return {"name": principal.name, "role": principal.role, "csrf": csrf}


@router.delete("/session")
def logout(request: Request, response: Response, _: Principal = who("read")) -> dict[str, bool]:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        _ctx(request).accounts.close_session(cookie)
    response.delete_cookie(COOKIE, path="/")
    return {"signed_out": True}


@router.get("/me")
def me(principal: Principal = who("read")) -> dict[str, Any]:
    return {"name": principal.name, "role": principal.role, "via": principal.via, "token": principal.token_id}


# -- runbooks ---------------------------------------------------------------------------
class RunbookText(Body):
    # a file name, never only dots ("." or ".." would name the upload folder or its parent)
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\.*[\w\- ][\w.\- ]*$")] = (
        "runbook.md"
    )
    content: Annotated[str, Field(max_length=5_000_000)]


def _with_file(doc: RunbookText, work: Any) -> Any:
    with tempfile.TemporaryDirectory(prefix="golive-upload-") as tmp:
        path = Path(tmp) / Path(doc.filename).name
        path.write_text(doc.content, encoding="utf-8")
        return work(path)


@router.post("/runbooks/lint")
def runbook_lint(doc: RunbookText, _: Principal = who("runbook.lint")) -> dict[str, Any]:
    from golive.lint.api import lint_path

    def run(path: Path) -> dict[str, Any]:
        _runbook, findings = lint_path(path)
        return {"findings": [f.model_dump(mode="json") for f in findings]}

    result: dict[str, Any] = _with_file(doc, run)
    return result


@router.post("/runbooks/show")
def runbook_show(doc: RunbookText, _: Principal = who("read")) -> dict[str, Any]:
    from golive.runbook.loader import load_runbook

    result: dict[str, Any] = _with_file(doc, lambda path: load_runbook(path).model_dump(mode="json"))
    return result


# -- releases ---------------------------------------------------------------------------
class StartRelease(Body):
    runbook: RunbookText
    service: Name
    version: Name
    env: Annotated[str, Field(min_length=1, max_length=100)]
    launch: Annotated[str, Field(min_length=1, max_length=100, description='e.g. "2026-12-01 09:00 UTC"')]


@router.get("/releases")
def releases(request: Request, _: Principal = who("read")) -> list[dict[str, Any]]:
    from golive.release.views import release_view

    return [release_view(r) for r in _ctx(request).store.list_releases()]


@router.post("/releases", status_code=201)
def release_start(
    body: StartRelease, request: Request, idem: Idem, principal: Principal = who("release.start")
) -> Any:
    from golive.timeparse import parse_launch

    svc = _releases(request)

    def run() -> dict[str, Any]:
        try:
            when = parse_launch(body.launch)
        except InputError as exc:
            raise InputError(exc.message, location="launch") from None
        tz = str(getattr(when.tzinfo, "key", "UTC"))
        rid = _with_file(
            body.runbook,
            lambda path: svc.start(
                path,
                service=body.service,
                version=body.version,
                env=body.env,
                launch=when,
                tz=tz,
                actor=principal,
            ),
        )
        return {"id": rid}

    return idem.run(principal, run, status=201)


@router.get("/releases/{release_id}")
def release_get(release_id: str, request: Request, _: Principal = who("read")) -> Response:
    from golive.release.views import gates_view, release_view, signoffs_view, status_view

    def make() -> dict[str, Any]:
        svc = _releases(request)
        row, state = svc.load(release_id)
        return {
            "release": release_view(row),
            "status": status_view(svc.status(release_id)),
            "gates": gates_view(state),
            "signoffs": signoffs_view(state),
            "people": state.people,
        }

    return _shared(request, "release", release_id, make)


@router.get("/releases/{release_id}/status")
def release_status(release_id: str, request: Request, _: Principal = who("read")) -> Response:
    from golive.release.views import status_view

    return _shared(request, "status", release_id, lambda: status_view(_releases(request).status(release_id)))


@router.get("/releases/{release_id}/items")
def release_items(release_id: str, request: Request, _: Principal = who("read")) -> Response:
    from golive.release.views import items_view

    return _shared(
        request, "items", release_id, lambda: items_view(_releases(request).load(release_id)[1]), timed=False
    )


@router.get("/releases/{release_id}/runbook")
def release_runbook(release_id: str, request: Request, _: Principal = who("read")) -> dict[str, Any]:
    """The release's runbook as it was snapshotted: its Markdown source and its model."""
    store = _ctx(request).store
    row = store.get_release(release_id)
    title, source, model = store.get_snapshot(row.snapshot)
    return {"hash": row.snapshot, "title": title, "source": source, "model": json.loads(model)}


@router.get("/snapshots/{content_hash}")
def snapshot(content_hash: str, request: Request, _: Principal = who("read")) -> dict[str, Any]:
    """A runbook snapshot by its SHA-256: what a release (or an upgrade) recorded."""
    title, source, model = _ctx(request).store.get_snapshot(content_hash)
    # the model exactly as stored: its SHA-256 is the hash a reader checks it against
    return {"hash": content_hash, "title": title, "source": source, "model_json": model}


class Upgrade(Stale):
    runbook: RunbookText
    dry_run: bool = False


@router.post("/releases/{release_id}/upgrade")
def upgrade(
    release_id: str, body: Upgrade, request: Request, idem: Idem, principal: Principal = who("upgrade")
) -> Any:
    """The item-level diff between the release's runbook and the one sent; applied unless ``dry_run``."""
    svc = _releases(request)

    def run() -> dict[str, Any]:
        _fresh(svc, release_id, body.expect_seq)
        if body.dry_run:
            diff: dict[str, Any] = _with_file(body.runbook, lambda path: svc.diff(release_id, path, None))
            diff.pop("runbook")
            diff.pop("current_content_hash")
            return diff | {"applied": False}
        applied: dict[str, Any] = _with_file(
            body.runbook, lambda path: svc.upgrade(release_id, path, actor=principal)
        )
        return applied

    return idem.run(principal, run)


@router.post("/releases/{release_id}/reconfigure")
def reconfigure(
    release_id: str, request: Request, idem: Idem, principal: Principal = who("reconfigure")
) -> Any:
    """Make the server's golive.toml the configuration in force for the release (recorded with the
    changes)."""
    svc = _releases(request)
    return idem.run(principal, lambda: svc.reconfigure(release_id, actor=principal))


class Attach(Stale):
    item: Name
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    note: Text = ""


@router.post("/releases/{release_id}/evidence")
def attach(
    release_id: str, body: Attach, request: Request, idem: Idem, principal: Principal = who("attach")
) -> Any:
    """Attach a link to evidence to an item (a file is attached on the machine, which reads its
    SHA-256)."""
    svc = _releases(request)

    def run() -> dict[str, Any]:
        _fresh(svc, release_id, body.expect_seq)
        state = svc.attach(release_id, body.item, actor=principal, url=body.url, note=body.note)
        return _state_answer(svc, release_id, state)

    return idem.run(principal, run)


class ItemAction(Stale):
    reason: Text | None = None


@router.post("/releases/{release_id}/items/{item_id:path}/{action}")
def item_action(
    release_id: str,
    item_id: str,
    action: Literal["start", "done", "fail", "skip", "reopen"],
    body: ItemAction,
    request: Request,
    idem: Idem,
    principal: Principal = who("item"),
) -> Any:
    svc = _releases(request)

    def run() -> dict[str, Any]:
        _fresh(svc, release_id, body.expect_seq)
        state = svc.item_action(release_id, item_id, action, actor=principal, reason=body.reason)
        return _state_answer(svc, release_id, state)

    return idem.run(principal, run)


class Comment(Stale):
    text: Annotated[str, Field(min_length=1, max_length=10_000)]
    item: str | None = None


@router.post("/releases/{release_id}/comments")
def comment(
    release_id: str, body: Comment, request: Request, idem: Idem, principal: Principal = who("comment")
) -> Any:
    svc = _releases(request)

    def run() -> dict[str, Any]:
        _fresh(svc, release_id, body.expect_seq)
        state = svc.comment(release_id, body.text, actor=principal, item_id=body.item)
        return _state_answer(svc, release_id, state)

    return idem.run(principal, run)


class RunChecks(Body):
    phase: str | None = None


@router.post("/releases/{release_id}/checks")
def run_checks(
    release_id: str, body: RunChecks, request: Request, idem: Idem, principal: Principal = who("checks")
) -> Any:
    svc = _releases(request)

    def run() -> dict[str, Any]:
        _state, results = svc.run_checks(release_id, actor=principal, phase=body.phase)
        return {"results": [r.model_dump(mode="json") for r in results]}

    return idem.run(principal, run)


class SignOff(Stale):
    role: Name
    note: Text = ""


@router.get("/releases/{release_id}/signoffs")
def signoffs(release_id: str, request: Request, _: Principal = who("read")) -> list[dict[str, Any]]:
    from golive.release.views import signoffs_view

    return signoffs_view(_releases(request).load(release_id)[1])


@router.post("/releases/{release_id}/signoffs")
def signoff(
    release_id: str, body: SignOff, request: Request, idem: Idem, principal: Principal = who("signoff")
) -> Any:
    svc = _releases(request)

    def run() -> dict[str, Any]:
        _fresh(svc, release_id, body.expect_seq)
        return _state_answer(
            svc, release_id, svc.signoff(release_id, body.role, actor=principal, note=body.note)
        )

    return idem.run(principal, run)


class Revoke(Stale):
    role: Name
    reason: Reason


@router.post("/releases/{release_id}/signoffs/revoke")
def revoke(
    release_id: str, body: Revoke, request: Request, idem: Idem, principal: Principal = who("revoke")
) -> Any:
    svc = _releases(request)

    def run() -> dict[str, Any]:
        _fresh(svc, release_id, body.expect_seq)
        return _state_answer(
            svc, release_id, svc.revoke(release_id, body.role, actor=principal, reason=body.reason)
        )

    return idem.run(principal, run)


class Waive(Stale):
    target: Name
    reason: Reason


@router.post("/releases/{release_id}/waivers")
def waive(
    release_id: str, body: Waive, request: Request, idem: Idem, principal: Principal = who("waive")
) -> Any:
    svc = _releases(request)

    def run() -> dict[str, Any]:
        _fresh(svc, release_id, body.expect_seq)
        return _state_answer(
            svc, release_id, svc.waive(release_id, body.target, actor=principal, reason=body.reason)
        )

    return idem.run(principal, run)


class Assign(Stale):
    role: Name
    person: Name
    remove: bool = False


@router.post("/releases/{release_id}/assignments")
def assign(
    release_id: str, body: Assign, request: Request, idem: Idem, principal: Principal = who("assign")
) -> Any:
    svc = _releases(request)

    def run() -> dict[str, Any]:
        _fresh(svc, release_id, body.expect_seq)
        state = svc.assign(release_id, body.role, body.person, actor=principal, remove=body.remove)
        return _state_answer(svc, release_id, state)

    return idem.run(principal, run)


@router.get("/releases/{release_id}/decision")
def decision(release_id: str, request: Request, principal: Principal = who("read")) -> Response:
    from golive.release.views import decision_view

    return _shared(
        request,
        "decision",
        release_id,
        lambda: decision_view(_releases(request).decide(release_id, actor=principal)),
    )


class Decide(Stale):
    go: bool = Field(default=False, description="Record GO or fail (writing nothing) when it is NO-GO.")


@router.post("/releases/{release_id}/decision")
def decide(
    release_id: str, body: Decide, request: Request, idem: Idem, principal: Principal = who("decide")
) -> Any:
    from golive.release.views import decision_view

    svc = _releases(request)

    def run() -> dict[str, Any]:
        _fresh(svc, release_id, body.expect_seq)
        return decision_view(svc.decide(release_id, actor=principal, record=True, expect_go=body.go))

    return idem.run(principal, run)


# -- the rollout ------------------------------------------------------------------------
@router.get("/releases/{release_id}/rollout")
def rollout(release_id: str, request: Request, _: Principal = who("read")) -> Response:
    from golive.rollout.views import confirmation, rollout_view

    def make() -> dict[str, Any]:
        state = _rollouts(request).controller(release_id).state()
        view = rollout_view(state)
        view["confirm"] = {a: confirmation(state, a) for a in ("abort", "stop", "pause", "promote", "resume")}
        return view

    return _shared(request, "rollout", release_id, make, timed=False)


class StartRollout(Body):
    without_go: Text | None = Field(default=None, description="Start without a current GO: say why.")
    guard: Annotated[str, Field(max_length=1_000_000)] | None = Field(
        default=None, description="A guard file (YAML) instead of the runbook's own rollout plan."
    )


@router.post("/releases/{release_id}/rollout/start")
def rollout_start(
    release_id: str,
    body: StartRollout,
    request: Request,
    idem: Idem,
    principal: Principal = who("rollout.start"),
) -> Any:
    svc = _rollouts(request)

    def run() -> dict[str, Any]:
        if body.guard is None:
            result = svc.start(release_id, actor=principal, without_go=body.without_go)
        else:
            guard = RunbookText(filename="guard.yaml", content=body.guard)
            result = _with_file(
                guard,
                lambda path: svc.start(
                    release_id, actor=principal, guard_file=str(path), without_go=body.without_go
                ),
            )
        return {
            "release": release_id,
            "components": [{"name": n, "steps": w} for n, w in result.components],
            "triggers": [
                {
                    "name": t.name,
                    "breach": t.breach,
                    "reaction": t.reaction,
                    "shadow": t.shadow,
                    "worst_case_detection_s": t.worst_case.total_seconds(),
                }
                for t in result.triggers
            ],
            "health": result.health,
        }

    return idem.run(principal, run)


class Manual(Body):
    reason: Reason
    component: Name | None = None


def _manual(request: Request, release_id: str, action: str, body: Manual, principal: Principal) -> Any:
    svc = _rollouts(request)
    if action == "promote":
        result = svc.promote(release_id, actor=principal, reason=body.reason, component=body.component)
    elif action == "abort":
        result = asyncio.run(svc.abort(release_id, actor=principal, reason=body.reason))
    elif action == "stop":
        result = svc.emergency_stop(release_id, actor=principal, reason=body.reason)
    else:
        result = getattr(svc, action)(release_id, actor=principal, reason=body.reason)
    return {"action": result.action, "by": result.actor, "outcome": result.outcome}


@router.post("/releases/{release_id}/rollout/promote")
def rollout_promote(
    release_id: str, body: Manual, request: Request, idem: Idem, principal: Principal = who("rollout.promote")
) -> Any:
    return idem.run(principal, lambda: _manual(request, release_id, "promote", body, principal))


@router.post("/releases/{release_id}/rollout/pause")
def rollout_pause(
    release_id: str, body: Manual, request: Request, idem: Idem, principal: Principal = who("rollout.pause")
) -> Any:
    return idem.run(principal, lambda: _manual(request, release_id, "pause", body, principal))


@router.post("/releases/{release_id}/rollout/resume")
def rollout_resume(
    release_id: str, body: Manual, request: Request, idem: Idem, principal: Principal = who("rollout.resume")
) -> Any:
    return idem.run(principal, lambda: _manual(request, release_id, "resume", body, principal))


@router.post("/releases/{release_id}/rollout/abort")
def rollout_abort(
    release_id: str, body: Manual, request: Request, idem: Idem, principal: Principal = who("rollout.abort")
) -> Any:
    return idem.run(principal, lambda: _manual(request, release_id, "abort", body, principal))


@router.post("/releases/{release_id}/rollout/stop")
def rollout_stop(
    release_id: str, body: Manual, request: Request, idem: Idem, principal: Principal = who("rollout.stop")
) -> Any:
    return idem.run(principal, lambda: _manual(request, release_id, "stop", body, principal))


class Resolve(Body):
    step: Annotated[
        str, Field(min_length=1, max_length=200, description="web:2, rollback:web or procedure:1")
    ]
    ran: bool
    reason: Reason


@router.post("/releases/{release_id}/rollout/resolve")
def rollout_resolve(
    release_id: str,
    body: Resolve,
    request: Request,
    idem: Idem,
    principal: Principal = who("rollout.resolve"),
) -> Any:
    svc = _rollouts(request)

    def run() -> dict[str, Any]:
        result = svc.resolve(release_id, body.step, ran=body.ran, actor=principal, reason=body.reason)
        return {"step": result.intent.step, "ran": result.ran, "by": result.actor, "outcome": result.outcome}

    return idem.run(principal, run)


# -- audit, report, events ----------------------------------------------------------------
@router.get("/releases/{release_id}/audit")
def audit(
    release_id: str,
    request: Request,
    head: Annotated[str | None, Query(max_length=100, description="SEQ:HASH kept elsewhere")] = None,
    _: Principal = who("read"),
) -> dict[str, Any]:
    from golive.store.chain import parse_anchor

    result = _releases(request).audit(release_id, anchor=parse_anchor(head) if head else None)
    return {
        "release": release_id,
        "events": result.events,
        "mode": result.mode,
        "mode_name": result.mode_name,
        "exit_code": result.exit_code,
        "intact": not result.findings and result.hashes_checked,
        "hashes_checked": result.hashes_checked,
        "findings": [str(f) for f in result.findings],
        "notes": list(result.notes),
    }


@router.get("/releases/{release_id}/audit/head")
def audit_head(release_id: str, request: Request, _: Principal = who("read")) -> dict[str, Any]:
    row = _ctx(request).store.get_release(release_id)
    return {
        "release": row.id,
        "seq": row.head_seq,
        "hash": row.head_hash,
        "mode": row.audit_mode,
        "anchor": f"{row.head_seq}:{row.head_hash}",
    }


def _report(request: Request, release_id: str) -> tuple[str, str]:
    from golive.report import write_report

    with tempfile.TemporaryDirectory(prefix="golive-report-") as tmp:
        files = write_report(_ctx(request).store, release_id, Path(tmp))
        return files.markdown.read_text(encoding="utf-8"), files.html.read_text(encoding="utf-8")


@router.get("/releases/{release_id}/report.md", response_class=PlainTextResponse)
def report_markdown(release_id: str, request: Request, _: Principal = who("read")) -> PlainTextResponse:
    return PlainTextResponse(_report(request, release_id)[0], media_type="text/markdown; charset=utf-8")


@router.get("/releases/{release_id}/report.html", response_class=HTMLResponse)
def report_html(release_id: str, request: Request, _: Principal = who("read")) -> HTMLResponse:
    # the report is self-contained: its own styles, an embedded chart, no script at all
    return HTMLResponse(
        _report(request, release_id)[1],
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"},
    )


@router.get("/releases/{release_id}/events")
def events(
    release_id: str,
    request: Request,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    _: Principal = who("read"),
) -> list[dict[str, Any]]:
    from golive.release.views import event_view

    store = _ctx(request).store
    store.get_release(release_id)
    return [event_view(e) for e in store.events(release_id, after=after)[:limit]]


@router.get(
    "/releases/{release_id}/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def event_stream(
    release_id: str,
    request: Request,
    after: Annotated[int, Query(ge=0)] = 0,
    _: Principal = who("read"),
) -> StreamingResponse:
    """The release's events as Server-Sent Events (``id`` is the event's seq),
    from ``Last-Event-ID`` (or ``after``) on, then live."""

    from golive.release.views import event_view

    store = _ctx(request).store
    await asyncio.to_thread(store.get_release, release_id)
    last = request.headers.get("last-event-id", "").strip()
    start = int(last) if last.isascii() and last.isdigit() else after
    poll = _ctx(request).poll

    async def stream() -> AsyncIterator[bytes]:
        seq = start
        quiet = 0.0
        yield b"retry: 2000\n\n"
        while not await request.is_disconnected():
            batch = await asyncio.to_thread(store.events, release_id, after=seq)
            for event in batch:
                seq = event.seq
                # encoded as GET .../events answers it (ISO 8601 times, not str())
                data = json.dumps(jsonable(event_view(event)))
                yield f"id: {event.seq}\nevent: golive\ndata: {data}\n\n".encode()
            if batch:
                quiet = 0.0
                continue
            await asyncio.sleep(poll)
            quiet += poll
            if quiet >= 15:
                quiet = 0.0
                yield b": keep-alive\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# -- people and tokens ----------------------------------------------------------------------
class NewUser(Body):
    name: Name
    role: Literal["viewer", "operator", "approver", "admin"]
    password: Annotated[str, Field(min_length=12, max_length=1024)] | None = None


def _user_view(row: Any) -> dict[str, Any]:
    return dataclasses.asdict(row)  # name, role, disabled, has_password, when and by whom made


@router.get("/users")
def users(request: Request, principal: Principal = who("user.manage")) -> list[dict[str, Any]]:
    return [_user_view(u) for u in _ctx(request).accounts.list_users(actor=principal)]


@router.post("/users", status_code=201)
def user_add(body: NewUser, request: Request, idem: Idem, principal: Principal = who("user.manage")) -> Any:
    accounts = _ctx(request).accounts
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
    accounts = _ctx(request).accounts

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
    ctx = _ctx(request)
    return [_token_view(t, ctx.clock.now()) for t in ctx.accounts.list_tokens(actor=principal)]


@router.post("/tokens", status_code=201)
def token_create(body: NewToken, request: Request, idem: Idem, principal: Principal = who("read")) -> Any:
    """A new token for yourself (an admin: for anyone), shown once in ``token``."""
    from golive.durations import parse_duration

    ctx = _ctx(request)

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
    ctx = _ctx(request)
    return _token_view(ctx.accounts.revoke_token(token_id, actor=principal), ctx.clock.now())
