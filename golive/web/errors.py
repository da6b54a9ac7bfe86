"""Every error the API answers, as ``{"error": {"code", "message", "field"}}``
with a stable code. Nothing answers a stack trace: an unexpected error is a 500
with code ``internal`` (and logged on the server)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from golive.errors import (
    ActionError,
    AuthError,
    ForbiddenError,
    GoliveError,
    InputError,
    NotFoundError,
    TamperedError,
)
from golive.store.events import ConflictError

__all__ = ["error_body", "install", "status_of"]

log = logging.getLogger("golive.web")


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def status_of(exc: GoliveError) -> int:
    if isinstance(exc, AuthError):
        return 401
    if isinstance(exc, ForbiddenError):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError | TamperedError | ActionError):
        return 409
    if isinstance(exc, InputError):
        return 422
    return 400


def _json(status: int, body: dict[str, Any], **headers: str) -> JSONResponse:
    return JSONResponse(status_code=status, content=body, headers=headers or None)


def install(app: FastAPI) -> None:
    @app.exception_handler(GoliveError)
    async def golive_error(_request: Request, exc: GoliveError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        return _json(status, error_body(exc.code, exc.message, exc.location), **headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path"))
        return _json(422, error_body("bad_input", str(first.get("msg", "invalid request")), where or None))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden"}
        body = error_body(codes.get(exc.status_code, "http_error"), str(exc.detail))
        return _json(exc.status_code, body, **(exc.headers or {}))  # e.g. Allow on a 405

    @app.exception_handler(Exception)
    async def internal(_request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %s: %s", exc.__class__.__name__, exc)
        return _json(500, error_body("internal", "internal error: the server logged it"))
