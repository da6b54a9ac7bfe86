"""The authorization matrix: every route of ``create_app`` against every kind of
caller, through the real server.

- Every route (API and dashboard pages; the static mount aside) names its rule:
  one :class:`~golive.web.security.Require` among its dependencies, with an
  action of ``ACTIONS`` or ``public``. FastAPI's own ``/openapi.json`` is public
  by decision of this test. A route without a rule fails with its path.
- The rules are the reviewed ones (:data:`REVIEWED`): changing who may call a
  route, or adding a route, means changing that table here too.
- Every API route x {anonymous, viewer, operator, approver, admin, expired
  token, revoked token}, each with real path parameters and a minimal valid
  body built from the route's body model:

  * no valid credentials: 401 ``unauthenticated`` (public routes: answered);
  * a site role below ``ACTIONS[action]``: 403 ``forbidden`` with Require's
    message, "<name> is <role>; <action> needs <needed> or above";
  * a site role at or above it: never 401 and never a site-role refusal (the
    release's own rules may still refuse with 403, 404, 409 or 422);
  * never a 5xx, never a stack trace.

Routes that change a release get a release of their own, so that what one
caller does (a decision, an abort) cannot change what the next one is told
by the site role; the answers after that may be 409s, which is fine.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import Mount

from golive.auth.principal import ACTIONS, SITE_ROLES, at_least
from golive.clock import SystemClock
from golive.config import Config
from golive.store.events import EventStore
from golive.web.app import create_app
from golive.web.security import PUBLIC, Require
from tests.conftest import seed_path
from tests.web.conftest import PASSWORD, SEED, USERS, Web, start_release

FASTAPI_OWN = {("GET", "/openapi.json"): PUBLIC, ("HEAD", "/openapi.json"): PUBLIC}
"""FastAPI's own routes, public by decision (the API's description, no data)."""

REVIEWED: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/health"): PUBLIC,
    ("POST", "/api/v1/session"): PUBLIC,
    ("DELETE", "/api/v1/session"): "read",
    ("GET", "/api/v1/me"): "read",
    ("POST", "/api/v1/runbooks/lint"): "runbook.lint",
    ("POST", "/api/v1/runbooks/show"): "read",
    ("GET", "/api/v1/releases"): "read",
    ("POST", "/api/v1/releases"): "release.start",
    ("GET", "/api/v1/releases/{release_id}"): "read",
    ("GET", "/api/v1/releases/{release_id}/status"): "read",
    ("GET", "/api/v1/releases/{release_id}/items"): "read",
    ("GET", "/api/v1/releases/{release_id}/runbook"): "read",
    ("GET", "/api/v1/snapshots/{content_hash}"): "read",
    ("POST", "/api/v1/releases/{release_id}/upgrade"): "upgrade",
    ("POST", "/api/v1/releases/{release_id}/reconfigure"): "reconfigure",
    ("POST", "/api/v1/releases/{release_id}/evidence"): "attach",
    ("POST", "/api/v1/releases/{release_id}/items/{item_id}/{action}"): "item",
    ("POST", "/api/v1/releases/{release_id}/comments"): "comment",
    ("POST", "/api/v1/releases/{release_id}/checks"): "checks",
    ("GET", "/api/v1/releases/{release_id}/signoffs"): "read",
    ("POST", "/api/v1/releases/{release_id}/signoffs"): "signoff",
    ("POST", "/api/v1/releases/{release_id}/signoffs/revoke"): "revoke",
    ("POST", "/api/v1/releases/{release_id}/waivers"): "waive",
    ("POST", "/api/v1/releases/{release_id}/assignments"): "assign",
    ("GET", "/api/v1/releases/{release_id}/decision"): "read",
    ("POST", "/api/v1/releases/{release_id}/decision"): "decide",
    ("GET", "/api/v1/releases/{release_id}/rollout"): "read",
    ("POST", "/api/v1/releases/{release_id}/rollout/start"): "rollout.start",
    ("POST", "/api/v1/releases/{release_id}/rollout/promote"): "rollout.promote",
    ("POST", "/api/v1/releases/{release_id}/rollout/pause"): "rollout.pause",
    ("POST", "/api/v1/releases/{release_id}/rollout/resume"): "rollout.resume",
    ("POST", "/api/v1/releases/{release_id}/rollout/abort"): "rollout.abort",
    ("POST", "/api/v1/releases/{release_id}/rollout/stop"): "rollout.stop",
    ("POST", "/api/v1/releases/{release_id}/rollout/resolve"): "rollout.resolve",
    ("GET", "/api/v1/releases/{release_id}/audit"): "read",
    ("GET", "/api/v1/releases/{release_id}/audit/head"): "read",
    ("GET", "/api/v1/releases/{release_id}/report.md"): "read",
    ("GET", "/api/v1/releases/{release_id}/report.html"): "read",
    ("GET", "/api/v1/releases/{release_id}/events"): "read",
    ("GET", "/api/v1/releases/{release_id}/events/stream"): "read",
    ("GET", "/api/v1/users"): "user.manage",
    ("POST", "/api/v1/users"): "user.manage",
    ("PATCH", "/api/v1/users/{name}"): "user.manage",
    ("GET", "/api/v1/tokens"): "read",
    ("POST", "/api/v1/tokens"): "read",
    ("DELETE", "/api/v1/tokens/{token_id}"): "read",
}
"""(method, path) -> the action its Require names, as reviewed."""

ROLE_USER = {role: name for name, role in USERS.items()}
"""Site role -> the fixture's user with it (viewer vic, operator olga, ...)."""
CALLERS = ("anonymous", *SITE_ROLES, "expired", "revoked")
NO_CREDENTIALS = ("anonymous", "expired", "revoked")
SITE_REFUSAL = re.compile(
    rf"^\S+ is (an? )?({'|'.join(SITE_ROLES)}); \S+ needs ({'|'.join(SITE_ROLES)}) or above$"
)
"""The message of a refusal by site role (Require's, and the services' permit())."""


# -- the routes, walked at import ---------------------------------------------------------
def _app() -> Any:
    store = EventStore.open("sqlite://", migrate=False)
    try:
        return create_app(store, Config(), SystemClock())
    finally:
        store.close()


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    route: Any
    """The APIRoute (or Starlette route) itself."""
    dependant: Any = None


def _walk(app: Any) -> list[RouteInfo]:
    """Every (method, route) of the app, through included routers (FastAPI keeps
    them lazily since 0.13x: ``iter_route_contexts`` flattens them)."""
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined]
    except ImportError:  # an older FastAPI: app.routes is flat
        contexts: list[Any] = list(app.routes)
    else:
        contexts = list(iter_route_contexts(app.routes))
    out: list[RouteInfo] = []
    for context in contexts:
        route = getattr(context, "original_route", context)
        if isinstance(route, Mount):
            out.append(RouteInfo("MOUNT", str(route.path), route))
            continue
        dependant = getattr(context, "dependant", None) or getattr(route, "dependant", None)
        for method in sorted(getattr(context, "methods", None) or {"ANY"}):
            path = getattr(context, "path_format", None) or context.path  # {item_id}, not {item_id:path}
            out.append(RouteInfo(method, str(path), route, dependant))
    return out


APP = _app()
ROUTES = _walk(APP)
API_ROUTES = [r for r in ROUTES if isinstance(r.route, APIRoute) and r.path.startswith("/api/")]


def _rules(info: RouteInfo) -> list[str]:
    """The actions of the Require dependencies of a route (searched through
    sub-dependencies too, so a Require nested in another dependency counts)."""
    found: list[str] = []

    def walk(dependant: Any) -> None:
        for dependency in getattr(dependant, "dependencies", []):
            if isinstance(dependency.call, Require):
                found.append(dependency.call.action)
            walk(dependency)

    walk(info.dependant)
    return found


def _rule(info: RouteInfo) -> str | None:
    if (info.method, info.path) in FASTAPI_OWN:
        return FASTAPI_OWN[(info.method, info.path)]
    rules = _rules(info)
    return rules[0] if len(rules) == 1 else None


# -- rules ---------------------------------------------------------------------------------
def test_the_walk_sees_every_router() -> None:
    paths = {(r.method, r.path) for r in ROUTES}
    assert ("GET", "/api/v1/health") in paths
    assert ("POST", "/api/v1/releases/{release_id}/signoffs") in paths
    assert ("GET", "/openapi.json") in paths
    assert any(r.method == "MOUNT" and r.path == "/static" for r in ROUTES)
    assert len(API_ROUTES) >= 40


def test_every_route_has_exactly_one_rule() -> None:
    missing: list[str] = []
    for info in ROUTES:
        if info.method == "MOUNT":
            if info.path == "/static":
                continue  # the dashboard's static files: public by nature
            missing.append(f"mount {info.path} (only /static is mounted)")
        elif not isinstance(info.route, APIRoute) and (info.method, info.path) not in FASTAPI_OWN:
            missing.append(f"{info.method} {info.path}: not an APIRoute, so it has no Require")
        elif isinstance(info.route, APIRoute) and len(_rules(info)) != 1:
            missing.append(f"{info.method} {info.path}: {len(_rules(info))} Require dependencies")
    assert not missing, "routes without exactly one rule:\n" + "\n".join(missing)


def test_every_rule_names_a_known_action() -> None:
    for info in API_ROUTES:
        action = _rule(info)
        assert action == PUBLIC or action in ACTIONS, f"{info.method} {info.path}: {action!r}"


def test_the_rules_are_the_reviewed_ones() -> None:
    actual = {(r.method, r.path): _rule(r) for r in API_ROUTES}
    unreviewed = sorted(set(actual) - set(REVIEWED))
    gone = sorted(set(REVIEWED) - set(actual))
    changed = {k: (REVIEWED[k], v) for k, v in actual.items() if k in REVIEWED and REVIEWED[k] != v}
    assert not unreviewed, f"routes missing from REVIEWED (add them with their action): {unreviewed}"
    assert not gone, f"REVIEWED names routes the app no longer has: {gone}"
    assert not changed, f"rules changed (reviewed, now): {changed}"


def test_a_route_without_a_rule_is_caught() -> None:
    """The rule walk itself can fail: a route whose only dependency is not a
    Require has no rule."""
    from fastapi import APIRouter, Depends, FastAPI

    bare = APIRouter()

    def helper() -> None:
        return None

    @bare.get("/api/v1/bare")
    def route(_: None = Depends(helper)) -> dict[str, str]:
        return {}

    guard = Depends(Require("read"))

    @bare.get("/api/v1/guarded")
    def guarded(_: Any = guard) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(bare)
    walked = {(r.method, r.path): r for r in _walk(app)}
    assert _rule(walked[("GET", "/api/v1/bare")]) is None
    assert _rule(walked[("GET", "/api/v1/guarded")]) == "read"


# -- requests ------------------------------------------------------------------------------
def _body_model(route: APIRoute) -> type[BaseModel] | None:
    body = getattr(route, "body_field", None)
    annotation = getattr(getattr(body, "field_info", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for hint in get_type_hints(route.endpoint).values():
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            return hint
    return None


def _minimal(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The least value a JSON schema (of a pydantic model) accepts: required
    fields only, shortest strings, lowest numbers, first choices."""
    if "$ref" in schema:
        return _minimal(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _minimal(options[0], defs) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _minimal(properties[name], defs) for name in schema.get("required", [])}
    if kind == "string":
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return None


@dataclass
class Context:
    """Real things to name in requests (one set per server)."""

    web: Web
    release: str
    item: str
    gate: str
    snapshot: str
    fresh: dict[tuple[str, str], str] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def release_for(self, info: RouteInfo) -> str:
        """The shared release for reads; a release of the route's own for actions."""
        if info.method in ("GET", "HEAD"):
            return self.release
        key = (info.method, info.path)
        if key not in self.fresh:
            self.fresh[key] = start_release(self.web)
        return self.fresh[key]


RUNBOOK = {"filename": "runbook.md", "content": seed_path(SEED).read_text(encoding="utf-8")}
BODIES: dict[tuple[str, str], Callable[[Context, str], dict[str, Any]]] = {
    ("POST", "/api/v1/session"): lambda _c, _u: {"name": "vic", "password": PASSWORD},
    ("POST", "/api/v1/runbooks/lint"): lambda _c, _u: dict(RUNBOOK),
    ("POST", "/api/v1/runbooks/show"): lambda _c, _u: dict(RUNBOOK),
    ("POST", "/api/v1/releases"): lambda _c, _u: {
        "runbook": RUNBOOK,
        "service": "web",
        "version": "2.0",
        "env": "staging",
        "launch": "2099-01-05 09:00 UTC",
    },
    ("POST", "/api/v1/releases/{release_id}/upgrade"): lambda _c, _u: {"runbook": RUNBOOK, "dry_run": True},
    ("POST", "/api/v1/releases/{release_id}/evidence"): lambda c, _u: {
        "item": c.item,
        "url": "https://ci.example.com/run/1",
    },
    ("POST", "/api/v1/releases/{release_id}/comments"): lambda _c, u: {"text": f"matrix: {u} was here"},
    ("POST", "/api/v1/releases/{release_id}/signoffs"): lambda _c, _u: {"role": "QA Lead"},
    ("POST", "/api/v1/releases/{release_id}/signoffs/revoke"): lambda _c, _u: {
        "role": "QA Lead",
        "reason": "matrix",
    },
    ("POST", "/api/v1/releases/{release_id}/waivers"): lambda c, _u: {"target": c.gate, "reason": "matrix"},
    ("POST", "/api/v1/releases/{release_id}/assignments"): lambda _c, _u: {
        "role": "QA Lead",
        "person": "vic",
    },
    ("POST", "/api/v1/releases/{release_id}/rollout/resolve"): lambda _c, _u: {
        "step": "web:1",
        "ran": False,
        "reason": "matrix",
    },
    ("POST", "/api/v1/users"): lambda c, u: {"name": f"matrix-{u}-{next(c.counter)}", "role": "viewer"},
    ("PATCH", "/api/v1/users/{name}"): lambda _c, _u: {"unlock": True},
}
"""Bodies with meaning where the least valid body would say little; every
other body is the least one its model accepts (:func:`_minimal`)."""


def _body(info: RouteInfo, context: Context, user: str) -> dict[str, Any] | None:
    model = _body_model(info.route)
    if model is None:
        return None
    schema = model.model_json_schema()
    body = _minimal(schema, schema.get("$defs", {}))
    make = BODIES.get((info.method, info.path))
    if make is not None:
        body |= make(context, user)
    model.model_validate(body)  # a body the route must accept (else: fix BODIES)
    return dict(body)


def _path(info: RouteInfo, context: Context, user: str) -> str:
    values: dict[str, str] = {}
    for name in re.findall(r"{(\w+)(?::\w+)?}", info.path):
        if name == "release_id":
            values[name] = context.release_for(info)
        elif name == "item_id":
            values[name] = context.item
        elif name == "action":
            values[name] = "start"
        elif name == "name":
            values[name] = "vic"
        elif name == "content_hash":
            values[name] = context.snapshot
        elif name == "token_id":
            # a token of the caller's own (anyone's for the unauthenticated), revoked by this call
            owner = user if user in USERS else "vic"
            values[name] = context.web.accounts.create_token(owner, actor="setup", label="matrix").row.id
        else:
            raise AssertionError(f"{info.path}: no real value for the path parameter {name!r}")
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], info.path)


def _headers(web: Web, caller: str) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    if caller == "expired":
        return {"Authorization": f"Bearer {web.expired}"}
    if caller == "revoked":
        return {"Authorization": f"Bearer {web.revoked}"}
    return web.as_user(ROLE_USER[caller])


@pytest.fixture(scope="module")
def context(web: Web) -> Context:
    release = start_release(web)
    with web.client("ana") as client:
        items = client.get(f"/api/v1/releases/{release}/items").json()
        found = client.get(f"/api/v1/releases/{release}").json()
        snapshot = client.get(f"/api/v1/releases/{release}/runbook").json()["hash"]
    gate = next(g["item"] for g in found["gates"] if g["holds"] is not True)
    plain = next(i["id"] for i in items if i["gate"] is None)
    return Context(web=web, release=release, item=plain, gate=gate, snapshot=snapshot)


def _send(
    client: httpx.Client, info: RouteInfo, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, dict[str, str], str]:
    """Send one request; a stream answered 200 is closed after its headers."""
    with client.stream(info.method, path, json=body, headers=headers) as answer:
        if answer.headers.get("content-type", "").startswith("text/event-stream"):
            return answer.status_code, dict(answer.headers), ""
        answer.read()
        return answer.status_code, dict(answer.headers), answer.text


CASES = [
    pytest.param(info, caller, id=f"{info.method} {info.path} as {caller}")
    for info in API_ROUTES
    for caller in CALLERS
]


@pytest.mark.parametrize(("info", "caller"), CASES)
def test_matrix(info: RouteInfo, caller: str, context: Context) -> None:
    web = context.web
    action = _rule(info)
    assert action is not None, f"{info.method} {info.path} has no rule"
    user = ROLE_USER.get(caller, caller)
    body = _body(info, context, user)
    path = _path(info, context, user)
    with httpx.Client(base_url=web.url, timeout=60) as client:
        status, headers, text = _send(client, info, path, body, _headers(web, caller))
    where = f"{info.method} {path} as {caller}: {status} {text[:300]}"
    assert status < 500, where
    assert "Traceback" not in text, where
    error = _error(text)

    if action == PUBLIC:
        assert status == 200, where
        return
    if caller in NO_CREDENTIALS:
        assert status == 401, where
        assert error["code"] == "unauthenticated", where
        assert headers.get("www-authenticate") == "Bearer", where
        if caller != "anonymous":
            assert caller in error["message"], where  # "... is revoked", "... expired at ..."
        return
    needed = ACTIONS[action]
    if not at_least(caller, needed):
        assert status == 403, where
        assert error["code"] == "forbidden", where
        assert error["message"] == f"{user} is {caller}; {action} needs {needed} or above", where
        return
    assert status != 401, where
    if status == 403:
        assert not SITE_REFUSAL.match(error["message"]), f"refused by site role: {where}"


def _error(text: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return {"code": None, "message": ""}
    if isinstance(value, dict) and isinstance(value.get("error"), dict):
        return dict(value["error"])
    return {"code": None, "message": ""}


def test_openapi_document_is_public(web: Web) -> None:
    """FastAPI's own route, public by decision: anyone may read the API's description."""
    for headers in ({}, {"Authorization": f"Bearer {web.revoked}"}):
        with httpx.Client(base_url=web.url, headers=headers) as client:
            answer = client.get("/openapi.json")
        assert answer.status_code == 200
        assert answer.json()["paths"]


def test_every_role_below_the_top_is_refused_somewhere() -> None:
    """The matrix is not vacuous: for each role but admin some route refuses it
    by site role, and each role is allowed something."""
    for role in SITE_ROLES:
        allowed = [r for r in API_ROUTES if _rule(r) != PUBLIC and at_least(role, ACTIONS[_rule(r) or ""])]
        assert allowed, role
        if role != "admin":
            refused = [
                r for r in API_ROUTES if _rule(r) != PUBLIC and not at_least(role, ACTIONS[_rule(r) or ""])
            ]
            assert refused, role
