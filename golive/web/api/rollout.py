"""The release's rollout: its state, its start, the manual actions, and resolving a step."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from golive.auth.principal import Principal
from golive.web.api.common import (
    Body,
    Idem,
    Name,
    Reason,
    RunbookText,
    Text,
    rollout_service,
    shared_answer,
    who,
    with_file,
)

router = APIRouter()


@router.get("/releases/{release_id}/rollout")
async def rollout(release_id: str, request: Request, _: Principal = who("read")) -> Response:
    from golive.rollout.views import confirmation, rollout_view

    def make() -> dict[str, Any]:
        state = rollout_service(request).controller(release_id).state()
        view = rollout_view(state)
        view["confirm"] = {a: confirmation(state, a) for a in ("abort", "stop", "pause", "promote", "resume")}
        return view

    return await shared_answer(request, "rollout", release_id, make, timed=False)


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
    svc = rollout_service(request)

    def run() -> dict[str, Any]:
        if body.guard is None:
            result = svc.start(release_id, actor=principal, without_go=body.without_go)
        else:
            guard = RunbookText(filename="guard.yaml", content=body.guard)
            result = with_file(
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
    svc = rollout_service(request)
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
    svc = rollout_service(request)

    def run() -> dict[str, Any]:
        result = svc.resolve(release_id, body.step, ran=body.ran, actor=principal, reason=body.reason)
        return {"step": result.intent.step, "ran": result.ran, "by": result.actor, "outcome": result.outcome}

    return idem.run(principal, run)
