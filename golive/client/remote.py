"""Reading and acting on releases through ``golive serve`` (see :mod:`golive.client`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

from golive.auth.principal import Actor
from golive.client.connection import Remote
from golive.clock import Clock
from golive.config import Config
from golive.errors import ActionError, InputError
from golive.release.decide import Decision
from golive.release.service import ReleaseService
from golive.release.state import ReleaseState
from golive.rollout.service import ActionResult, ResolveResult, RolloutService, StartResult, start_result
from golive.rollout.state import OpenIntent
from golive.store.events import Event, ReleaseRow

__all__ = ["RemoteAudit", "RemoteConfig", "RemoteReleaseService", "RemoteRolloutService", "RemoteStore"]

PAGE = 5000


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


class RemoteStore:
    """The reads of :class:`~golive.store.events.EventStore` that the fold, the
    decision, status and reports use, answered by the server."""

    def __init__(self, remote: Remote, clock: Clock) -> None:
        self.remote = remote
        self.clock = clock
        self._events: dict[str, list[Event]] = {}

    audit_mode = "plain"
    has_audit_key = False

    def close(self) -> None:
        self.remote.close()

    def list_releases(self) -> list[ReleaseRow]:
        return [_row(r) for r in self.remote.call("GET", "/releases")]

    def get_release(self, release_id: str) -> ReleaseRow:
        return _row(self.remote.call("GET", f"/releases/{release_id}")["release"])

    def events(self, release_id: str, *, after: int = 0) -> list[Event]:
        out: list[Event] = []
        while True:
            page = self.remote.call("GET", f"/releases/{release_id}/events", after=after, limit=PAGE)
            out.extend(_event(release_id, e) for e in page)
            if len(page) < PAGE:
                return out
            after = page[-1]["seq"]

    def get_snapshot(self, content_hash: str) -> tuple[str, str, str]:
        data = self.remote.call("GET", f"/snapshots/{content_hash}")
        return data["title"], data["source"], data["model_json"]

    def get_state(self, _release_id: str) -> None:
        return None  # the client folds the log it reads: no cache to trust

    def put_state(self, *_args: Any) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)  # Python's own lookups (copy, pickle, ...) get the usual answer
        raise ActionError(f"{name} is not available through a server (GOLIVE_SERVER is set)")


def _row(data: dict[str, Any]) -> ReleaseRow:
    """A release row from its view (golive.release.views.release_view): the same fields,
    ``launch`` for ``launch_at``, times in ISO 8601."""
    values: dict[str, Any] = {}
    for column in dataclasses.fields(ReleaseRow):
        value = data.get("launch" if column.name == "launch_at" else column.name)
        if value is None:
            continue
        values[column.name] = _time(value) if column.name.endswith("_at") else value
    return ReleaseRow(**values)


def _event(release_id: str, data: dict[str, Any]) -> Event:
    return Event(
        release_id=release_id,
        seq=data["seq"],
        type=data["type"],
        actor=data["actor"],
        at=_time(data["at"]),
        data=data["data"],
        prev_hash=data["prev_hash"],
        hash=data["hash"],
    )


class RemoteConfig(Config):
    """The configuration of a client: who acts is the token's user, and ``--as`` is refused."""

    def __init__(self, name: str) -> None:
        super().__init__(actor=name)

    def whoami(self, override: str | None = None) -> str:
        if override:
            raise InputError(
                f"--as is refused through a server: you act as the token's user ({self.actor})",
                location="--as",
            )
        return str(self.actor)


def _upload(path: str | Path) -> dict[str, str]:
    file = Path(path)
    try:
        return {"filename": file.name, "content": file.read_text(encoding="utf-8")}
    except OSError as exc:
        raise InputError(exc.strerror or "cannot read the file", location=str(path)) from None


class RemoteReleaseService(ReleaseService):
    """Release actions sent to the server; reads folded here from the log it serves."""

    def __init__(self, remote: Remote, clock: Clock) -> None:
        me = remote.call("GET", "/me")
        super().__init__(RemoteStore(remote, clock), RemoteConfig(me["name"]), clock=clock.now)  # type: ignore[arg-type]
        self.remote = remote

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self.remote.call("POST", path, body)

    def start(
        self,
        runbook_path: str | Path,
        *,
        service: str,
        version: str,
        env: str,
        launch: datetime,
        tz: str,
        actor: Actor,
        overlay: str | Path | None = None,
    ) -> str:
        if overlay is not None:
            raise InputError(
                "an overlay is applied on the machine; merge it into the runbook", location="--overlay"
            )
        from zoneinfo import ZoneInfo

        local = launch.astimezone(ZoneInfo(tz)) if tz != "UTC" else launch
        answer = self._post(
            "/releases",
            {
                "runbook": _upload(runbook_path),
                "service": service,
                "version": version,
                "env": env,
                "launch": f"{local.strftime('%Y-%m-%d %H:%M')} {tz}",
            },
        )
        return str(answer["id"])

    def upgrade(
        self, release_id: str, runbook_path: str | Path, *, actor: Actor, overlay: str | Path | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._post(
            f"/releases/{release_id}/upgrade", {"runbook": _upload(runbook_path)}
        )
        return result

    def diff(
        self, release_id: str, runbook_path: str | Path, overlay: str | Path | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._post(
            f"/releases/{release_id}/upgrade", {"runbook": _upload(runbook_path), "dry_run": True}
        )
        return result | {"runbook": None, "current_content_hash": None}

    def reconfigure(self, release_id: str, *, actor: Actor) -> dict[str, Any]:
        result: dict[str, Any] = self._post(f"/releases/{release_id}/reconfigure", {})
        return result

    def assign(
        self, release_id: str, role: str, person: str, *, actor: Actor, remove: bool = False
    ) -> ReleaseState:
        self._post(f"/releases/{release_id}/assignments", {"role": role, "person": person, "remove": remove})
        return self.load(release_id)[1]

    def item_action(
        self, release_id: str, item_id: str, action: str, *, actor: Actor, reason: str | None = None
    ) -> ReleaseState:
        self._post(f"/releases/{release_id}/items/{item_id}/{action}", {"reason": reason})
        return self.load(release_id)[1]

    def comment(
        self, release_id: str, text: str, *, actor: Actor, item_id: str | None = None
    ) -> ReleaseState:
        self._post(f"/releases/{release_id}/comments", {"text": text, "item": item_id})
        return self.load(release_id)[1]

    def attach(
        self,
        release_id: str,
        item_id: str,
        *,
        actor: Actor,
        url: str | None = None,
        file: str | None = None,
        note: str = "",
    ) -> ReleaseState:
        if file is not None or not url:
            raise InputError("through a server only --url evidence is attached", location="--file")
        self._post(f"/releases/{release_id}/evidence", {"item": item_id, "url": url, "note": note})
        return self.load(release_id)[1]

    def run_checks(
        self,
        release_id: str,
        *,
        actor: Actor,
        phase: str | None = None,
        concurrency: int = 20,
        values: dict[str, str] | None = None,
    ) -> tuple[ReleaseState, list[Any]]:
        from golive.checks.result import CheckResult

        answer = self._post(f"/releases/{release_id}/checks", {"phase": phase})
        results = [CheckResult.model_validate(r) for r in answer["results"]]
        return self.load(release_id)[1], results

    def signoff(self, release_id: str, role: str, *, actor: Actor, note: str = "") -> ReleaseState:
        self._post(f"/releases/{release_id}/signoffs", {"role": role, "note": note})
        return self.load(release_id)[1]

    def revoke(self, release_id: str, role: str, *, actor: Actor, reason: str) -> ReleaseState:
        self._post(f"/releases/{release_id}/signoffs/revoke", {"role": role, "reason": reason})
        return self.load(release_id)[1]

    def waive(self, release_id: str, target: str, *, actor: Actor, reason: str) -> ReleaseState:
        self._post(f"/releases/{release_id}/waivers", {"target": target, "reason": reason})
        return self.load(release_id)[1]

    def decide(
        self,
        release_id: str,
        *,
        actor: Actor,
        record: bool = False,
        expect_go: bool = False,
        loaded: Any = None,
    ) -> Decision:
        if record:
            self._post(f"/releases/{release_id}/decision", {"go": expect_go})
        return super().decide(release_id, actor=actor, loaded=loaded)

    def audit(self, release_id: str, *, anchor: Any = None, require_keyed: bool = False) -> Any:
        head = f"{anchor.seq}:{anchor.hash}" if anchor is not None else None
        data = self.remote.call("GET", f"/releases/{release_id}/audit", head=head)
        return RemoteAudit(data)


class RemoteAudit:
    """The server's audit of a release, with the attributes the CLI prints."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.events: int = data["events"]
        self.mode: str = data["mode"]
        self.mode_name: str = data["mode_name"]
        self.findings: list[str] = data["findings"]
        self.notes: list[str] = data["notes"]
        self.hashes_checked: bool = data["hashes_checked"]
        self.exit_code: int = data["exit_code"]

    @property
    def ok(self) -> bool:
        return not self.findings


class RemoteRolloutService(RolloutService):
    """Rollout actions sent to the server, which runs the controllers."""

    def __init__(self, remote: Remote, clock: Clock) -> None:
        releases = RemoteReleaseService(remote, clock)
        super().__init__(releases.store, releases.config, clock)
        self.releases = releases
        self.remote = remote

    def start(
        self, release_id: str, *, actor: Actor, guard_file: str | None = None, without_go: str | None = None
    ) -> StartResult:
        from golive.rollout.spec import RolloutGuard

        before = self.store.get_release(release_id).head_seq
        body: dict[str, Any] = {"without_go": without_go}
        if guard_file is not None:
            body["guard"] = _upload(guard_file)["content"]
        self.remote.call("POST", f"/releases/{release_id}/rollout/start", body)
        started = next(e for e in self.store.events(release_id, after=before) if e.type == "rollout.started")
        guard = RolloutGuard.model_validate(started.data["guard"])
        return start_result(release_id, started.actor, guard, started.data.get("health", False))

    def _manual(self, release_id: str, action: str, body: dict[str, Any]) -> ActionResult:
        answer = self.remote.call("POST", f"/releases/{release_id}/rollout/{action}", body)
        return ActionResult(answer["action"], answer["by"], answer["outcome"])

    def promote(
        self, release_id: str, *, actor: Actor, reason: str, component: str | None = None
    ) -> ActionResult:
        return self._manual(release_id, "promote", {"reason": reason, "component": component})

    def pause(self, release_id: str, *, actor: Actor, reason: str) -> ActionResult:
        return self._manual(release_id, "pause", {"reason": reason})

    def resume(self, release_id: str, *, actor: Actor, reason: str) -> ActionResult:
        return self._manual(release_id, "resume", {"reason": reason})

    async def abort(self, release_id: str, *, actor: Actor, reason: str) -> ActionResult:
        return self._manual(release_id, "abort", {"reason": reason})

    def emergency_stop(self, release_id: str, *, actor: Actor, reason: str) -> ActionResult:
        return self._manual(release_id, "stop", {"reason": reason})

    def resolve(self, release_id: str, step: str, *, ran: bool, actor: Actor, reason: str) -> ResolveResult:
        reason = reason.strip()
        if not reason:
            raise InputError("say why (it is recorded)", location="--reason")
        before = {i.step: i for i in self.open_intents(release_id)}
        answer = self.remote.call(
            "POST", f"/releases/{release_id}/rollout/resolve", {"step": step, "ran": ran, "reason": reason}
        )
        intent: OpenIntent = before[answer["step"]]
        return ResolveResult(answer["by"], intent, answer["ran"], answer["outcome"])

    def runner(self, release_id: str, *, speed: float = 1.0, on_event: Any = None) -> Any:
        raise ActionError(
            "through a server the server runs the controllers (golive serve): watch with golive status"
        )
