"""``Idempotency-Key``: an action sent again with the same key by the same person
acts once and answers what it answered the first time (errors included, except
5xx, which are not kept so that a retry can succeed). The same key with another
request is refused (422); a retry while the first is still running gets 409."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from golive.auth.principal import Principal
from golive.errors import GoliveError, InputError
from golive.store.events import ConflictError
from golive.web.errors import error_body, status_of

__all__ = ["HEADER", "Idempotent", "idempotency", "json_bytes", "jsonable"]

HEADER = "Idempotency-Key"
MAX_KEY = 200


class KeyReusedError(InputError):
    code = "idempotency_key_reused"


class InFlightError(ConflictError):
    code = "idempotency_in_progress"


def jsonable(value: Any) -> Any:
    """JSON-ready data, encoded as FastAPI encodes a route's answer (pydantic's
    rules: ISO 8601 times, ``Z`` for UTC), so an action answers what a read does."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=str)


class Idempotent:
    def __init__(self, request: Request, key: str | None, request_hash: str) -> None:
        self.request = request
        self.key = key
        self.request_hash = request_hash

    def run(self, principal: Principal, action: Callable[[], Any], status: int = 200) -> JSONResponse:
        """Run ``action`` (its result is the JSON body) once per key. Called by the
        route, so after the person is authenticated: the key is judged only then."""
        if self.key is None:
            return _respond(status, action)
        if not self.key or len(self.key) > MAX_KEY or not self.key.isprintable():
            raise InputError(f"an {HEADER} is 1-{MAX_KEY} printable characters", location=HEADER)
        engine = self.request.app.state.golive.store.engine
        clock = self.request.app.state.golive.clock
        from sqlalchemy import delete, insert, select
        from sqlalchemy.exc import IntegrityError

        from golive.store.schema import idempotency_keys as table

        who = f"{principal.name}"
        where = (table.c.principal == who) & (table.c.key == self.key)
        try:
            with engine.execution_options(golive_write=True).begin() as conn:
                conn.execute(
                    insert(table).values(
                        principal=who, key=self.key, request_hash=self.request_hash, created_at=clock.now()
                    )
                )
        except IntegrityError:
            with engine.connect() as conn:
                row = conn.execute(select(table).where(where)).first()
            if row is None:  # the first request failed with a 5xx meanwhile: act now
                return self.run(principal, action, status)
            if row.request_hash != self.request_hash:
                raise KeyReusedError(
                    "this Idempotency-Key was used for another request", location=HEADER
                ) from None
            if row.status is None:
                raise InFlightError("the first request with this Idempotency-Key is still running") from None
            return JSONResponse(
                status_code=row.status, content=json.loads(row.body), headers={"Idempotency-Replayed": "true"}
            )
        try:
            response = _respond(status, action)
        except Exception:
            with engine.execution_options(golive_write=True).begin() as conn:
                conn.execute(delete(table).where(where))
            raise
        from sqlalchemy import update

        with engine.execution_options(golive_write=True).begin() as conn:
            if response.status_code >= 500:
                conn.execute(delete(table).where(where))
            else:
                conn.execute(
                    update(table)
                    .where(where)
                    .values(status=response.status_code, body=bytes(response.body).decode())
                )
        return response


def json_bytes(value: Any) -> bytes:
    """The one JSON encoding of the API's answers (times in ISO 8601, as pydantic writes them)."""
    return json.dumps(jsonable(value)).encode()


def _respond(status: int, action: Callable[[], Any]) -> JSONResponse:
    try:
        result = action()
    except GoliveError as exc:
        return JSONResponse(
            status_code=status_of(exc), content=error_body(exc.code, exc.message, exc.location)
        )
    return JSONResponse(status_code=status, content=jsonable(result))


async def idempotency(request: Request) -> Idempotent:
    """The dependency: the key (if sent) and a hash of the request it belongs to."""
    key = request.headers.get(HEADER)
    if key is not None:
        key = key.strip()
    body = await request.body()
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + body).hexdigest()
    return Idempotent(request, key, digest)
