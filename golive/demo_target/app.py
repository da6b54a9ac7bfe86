"""The demo target's HTTP application (aiohttp): the service's routes, ``/metrics`` and ``/admin``.

Application routes (each request served by the stable or the canary version,
chosen by the canary weight, and answered with ``X-Version`` / ``X-Version-Role``):

- ``GET /api/health``, ``GET /api/v1/health``: ``{"status": "healthy", "version", "role",
  "server_time", "ttl_seconds": 60}``; 503 ``"unhealthy"`` when the version's health is down
- ``GET /api/v1/health/detailed``: the same plus ``components`` (database, redis, payments)
- ``GET /api/v1/health/metrics``: the version's request, error and latency totals
- ``GET /api/entitlements/snapshot``: ``entitlements``, ``server_time``, ``ttl_seconds``
- ``POST /api/purchases/verify`` ``{"receipt": "demo-..."}``: 200, or 400 for an invalid receipt;
  503 "Purchases temporarily unavailable" while the ``purchases`` kill switch is off
- ``POST /api/orders``: 201, counted in ``orders_total``
- ``POST /api/payments`` ``{"amount": 12.5}``: 201, or 402 when a payment failure is injected;
  counted in ``payments_total{result}``

Faults: ``error_rate`` answers 500 (not on health routes, which follow the ``health``
fault), ``latency_ms`` delays every route, ``health`` down answers 503 on health
routes, ``payment_failure`` answers 402 on payments.

Monitoring routes (not counted as traffic): ``GET /metrics`` (Prometheus text
format, see :mod:`golive.demo_target.metrics`) and ``GET /metrics/window?seconds=S``
(0.5 to 300, default 5): the last S real seconds of traffic per version (requests,
5xx errors and error rate, mean and p95 latency, payments and their failure and
success rates, orders, health now) and the canary/stable p95 ratio, as JSON; rates
are null when the version served nothing to divide by. See
:mod:`golive.demo_target.window` for the exact contract.

Admin routes (what golive's actuators call; every POST/DELETE is logged at
``GET /admin/calls`` and, with a ledger, as one JSON line in the ledger file):
``GET /admin/state``, ``POST /admin/weight`` ``{"weight": 50}``,
``POST /admin/deploy`` ``{"component": "migrations", "weight": 100}`` (records a
component that carries no traffic; see :mod:`golive.demo_target.state`),
``GET|POST|DELETE /admin/faults``, ``DELETE /admin/faults/{id}``, ``POST /admin/rollback``
(optional ``{"reason": ...}``; weight 0), ``POST /admin/kill-switch``
``{"feature": "purchases", "enabled": false}``, ``POST /admin/reset``,
``GET /admin/calls``. Bad input answers 400
``{"error": "bad_input", "field": ..., "message": ...}``.

``POST /admin/weight``, ``POST /admin/deploy`` and ``POST /admin/rollback`` honour ``Idempotency-Key``
(see :mod:`golive.demo_target.state`): they answer the state with ``"replayed":
false`` when applied, ``"replayed": true`` (200, nothing applied) when the key was
already applied, 409 ``idempotency_key_reused`` when the key was applied to
another action or body. Every logged call records ``"replayed"``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from golive.demo_target.faults import Role
from golive.demo_target.metrics import CONTENT_TYPE
from golive.demo_target.state import (
    FEATURE_DISABLED_MESSAGE,
    ROUTES,
    TTL_SECONDS,
    Decision,
    DemoConfig,
    IdempotencyKeyReused,
    Route,
    Target,
    now_iso,
)
from golive.demo_target.traffic import SyntheticTraffic
from golive.demo_target.window import parse_seconds
from golive.errors import InputError, NotFoundError

__all__ = ["TARGET", "TRAFFIC", "make_app"]

TARGET = web.AppKey("golive_demo_target", Target)
TRAFFIC = web.AppKey("golive_demo_target_traffic", SyntheticTraffic)
REPLAYED = web.RequestKey("golive_demo_target_replayed", bool)

Body = dict[str, Any]
Responder = Callable[[web.Request, Target, Role, Decision], Awaitable[tuple[int, Body]]]
MAX_LOGGED_BODY = 2000


def _error_body(exc: InputError) -> Body:
    return {"error": exc.code, "field": exc.location, "message": exc.message}


async def _json_body(request: web.Request) -> object:
    """The request's JSON body, None when empty; InputError when it is not JSON."""
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InputError("expected a JSON body", location="body") from None


# -- application routes ----------------------------------------------------------------------


def _health_body(target: Target, role: Role, decision: Decision) -> Body:
    return {
        "status": "healthy" if decision.status == 200 else "unhealthy",
        "version": target.build(role),
        "role": role,
        "server_time": now_iso(),
        "ttl_seconds": TTL_SECONDS,
    }


async def _health(request: web.Request, target: Target, role: Role, decision: Decision) -> tuple[int, Body]:
    return decision.status, _health_body(target, role, decision)


async def _health_detailed(
    request: web.Request, target: Target, role: Role, decision: Decision
) -> tuple[int, Body]:
    effects = target.effects(role)
    healthy = decision.status == 200
    payments = "degraded" if effects.payment_failure > 0 else "healthy"
    body = _health_body(target, role, decision)
    body["components"] = {
        "database": {"status": "healthy" if healthy else "unhealthy", "latency_ms": 1.2},
        "redis": {"status": "healthy", "latency_ms": 0.4},
        "payments": {"status": payments, "failure_rate": effects.payment_failure},
    }
    return decision.status, body


async def _health_metrics(
    request: web.Request, target: Target, role: Role, decision: Decision
) -> tuple[int, Body]:
    stats = target.metrics.stats[role]
    body = _health_body(target, role, decision)
    body["uptime_seconds"] = round(target.clock() - target.started, 3)
    body["requests"] = {
        "total": stats.requests,
        "errors": stats.errors,
        "error_rate": stats.errors / stats.requests if stats.requests else 0.0,
    }
    body["latency_ms"] = {"mean": 1000 * stats.duration_sum / stats.requests if stats.requests else 0.0}
    body["canary_weight"] = target.weight
    return decision.status, body


async def _snapshot(request: web.Request, target: Target, role: Role, decision: Decision) -> tuple[int, Body]:
    return 200, {
        "entitlements": {"premium": False, "products": ["premium_monthly", "premium_yearly"]},
        "version": target.build(role),
        "server_time": now_iso(),
        "ttl_seconds": TTL_SECONDS,
    }


async def _verify_purchase(
    request: web.Request, target: Target, role: Role, decision: Decision
) -> tuple[int, Body]:
    body = await _json_body(request)
    receipt = body.get("receipt") if isinstance(body, dict) else None
    if not isinstance(receipt, str) or not receipt.startswith("demo-"):
        return 400, {
            "error": "invalid_receipt",
            "field": "receipt",
            "message": f"expected a receipt starting with 'demo-', got {receipt!r}",
        }
    return 200, {
        "verified": True,
        "entitlement": "premium",
        "version": target.build(role),
        "server_time": now_iso(),
    }


async def _order(request: web.Request, target: Target, role: Role, decision: Decision) -> tuple[int, Body]:
    body = await _json_body(request)
    if body is not None and not isinstance(body, dict):
        raise InputError("expected a JSON object (or no body)", location="body")
    target.metrics.order(role)
    return 201, {"order_id": target.next_id("o"), "status": "created", "version": target.build(role)}


async def _payment(request: web.Request, target: Target, role: Role, decision: Decision) -> tuple[int, Body]:
    body = await _json_body(request)
    if body is not None and not isinstance(body, dict):
        raise InputError("expected a JSON object (or no body)", location="body")
    amount = (body or {}).get("amount", 10.0)
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not amount > 0:
        raise InputError(f"expected a positive number, got {amount!r}", location="amount")
    if target.payment_fails(role, target.chance):
        target.metrics.payment(role, False)
        return 402, {"error": "payment_failed", "message": "Payment processing failed (injected fault)"}
    target.metrics.payment(role, True)
    return 201, {
        "payment_id": target.next_id("p"),
        "result": "success",
        "amount": amount,
        "version": target.build(role),
    }


_RESPONDERS: dict[str, Responder] = {
    "/api/health": _health,
    "/api/v1/health": _health,
    "/api/v1/health/detailed": _health_detailed,
    "/api/v1/health/metrics": _health_metrics,
    "/api/entitlements/snapshot": _snapshot,
    "/api/purchases/verify": _verify_purchase,
    "/api/orders": _order,
    "/api/payments": _payment,
}


def _served(route: Route, respond: Responder) -> Handler:
    """A handler that picks the version, applies its faults, answers, and records the request."""

    async def handler(request: web.Request) -> web.StreamResponse:
        target = request.app[TARGET]
        started = time.perf_counter()
        role = target.pick_version(target.rng)
        decision = target.decide(role, route, target.chance)
        if decision.delay > 0:
            await asyncio.sleep(decision.delay)
        status: int
        body: Body
        if decision.reason == "error":
            status, body = (
                500,
                {"error": "internal_error", "message": "Internal Server Error (injected fault)"},
            )
        elif decision.reason == "feature_disabled":
            name = (route.feature or "feature").capitalize()
            status, body = (
                503,
                {"error": "feature_disabled", "detail": FEATURE_DISABLED_MESSAGE.format(name=name)},
            )
        else:
            try:
                status, body = await respond(request, target, role, decision)
            except InputError as exc:
                status, body = 400, _error_body(exc)
        target.metrics.request(role, route.path, status, time.perf_counter() - started)
        headers = {"X-Version": target.build(role), "X-Version-Role": role}
        return web.json_response(body, status=status, headers=headers)

    return handler


async def _metrics(request: web.Request) -> web.StreamResponse:
    body = request.app[TARGET].metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def _window(request: web.Request) -> web.StreamResponse:
    seconds = parse_seconds(request.query.get("seconds"))  # InputError: 400 (the middleware)
    request.app[TRAFFIC].catch_up()
    return web.json_response(request.app[TARGET].window(seconds))


async def _index(request: web.Request) -> web.StreamResponse:
    target = request.app[TARGET]
    return web.json_response(
        {
            "service": "golive demo-target",
            "versions": {"stable": target.build("stable"), "canary": target.build("canary")},
            "routes": [f"{route.method} {route.path}" for route in ROUTES.values()],
            "metrics": "/metrics",
            "window": "/metrics/window?seconds=5",
            "admin": "/admin/state",
        }
    )


# -- admin routes ----------------------------------------------------------------------------


async def _admin_state(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[TARGET].state())


def _apply_once(request: web.Request, body: object, apply: Callable[[], Body]) -> web.StreamResponse:
    """Apply an idempotent admin action at most once per ``Idempotency-Key``."""
    target = request.app[TARGET]
    answer, replayed = target.apply_once(request.headers.get("Idempotency-Key"), request.path, body, apply)
    request[REPLAYED] = replayed
    return web.json_response({**answer, "replayed": replayed})


async def _admin_weight(request: web.Request) -> web.StreamResponse:
    target = request.app[TARGET]
    body = await _json_body(request)
    return _apply_once(request, body, lambda: target.set_weight(body))


async def _admin_deploy(request: web.Request) -> web.StreamResponse:
    target = request.app[TARGET]
    body = await _json_body(request)
    return _apply_once(request, body, lambda: target.deploy(body))


async def _admin_faults(request: web.Request) -> web.StreamResponse:
    target = request.app[TARGET]
    return web.json_response({"faults": target.faults.to_json(target.weight)})


async def _admin_add_fault(request: web.Request) -> web.StreamResponse:
    target = request.app[TARGET]
    fault = target.add_fault(await _json_body(request))
    return web.json_response(
        {"id": fault.id, "fault": fault.to_json(target.weight, target.clock())}, status=201
    )


async def _admin_clear_faults(request: web.Request) -> web.StreamResponse:
    target = request.app[TARGET]
    return web.json_response({"cleared": target.clear_faults(request.query.get("version"))})


async def _admin_remove_fault(request: web.Request) -> web.StreamResponse:
    request.app[TARGET].remove_fault(request.match_info["fault_id"])
    return web.json_response({"cleared": 1})


async def _admin_rollback(request: web.Request) -> web.StreamResponse:
    target = request.app[TARGET]
    body = await _json_body(request)  # optional {"reason": ...}, kept in the call log
    return _apply_once(request, body, target.rollback)


async def _admin_kill_switch(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[TARGET].set_feature(await _json_body(request)))


async def _admin_reset(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[TARGET].reset())


async def _admin_calls(request: web.Request) -> web.StreamResponse:
    return web.json_response({"calls": request.app[TARGET].calls})


def _logged_body(raw: bytes) -> object:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw[:MAX_LOGGED_BODY].decode("utf-8", "replace")


@web.middleware
async def _admin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render InputError as 400 JSON; log every admin POST/DELETE with its outcome.

    Before an admin action the synthetic traffic due so far is served, so it is
    served under the state (weight, faults) it was due in."""
    logged = request.path.startswith("/admin") and request.method not in ("GET", "HEAD", "OPTIONS")
    if logged:
        request.app[TRAFFIC].catch_up()
    raw = await request.read() if logged else b""
    try:
        response = await handler(request)
    except NotFoundError as exc:
        response = web.json_response(_error_body(exc), status=404)
    except IdempotencyKeyReused as exc:
        response = web.json_response(_error_body(exc), status=409)
    except InputError as exc:
        response = web.json_response(_error_body(exc), status=400)
    except web.HTTPException as exc:
        if logged and not _log_call(request, raw, exc.status):
            return _ledger_failed()
        raise
    if logged and not _log_call(request, raw, response.status):
        return _ledger_failed()
    return response


def _ledger_failed() -> web.StreamResponse:
    body = {"error": "ledger_write_failed", "message": "the call was applied but the ledger write failed"}
    return web.json_response(body, status=500)


def _log_call(request: web.Request, raw: bytes, status: int) -> bool:
    """Log one admin call; False when the ledger file could not be written."""
    entry: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "query": request.query_string or None,
        "body": _logged_body(raw),
        "status": status,
        "replayed": request.get(REPLAYED, False),
    }
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        entry["idempotency_key"] = key
    try:
        request.app[TARGET].record_call(entry)
    except OSError:
        return False
    return True


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    target = app[TARGET]
    target.open_ledger()
    task = app[TRAFFIC].start()
    try:
        yield
    finally:
        await SyntheticTraffic.stop(task)
        target.close_ledger()


def make_app(
    config: DemoConfig | None = None, *, clock: Callable[[], float] = time.monotonic
) -> web.Application:
    """The demo target as an aiohttp application; synthetic traffic runs while the app runs.

    ``clock`` (monotonic seconds) times faults' ``after_seconds`` and the synthetic rate.
    Raises InputError for a bad config; a ledger that cannot be opened fails at start-up.
    """
    target = Target(config or DemoConfig(), clock=clock)
    app = web.Application(middlewares=[_admin_middleware])
    app[TARGET] = target
    app[TRAFFIC] = SyntheticTraffic(
        target,
        target.config.rps,
        seed=target.config.seed,
        tick=target.config.tick_seconds,
        clock=clock,
    )
    for route in ROUTES.values():
        app.router.add_route(route.method, route.path, _served(route, _RESPONDERS[route.path]))
    app.router.add_get("/", _index)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/metrics/window", _window)
    app.router.add_get("/admin/state", _admin_state)
    app.router.add_post("/admin/weight", _admin_weight)
    app.router.add_post("/admin/deploy", _admin_deploy)
    app.router.add_get("/admin/faults", _admin_faults)
    app.router.add_post("/admin/faults", _admin_add_fault)
    app.router.add_delete("/admin/faults", _admin_clear_faults)
    app.router.add_delete("/admin/faults/{fault_id}", _admin_remove_fault)
    app.router.add_post("/admin/rollback", _admin_rollback)
    app.router.add_post("/admin/kill-switch", _admin_kill_switch)
    app.router.add_post("/admin/reset", _admin_reset)
    app.router.add_get("/admin/calls", _admin_calls)
    app.cleanup_ctx.append(_lifecycle)
    return app
