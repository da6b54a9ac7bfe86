"""A release: started, read (status, items, runbook, snapshots), upgraded and
reconfigured, and every action on it (evidence, items, comments, checks,
sign-offs, waivers, assignments, the decision), each with ``expect_seq``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import Field

from golive.auth.principal import Principal
from golive.errors import InputError
from golive.release.service import Loaded
from golive.web.api.common import (
    Body,
    Idem,
    Name,
    Reason,
    RunbookText,
    Stale,
    Text,
    expect_fresh,
    release_service,
    shared_load_answer,
    state_answer,
    web_context,
    who,
    with_file,
)

if TYPE_CHECKING:
    from golive.release.service import Loaded

router = APIRouter()


class StartRelease(Body):
    runbook: RunbookText
    service: Name
    version: Name
    env: Annotated[str, Field(min_length=1, max_length=100)]
    launch: Annotated[str, Field(min_length=1, max_length=100, description='e.g. "2026-12-01 09:00 UTC"')]


@router.get("/releases")
def releases(request: Request, _: Principal = who("read")) -> list[dict[str, Any]]:
    from golive.release.views import release_view

    return [release_view(r) for r in web_context(request).store.list_releases()]


@router.post("/releases", status_code=201)
def release_start(
    body: StartRelease, request: Request, idem: Idem, principal: Principal = who("release.start")
) -> Any:
    from golive.timeparse import parse_launch

    svc = release_service(request)

    def run() -> dict[str, Any]:
        try:
            when = parse_launch(body.launch)
        except InputError as exc:
            raise InputError(exc.message, location="launch") from None
        tz = str(getattr(when.tzinfo, "key", "UTC"))
        rid = with_file(
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
async def release_get(release_id: str, request: Request, _: Principal = who("read")) -> Response:
    from golive.release.views import gates_view, release_view, signoffs_view, status_view

    def make(loaded: Loaded) -> dict[str, Any]:
        row, state = loaded
        return {
            "release": release_view(row),
            "status": status_view(release_service(request).status(release_id, loaded=loaded)),
            "gates": gates_view(state),
            "signoffs": signoffs_view(state),
            "people": state.people,
        }

    return await shared_load_answer(request, "release", release_id, make)


@router.get("/releases/{release_id}/status")
async def release_status(release_id: str, request: Request, _: Principal = who("read")) -> Response:
    from golive.release.views import status_view

    return await shared_load_answer(
        request,
        "status",
        release_id,
        lambda loaded: status_view(release_service(request).status(release_id, loaded=loaded)),
    )


@router.get("/releases/{release_id}/items")
async def release_items(release_id: str, request: Request, _: Principal = who("read")) -> Response:
    from golive.release.views import items_view

    return await shared_load_answer(
        request,
        "items",
        release_id,
        lambda loaded: items_view(loaded[1]),
        timed=False,
    )


@router.get("/releases/{release_id}/runbook")
def release_runbook(release_id: str, request: Request, _: Principal = who("read")) -> dict[str, Any]:
    """The release's runbook as it was snapshotted: its Markdown source and its model."""
    store = web_context(request).store
    row = store.get_release(release_id)
    title, source, model = store.get_snapshot(row.snapshot)
    return {"hash": row.snapshot, "title": title, "source": source, "model": json.loads(model)}


@router.get("/snapshots/{content_hash}")
def snapshot(content_hash: str, request: Request, _: Principal = who("read")) -> dict[str, Any]:
    """A runbook snapshot by its SHA-256: what a release (or an upgrade) recorded."""
    title, source, model = web_context(request).store.get_snapshot(content_hash)
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
    svc = release_service(request)

    def run() -> dict[str, Any]:
        expect_fresh(svc, release_id, body.expect_seq)
        if body.dry_run:
            diff: dict[str, Any] = with_file(body.runbook, lambda path: svc.diff(release_id, path, None))
            diff.pop("runbook")
            diff.pop("current_content_hash")
            return diff | {"applied": False}
        applied: dict[str, Any] = with_file(
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
    svc = release_service(request)
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
    svc = release_service(request)

    def run() -> dict[str, Any]:
        expect_fresh(svc, release_id, body.expect_seq)
        state = svc.attach(release_id, body.item, actor=principal, url=body.url, note=body.note)
        return state_answer(svc, release_id, state)

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
    svc = release_service(request)

    def run() -> dict[str, Any]:
        expect_fresh(svc, release_id, body.expect_seq)
        state = svc.item_action(release_id, item_id, action, actor=principal, reason=body.reason)
        return state_answer(svc, release_id, state)

    return idem.run(principal, run)


class Comment(Stale):
    text: Annotated[str, Field(min_length=1, max_length=10_000)]
    item: str | None = None


@router.post("/releases/{release_id}/comments")
def comment(
    release_id: str, body: Comment, request: Request, idem: Idem, principal: Principal = who("comment")
) -> Any:
    svc = release_service(request)

    def run() -> dict[str, Any]:
        expect_fresh(svc, release_id, body.expect_seq)
        state = svc.comment(release_id, body.text, actor=principal, item_id=body.item)
        return state_answer(svc, release_id, state)

    return idem.run(principal, run)


class RunChecks(Body):
    phase: str | None = None


@router.post("/releases/{release_id}/checks")
def run_checks(
    release_id: str, body: RunChecks, request: Request, idem: Idem, principal: Principal = who("checks")
) -> Any:
    svc = release_service(request)

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

    return signoffs_view(release_service(request).load(release_id)[1])


@router.post("/releases/{release_id}/signoffs")
def signoff(
    release_id: str, body: SignOff, request: Request, idem: Idem, principal: Principal = who("signoff")
) -> Any:
    svc = release_service(request)

    def run() -> dict[str, Any]:
        expect_fresh(svc, release_id, body.expect_seq)
        return state_answer(
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
    svc = release_service(request)

    def run() -> dict[str, Any]:
        expect_fresh(svc, release_id, body.expect_seq)
        return state_answer(
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
    svc = release_service(request)

    def run() -> dict[str, Any]:
        expect_fresh(svc, release_id, body.expect_seq)
        return state_answer(
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
    svc = release_service(request)

    def run() -> dict[str, Any]:
        expect_fresh(svc, release_id, body.expect_seq)
        state = svc.assign(release_id, body.role, body.person, actor=principal, remove=body.remove)
        return state_answer(svc, release_id, state)

    return idem.run(principal, run)


@router.get("/releases/{release_id}/decision")
async def decision(release_id: str, request: Request, principal: Principal = who("read")) -> Response:
    from golive.release.views import decision_view

    return await shared_load_answer(
        request,
        "decision",
        release_id,
        lambda loaded: decision_view(
            release_service(request).decide(release_id, actor=principal, loaded=loaded)
        ),
    )


class Decide(Stale):
    go: bool = Field(default=False, description="Record GO or fail (writing nothing) when it is NO-GO.")


@router.post("/releases/{release_id}/decision")
def decide(
    release_id: str, body: Decide, request: Request, idem: Idem, principal: Principal = who("decide")
) -> Any:
    from golive.release.views import decision_view

    svc = release_service(request)

    def run() -> dict[str, Any]:
        expect_fresh(svc, release_id, body.expect_seq)
        return decision_view(svc.decide(release_id, actor=principal, record=True, expect_go=body.go))

    return idem.run(principal, run)
