"""Where the CLI acts: the server and token of ``GOLIVE_SERVER``/``GOLIVE_TOKEN``
or of ``golive login``, and calls to its API with its errors raised as golive's
own. Light on purpose: every command asks it first, so it imports no service."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golive.errors import (
    ActionError,
    AuthError,
    ForbiddenError,
    GoliveError,
    InputError,
    NotFoundError,
    TamperedError,
)

__all__ = ["Remote", "ServerError", "forget_login", "remote", "save_login", "server_error"]

CLIENT_FILE = "client.json"


class ServerError(GoliveError):
    code = "server"
    exit_code = 70


_ERRORS: dict[str, type[GoliveError]] = {
    "unauthenticated": AuthError,
    "forbidden": ForbiddenError,
    "csrf": ForbiddenError,
    "not_allowed": ActionError,
    "not_found": NotFoundError,
    "bad_input": InputError,
    "invalid_runbook": InputError,
    "invalid_overlay": InputError,
    "idempotency_key_reused": InputError,
    "tampered": TamperedError,
}


@dataclass
class Remote:
    """A server and the API token to act with there."""

    url: str
    token: str
    client: Any = field(default=None, repr=False)

    def http(self) -> Any:
        if self.client is None:
            import httpx

            self.client = httpx.Client(
                base_url=self.url.rstrip("/"),
                headers={"Authorization": f"Bearer {self.token}", "User-Agent": "golive-cli"},
                timeout=120,
            )
        return self.client

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """The JSON answer, or the server's error raised as the same golive error."""
        import httpx

        try:
            answer = self.http().request(
                method,
                "/api/v1" + path,
                json=body,
                params={k: v for k, v in params.items() if v is not None} or None,
            )
        except httpx.HTTPError as exc:
            raise InputError(
                f"cannot reach {self.url}: {exc.__class__.__name__}", location="GOLIVE_SERVER"
            ) from None
        if answer.status_code >= 400:
            raise server_error(answer)
        if answer.headers.get("content-type", "").startswith("application/json"):
            return answer.json()
        return answer.text

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


def server_error(answer: Any) -> GoliveError:
    """The golive error of the server's error answer."""
    try:
        error = answer.json()["error"]
        code, message, where = str(error["code"]), str(error["message"]), error.get("field")
    except (ValueError, KeyError, TypeError):
        return ServerError(f"the server answered {answer.status_code}")
    from golive.store.events import ConflictError

    if code in ("stale", "conflict", "idempotency_in_progress"):
        conflict = ConflictError(message, location=where)
        conflict.code = code
        return conflict
    kind = _ERRORS.get(code, ServerError if answer.status_code >= 500 else InputError)
    return kind(message, location=where)


def _home() -> Path:
    from golive.store.db import data_dir

    return data_dir() / CLIENT_FILE


def remote(environ: dict[str, str] | None = None) -> Remote | None:
    """The server to act through: ``GOLIVE_SERVER`` (with ``GOLIVE_TOKEN``), else
    what ``golive login`` saved; None to act on the machine's database."""
    env = os.environ if environ is None else environ
    url = env.get("GOLIVE_SERVER", "").strip()
    if url:
        token = env.get("GOLIVE_TOKEN", "").strip()
        if not token:
            raise InputError(
                "GOLIVE_SERVER is set but GOLIVE_TOKEN is not (or run golive login URL)",
                location="GOLIVE_TOKEN",
            )
        return Remote(url, token)
    saved = _home()
    if "GOLIVE_DATABASE_URL" in env or not saved.is_file():
        return None
    try:
        data = json.loads(saved.read_text(encoding="utf-8"))
        return Remote(str(data["server"]), str(data["token"]))
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(
            f"cannot read the saved login: {exc.__class__.__name__}", location=str(saved)
        ) from None


def save_login(url: str, token: str) -> Path:
    path = _home()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump({"server": url, "token": token}, out)
    return path


def forget_login() -> Path | None:
    path = _home()
    if path.is_file():
        path.unlink()
        return path
    return None
