"""Release actions: one function per user action, shared by the CLI and the API.

Every action reads the release's state (a fold over its events), checks that the
actor may do it and that it makes sense now, and appends its event only if
nothing happened in between (``expect_seq``); otherwise it re-reads and checks
again. Errors write nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from golive.auth.principal import Actor, permit
from golive.config import Config, config_changes, config_from_record, config_record
from golive.errors import ActionError, ForbiddenError, InputError, NotFoundError, TamperedError
from golive.release.decide import Decision, decide, policy_violations, required_signoffs, valid_signoffs
from golive.release.state import (
    ITEM_TRANSITIONS,
    ItemStatus,
    ReleaseState,
    fold,
    state_from_json,
    state_snapshot_hash,
    state_to_json,
)
from golive.release.status import StatusReport, status_report
from golive.runbook.model import Item, Runbook
from golive.store.events import ConflictError, EventStore, ReleaseRow

if TYPE_CHECKING:
    from golive.release.audit import ReleaseAudit
    from golive.store.chain import Anchor

__all__ = ["APPROVER", "ActionError", "Loaded", "ReleaseService", "StaleError", "StatusReport"]

APPROVER = "approver"
Loaded = tuple[ReleaseRow, ReleaseState]
"""A release and its state, as :meth:`ReleaseService.load` gives them."""
SNAPSHOT_EVERY = 200  # fold at most this many events before caching the state again
_ACTIONS = {"start": "started", "done": "done", "fail": "failed", "skip": "skipped", "reopen": "reopened"}
RETRIES = 5


@lru_cache(maxsize=32)
def _runbook_from_json(content_hash: str, model_json: str) -> Runbook:
    """The stored runbook, only when it still matches the hash its release recorded: a
    snapshot edited in the database is refused, never decided on."""
    if hashlib.sha256(model_json.encode()).hexdigest() != content_hash:
        raise TamperedError(
            f"the stored runbook snapshot {content_hash[:12]} does not match its hash: "
            "the database was edited (golive audit verify says where)"
        )
    return Runbook.model_validate_json(model_json)


class StaleError(ConflictError):
    """The release moved on since the state the person decided on."""

    code = "stale"

    def __init__(self, release_id: str, seq: int, expected: int) -> None:
        super().__init__(
            f"release {release_id} moved on: it is at seq {seq}, you decided on seq {expected}; "
            "read it again",
            location="expect_seq",
        )


class ReleaseService:
    def __init__(
        self, store: EventStore, config: Config | None = None, clock: Callable[[], datetime] | None = None
    ):
        self.store = store
        self.config = config or Config()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.expect_seq: int | None = None
        """When set, the next action appends only if the release is still at this seq
        (what the person decided on); else StaleError, and nothing is written."""

    # -- loading ---------------------------------------------------------------
    def load(self, release_id: str) -> tuple[ReleaseRow, ReleaseState]:
        """The release and its state: the cached state (only if it still matches its
        event and its digest, keyed with the audit key when one is set: see
        EventStore.get_state) with the events after it folded on top, else a fold
        of the whole log."""
        release = self.store.get_release(release_id)

        def snapshot(content_hash: str) -> Runbook:
            return _runbook_from_json(content_hash, self.store.get_snapshot(content_hash)[2])

        initial: ReleaseState | None = None
        cached = self.store.get_state(release_id)
        if cached is not None:
            _seq, text = cached
            try:
                initial = state_from_json(text, snapshot(state_snapshot_hash(text)))
            except (KeyError, ValueError, TypeError, NotFoundError):
                initial = None  # a stale or foreign cache: fold from the start
        if initial is None:
            state = fold(release.id, snapshot(release.snapshot), self.store.events(release.id), snapshot)
            state.snapshot = state.snapshot or release.snapshot
            folded = state.seq
        else:
            before = initial.seq
            state = fold(
                release.id,
                initial.runbook,
                self.store.events(release.id, after=before),
                snapshot,
                initial=initial,
            )
            folded = state.seq - before
        if folded >= SNAPSHOT_EVERY and state.last_hash:
            self.store.put_state(release.id, state.seq, state.last_hash, state_to_json(state))
        for role, people in self.in_force(state).people.items():
            for person in people:
                if person not in state.people.setdefault(role, []):
                    state.people[role].append(person)
        return release, state

    def _loaded(self, release_id: str, loaded: Loaded | None) -> Loaded:
        if loaded is None:
            return self.load(release_id)
        if loaded[0].id != release_id:
            raise ValueError(f"loaded is release {loaded[0].id}, not {release_id}")
        return loaded

    def in_force(self, state: ReleaseState) -> Config:
        """The configuration in force for the release: as its log records it (at start and at
        each ``reconfigure``), never golive.toml as it is today."""
        return config_from_record(state.config)

    def _act(
        self,
        release_id: str,
        build: Callable[[ReleaseRow, ReleaseState], list[tuple[str, dict[str, Any]]]],
        actor: str,
    ) -> ReleaseState:
        """Validate against fresh state and append; retry when someone else wrote first
        (unless the person decided on a seq: ``self.expect_seq``)."""
        for _ in range(RETRIES):
            release, state = self.load(release_id)
            if self.expect_seq is not None and state.seq != self.expect_seq:
                raise StaleError(release_id, state.seq, self.expect_seq)
            entries = build(release, state)
            if not entries:
                return state
            try:
                self.store.append_many(
                    release_id, [(t, actor, d) for t, d in entries], expect_seq=state.seq, at=self.clock()
                )
            except ConflictError:
                if self.expect_seq is not None:
                    raise StaleError(release_id, self.load(release_id)[1].seq, self.expect_seq) from None
                continue
            return self.load(release_id)[1]
        raise ConflictError(f"release {release_id} is changing too fast; try again")

    # -- start and upgrade -------------------------------------------------------
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
        actor = permit(actor, "release.start")
        from golive.runbook.loader import load_runbook

        for name, value in (("--service", service), ("--version", version), ("--env", env)):
            if not value.strip():
                raise InputError("must not be empty", location=name)
        runbook = load_runbook(runbook_path, overlay=overlay)
        # bad input writes nothing: no snapshot for a release the store would refuse
        self.store.check_release_fields(
            service=service, version=version, env=env, created_by=actor, launch_tz=tz
        )
        snapshot = self._snapshot(runbook, runbook_path)
        return self.store.create_release(
            service=service,
            version=version,
            env=env,
            launch_at=launch,
            launch_tz=tz,
            created_by=actor,
            snapshot=snapshot,
            first_event=(
                "release.started",
                {
                    "runbook": str(runbook_path),
                    "title": runbook.title,
                    "content_hash": runbook.content_hash,
                    "snapshot": snapshot,
                    "service": service,
                    "version": version,
                    "env": env,
                    "launch": launch.isoformat(),
                    "tz": tz,
                    "config": config_record(self.config),
                },
            ),
            at=self.clock(),
        )

    def _snapshot(self, runbook: Runbook, path: str | Path) -> str:
        model = runbook.model_dump_json()
        digest = hashlib.sha256(model.encode()).hexdigest()
        try:
            source = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            source = ""
        self.store.put_snapshot(digest, runbook.title, source, model)
        return digest

    def diff(
        self, release_id: str, runbook_path: str | Path, overlay: str | Path | None = None
    ) -> dict[str, Any]:
        """The item-level difference between the release's runbook and the file now."""
        from golive.runbook.ids import reconcile
        from golive.runbook.loader import load_runbook
        from golive.runbook.text import normalize

        _release, state = self.load(release_id)
        new = load_runbook(runbook_path, overlay=overlay)
        derived_ids = {i.id for i in new.all_items()}
        changes = reconcile(state.runbook, new)
        old_items = {i.id: i for i in state.runbook.all_items()}
        new_items = {i.id: i for i in new.all_items()}
        renamed_text = {new_id: old_id for new_id, old_id in changes.items() if new_id in derived_ids}
        changed = [
            i
            for i in new_items
            if i in old_items
            and normalize(old_items[i].text) != normalize(new_items[i].text)
            and i not in renamed_text.values()
        ]
        return {
            "runbook": new,
            "current_content_hash": state.runbook.content_hash,
            "added": sorted(set(new_items) - set(old_items)),
            "removed": sorted(set(old_items) - set(new_items)),
            "reworded": sorted(renamed_text.values()),
            "changed": sorted(changed),
            "unchanged": len(set(new_items) & set(old_items)) - len(changed),
        }

    def upgrade(
        self, release_id: str, runbook_path: str | Path, *, actor: Actor, overlay: str | Path | None = None
    ) -> dict[str, Any]:
        actor = permit(actor, "upgrade")
        diff = self.diff(release_id, runbook_path, overlay)
        runbook: Runbook = diff.pop("runbook")
        current = diff.pop("current_content_hash")
        unchanged = not (diff["added"] or diff["removed"] or diff["changed"] or diff["reworded"])
        if unchanged and runbook.content_hash == current:
            diff["applied"] = False
            return diff
        snapshot = self._snapshot(runbook, runbook_path)

        def build(_release: ReleaseRow, _state: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            # allowed after a GO: the recorded GO goes stale (decide says so)
            return [
                (
                    "release.upgraded",
                    {
                        "snapshot": snapshot,
                        "content_hash": runbook.content_hash,
                        "added": diff["added"],
                        "removed": diff["removed"],
                        "changed": diff["changed"],
                        "reworded": diff["reworded"],
                    },
                )
            ]

        self._act(release_id, build, actor)
        diff["applied"] = True
        return diff

    def reconfigure(self, release_id: str, *, actor: Actor) -> dict[str, Any]:
        """Make golive.toml as it is now (``self.config``) the configuration in force for
        the release, by an approver: recorded with what changed. A change of people or
        quorum makes a recorded GO stale. Nothing is recorded when nothing changed."""
        actor = permit(actor, "reconfigure")
        new = config_record(self.config)
        outcome: dict[str, Any] = {"applied": False, "changes": [], "affects_go": False}

        def build(_release: ReleaseRow, state: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            if APPROVER not in state.roles_of(actor):
                raise ForbiddenError(
                    f"reconfiguring a release needs the {APPROVER} role; {actor} does not hold it"
                )
            changes = [(what, how) for what, how in config_changes(state.config, new) if what != "source"]
            outcome["changes"] = [f"{what} {how}" for what, how in changes]
            outcome["affects_go"] = any(what in ("people", "quorum") for what, _ in changes)
            if not changes:
                return []
            outcome["applied"] = True
            return [
                (
                    "release.reconfigured",
                    {"config": new, "changes": outcome["changes"], "affects_go": outcome["affects_go"]},
                )
            ]

        self._act(release_id, build, actor)
        return outcome

    # -- people --------------------------------------------------------------------
    def _may_manage(self, release: ReleaseRow, state: ReleaseState, actor: str) -> bool:
        return actor == release.created_by or APPROVER in state.roles_of(actor)

    def assign(
        self, release_id: str, role: str, person: str, *, actor: Actor, remove: bool = False
    ) -> ReleaseState:
        actor = permit(actor, "assign")

        def build(release: ReleaseRow, state: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            if not self._may_manage(release, state, actor):
                raise ForbiddenError(
                    f"{actor} may not assign roles: only the release's starter or an approver may"
                )
            known = {r.name.lower() for r in state.runbook.roles} | {APPROVER}
            if role.lower() not in known:
                raise ActionError(f"the runbook names no role {role!r} (roles: {', '.join(sorted(known))})")
            canonical = next((r.name for r in state.runbook.roles if r.name.lower() == role.lower()), role)
            holders = state.people.get(canonical, [])
            if remove:
                if person not in holders:
                    raise ActionError(f"{person} does not hold {canonical}")
                return [("role.unassigned", {"role": canonical, "person": person})]
            if person in holders:
                raise ActionError(f"{person} already holds {canonical}")
            return [("role.assigned", {"role": canonical, "person": person})]

        return self._act(release_id, build, actor)

    # -- items -----------------------------------------------------------------------
    def _item(self, state: ReleaseState, item_id: str) -> Item:
        item = state.runbook.find_item(item_id)
        if item is None:
            raise NotFoundError(f"no item {item_id!r} in release {state.release_id}'s runbook")
        return item

    def _may_act_on(self, state: ReleaseState, item: Item, actor: str) -> None:
        if item.owner is None:
            return
        holders = state.people.get(item.owner, [])
        if not holders or actor in holders or APPROVER in state.roles_of(actor):
            return
        raise ForbiddenError(
            f"{actor} does not hold {item.owner}, who owns this item ({', '.join(holders)} do)"
        )

    def _blocking_phase_gate(self, state: ReleaseState, item: Item) -> Item | None:
        """The first unmet phase gate of an earlier phase (another section, earlier
        in the document), if any. An item of a phase gate itself is never blocked."""
        if item.gate is not None and item.gate.kind == "phase":
            return None
        position: dict[str, int] = {}
        section_of: dict[str, str] = {}
        for section in state.runbook.walk_sections():
            for found in section.all_items():
                position[found.id] = len(position)
                section_of[found.id] = section.id
        for gate in state.runbook.gates():
            if gate.gate is None or gate.gate.kind != "phase" or gate.optional:
                continue
            if position[gate.id] >= position[item.id] or section_of[gate.id] == section_of[item.id]:
                continue
            if state.gate_holds(gate.id) is not True:
                return gate
        return None

    def item_action(
        self, release_id: str, item_id: str, action: str, *, actor: Actor, reason: str | None = None
    ) -> ReleaseState:
        actor = permit(actor, "item")
        event = "item." + _ACTIONS.get(action, action)
        if event not in ITEM_TRANSITIONS:
            raise InputError(
                f"unknown item action {action!r} (start, done, fail, skip, reopen)", location="ACTION"
            )
        if event in ("item.skipped", "item.reopened", "item.failed") and not (reason or "").strip():
            raise InputError(f"{action} needs a reason", location="--reason")

        def build(_release: ReleaseRow, state: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            item = self._item(state, item_id)
            self._may_act_on(state, item, actor)
            current = state.items.get(item.id)
            status = current.status if current else ItemStatus.PENDING
            allowed, _ = ITEM_TRANSITIONS[event]
            if status not in allowed:
                raise ActionError(f"item {item.id} is {status.value}; cannot {action} it")
            if event in ("item.started", "item.done"):
                blocker = self._blocking_phase_gate(state, item)
                if blocker is not None:
                    raise ActionError(
                        f"phase gate not met: {blocker.text!r} (line {blocker.line}) "
                        "must hold before this phase starts"
                    )
            data: dict[str, Any] = {"item": item.id}
            if reason:
                data["reason" if event in ("item.skipped", "item.reopened", "item.failed") else "note"] = (
                    reason
                )
            return [(event, data)]

        return self._act(release_id, build, actor)

    def comment(
        self, release_id: str, text: str, *, actor: Actor, item_id: str | None = None
    ) -> ReleaseState:
        actor = permit(actor, "comment")
        if not text.strip():
            raise InputError("a comment needs text", location="TEXT")

        def build(_release: ReleaseRow, state: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            data: dict[str, Any] = {"text": text}
            if item_id is not None:
                data["item"] = self._item(state, item_id).id
            return [("item.commented", data)]

        return self._act(release_id, build, actor)

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
        actor = permit(actor, "attach")
        if bool(url) == bool(file):
            raise InputError("give either --url or --file", location="--url/--file")
        data: dict[str, Any] = {"note": note} if note else {}
        if url:
            if not url.startswith(("http://", "https://")):
                raise InputError(f"not an http(s) URL: {url!r}", location="--url")
            data["url"] = url
        if file:
            path = Path(file)
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise InputError(
                    f"cannot read: {exc.strerror or exc.__class__.__name__}", location=file
                ) from None
            data.update(
                {"file": path.name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
            )

        def build(_release: ReleaseRow, state: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            return [("evidence.attached", {"item": self._item(state, item_id).id, **data})]

        return self._act(release_id, build, actor)

    # -- checks -------------------------------------------------------------------------
    def run_checks(
        self,
        release_id: str,
        *,
        actor: Actor,
        phase: str | None = None,
        concurrency: int = 20,
        values: dict[str, str] | None = None,
    ) -> tuple[ReleaseState, list[Any]]:
        """Run the release runbook's checks (of one phase), record every result.

        ``values`` are filled into checks besides the release's own ``{version}``,
        ``{env}`` and ``{service}`` (a rehearsal adds its stand-in's ``{target_port}``)."""
        actor = permit(actor, "checks")
        import asyncio

        from golive.checks.context import Attestation, CheckContext
        from golive.checks.runner import prepare_checks, run_checks, select

        release, state = self.load(release_id)
        prepared = prepare_checks(state.runbook)
        if phase is not None:
            match = [
                s for s in state.runbook.walk_sections() if phase.lower() in (s.id.lower(), s.title.lower())
            ]
            if not match:
                raise NotFoundError(f"no phase {phase!r} in the runbook", location="--phase")
            prepared = select(prepared, state.runbook, sections=[phase])
        attestations = {
            item_id: Attestation(by=s.by or "", role=None)
            for item_id, s in state.items.items()
            if s.status == ItemStatus.DONE
        }
        base = Path(str(state.runbook.file)).resolve().parent if state.runbook.file else Path.cwd()
        ctx = CheckContext(
            base_dir=base,
            concurrency=concurrency,
            values={
                "version": release.version,
                "env": release.env,
                "service": release.service,
                **(values or {}),
            },
            attestations=attestations,
            now=self.clock,
        )
        results = asyncio.run(run_checks(prepared, ctx)) if prepared else []
        entries = [
            (
                "check.recorded",
                {
                    "item": r.item,
                    "name": r.name,
                    "kind": r.kind,
                    "status": r.status,
                    "summary": r.summary,
                    "observed": r.observed,
                    "evidence": r.evidence[:2000],
                    "duration_ms": r.duration_ms,
                    "attempts": r.attempts,
                },
            )
            for r in results
        ]
        if entries:
            self.store.append_many(release_id, [(t, actor, d) for t, d in entries], at=self.clock())
        return self.load(release_id)[1], results

    # -- sign-offs, waivers, decisions -------------------------------------------------
    def signoff(self, release_id: str, role: str, *, actor: Actor, note: str = "") -> ReleaseState:
        actor = permit(actor, "signoff")

        def build(release: ReleaseRow, state: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            canonical = self.signoff_role(release, state, role, actor)
            data: dict[str, Any] = {
                "role": canonical,
                "revision": state.revision,
                "gate_epoch": state.gate_epoch,
            }
            if note:
                data["note"] = note
            return [("signoff.given", data)]

        return self._act(release_id, build, actor)

    def signoff_role(self, release: ReleaseRow, state: ReleaseState, role: str, actor: str) -> str:
        """The runbook's name of ``role`` when ``actor`` may sign off as it now;
        else ActionError (ForbiddenError when it is not theirs to give)."""
        needed = required_signoffs(state, self.in_force(state))
        canonical = next((r for r in needed if r.lower() == role.lower()), None)
        if canonical is None:
            raise ActionError(
                f"the runbook asks no sign-off from {role!r} (it asks: {', '.join(needed) or 'none'})"
            )
        if canonical not in state.roles_of(actor):
            holders = ", ".join(state.people.get(canonical, [])) or "nobody yet; assign the role first"
            raise ForbiddenError(f"{actor} does not hold {canonical} (held by: {holders})")
        if actor == release.created_by:
            raise ForbiddenError(f"{actor} started this release and may not approve their own request")
        if state.decision is not None:
            raise ActionError("the decision is already recorded; sign-offs are closed")
        if any(s.role == canonical and s.by == actor for s in valid_signoffs(state)):
            raise ActionError(f"{actor} already signed off as {canonical}")
        return canonical

    @staticmethod
    def revocable(state: ReleaseState, actor: str) -> list[str]:
        """The roles ``actor`` signed off as and may still revoke."""
        if state.decision is not None:
            return []
        return sorted({s.role for s in state.signoffs if s.by == actor})

    def revoke(self, release_id: str, role: str, *, actor: Actor, reason: str) -> ReleaseState:
        actor = permit(actor, "revoke")
        if not reason.strip():
            raise InputError("a revocation needs a reason", location="--reason")

        def build(_release: ReleaseRow, state: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            if state.decision is not None:
                raise ActionError("the decision is already recorded; sign-offs can no longer be revoked")
            mine = [r for r in self.revocable(state, actor) if r.lower() == role.lower()]
            if not mine:
                raise ActionError(f"{actor} has no sign-off as {role} to revoke")
            return [("signoff.revoked", {"role": mine[0], "reason": reason})]

        return self._act(release_id, build, actor)

    def waive(self, release_id: str, target: str, *, actor: Actor, reason: str) -> ReleaseState:
        actor = permit(actor, "waive")
        if not reason.strip():
            raise InputError("a waiver needs a reason", location="--reason")

        def build(release: ReleaseRow, state: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            if APPROVER not in state.roles_of(actor):
                raise ForbiddenError(
                    f"only a person with the {APPROVER} role may waive; {actor} does not hold it"
                )
            if target.startswith("policy:"):
                violated = {
                    pid
                    for pid, _ in policy_violations(
                        state, self.in_force(state), release.launch_at, release.launch_tz
                    )
                }
                if target not in violated:
                    raise ActionError(f"{target} is not violated by this release")
            else:
                item = self._item(state, target)
                if item.gate is None:
                    raise ActionError(f"item {item.id} is not a gate; only gates are waived")
                if state.gate_holds(item.id) is True:
                    raise ActionError(f"gate {item.id} holds; there is nothing to waive")
            if target in state.waivers:
                raise ActionError(f"{target} is already waived")
            return [("waiver.granted", {"target": target, "reason": reason})]

        return self._act(release_id, build, actor)

    def decide(
        self,
        release_id: str,
        *,
        actor: Actor,
        record: bool = False,
        expect_go: bool = False,
        loaded: Loaded | None = None,
    ) -> Decision:
        """Compute the decision; with ``record`` append it (approver role). With
        ``expect_go`` recording fails, writing nothing, unless the decision is GO.
        ``loaded``: the release as :meth:`load` gave it, to compute from (reading only)."""
        if not record:
            permit(actor, "read")
            release, state = self._loaded(release_id, loaded)
            return self._decide(release, state)
        actor = permit(actor, "decide")
        release, state = self.load(release_id)

        def build(rel: ReleaseRow, fresh: ReleaseState) -> list[tuple[str, dict[str, Any]]]:
            if APPROVER not in fresh.roles_of(actor):
                raise ForbiddenError(
                    f"recording a decision needs the {APPROVER} role; {actor} does not hold it"
                )
            current = self._decide(rel, fresh)
            if expect_go and not current.go:
                raise ActionError("cannot record GO: " + "; ".join(current.reasons))
            return [
                (
                    "decision.recorded",
                    {
                        "decision": current.decision,
                        "reasons": current.reasons,
                        "revision": fresh.revision,
                        "gate_epoch": fresh.gate_epoch,
                        "config_epoch": fresh.config_epoch,
                    },
                )
            ]

        state = self._act(release_id, build, actor)
        return self._decide(release, state)

    def _decide(self, release: ReleaseRow, state: ReleaseState, now: datetime | None = None) -> Decision:
        return decide(
            state,
            self.in_force(state),
            launch=release.launch_at,
            tz=release.launch_tz,
            now=now or self.clock(),
        )

    def rollout_blocker(self, release: ReleaseRow, state: ReleaseState) -> str | None:
        """Why the release may not start its rollout yet, or None: a rollout
        needs a recorded GO that is still current (same runbook revision, no gate
        failed since, not older than the policy allows)."""
        if state.decision is None:
            return "no GO/NO-GO decision is recorded"
        if state.decision.decision != "GO":
            return f"the recorded decision is {state.decision.decision}"
        current = self._decide(release, state)
        if current.recorded != "current":
            return f"the recorded GO is {current.recorded}"
        return None

    # -- status and audit ------------------------------------------------------------------
    def status(self, release_id: str, *, loaded: Loaded | None = None) -> StatusReport:
        """Progress per phase, what is due and overdue now, the next gate, the decision.
        ``loaded``: the release as :meth:`load` gave it (a server that answers many
        screens loads a head once and computes each second's status from it)."""
        release, state = self._loaded(release_id, loaded)
        now = self.clock()
        report = status_report(release, state, now)
        report.decision = self._decide(release, state, now)
        report.config = self.in_force(state)
        return report

    def audit(
        self, release_id: str, *, anchor: Anchor | None = None, require_keyed: bool = False
    ) -> ReleaseAudit:
        """Every stored fact of the release checked against its log (golive.release.audit)."""
        from golive.release.audit import audit_release

        return audit_release(self.store, release_id, anchor=anchor, require_keyed=require_keyed)

    def latest_release(self) -> str:
        releases = self.store.list_releases()
        if not releases:
            raise NotFoundError("no releases yet: golive release start RUNBOOK ... starts one")
        return releases[-1].id
