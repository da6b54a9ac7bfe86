"""Rollout actions: one function per user action, shared by the CLI and (later) the API.

Each action takes the acting person and decides here, and only here, whether
they may: ``start``, ``promote``, ``resume`` and ``abort`` are for the release's
starter or an approver; ``pause`` and the emergency ``stop`` for anyone who
holds a role in the release (whoever sees trouble may stop it); ``resolve`` (a
person's word on an intent a crash left open) for an approver only. A refusal
raises :class:`~golive.release.service.ActionError` and writes nothing.

The service takes the command's clock and never reads the system time itself;
controllers it builds run on that clock (compressed for rehearsals and tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from golive.auth.principal import Actor, permit
from golive.clock import Clock, compressed
from golive.config import Config
from golive.errors import ForbiddenError, InputError
from golive.release.service import APPROVER, ActionError, ReleaseService
from golive.release.state import ReleaseState
from golive.rollout.controller import Controller, OpenIntent, RolloutState, _rule, open_intents
from golive.rollout.spec import ProcedureStep, RolloutGuard
from golive.runbook.model import Runbook
from golive.store.events import EventStore, ReleaseRow

__all__ = [
    "MANAGE",
    "ActionResult",
    "ResolveResult",
    "RolloutService",
    "StartResult",
    "TriggerSummary",
    "load_guard",
    "start_result",
]

MANAGE = frozenset({"start", "promote", "resume", "abort"})
"""Actions for the release's starter or an approver. Pause and emergency stop are
for anyone who holds a role in the release: whoever sees trouble may stop it."""
APPROVERS_ONLY = frozenset({"resolve"})
"""Actions for an approver only: saying whether an action that may or may not
have run did run is a judgement, not the starter's convenience."""
LOCK_WAIT = 2.0  # seconds a resolve waits for a controller's reconciliation in progress


@dataclass(frozen=True)
class TriggerSummary:
    """A trigger as it will run, with its worst-case detection time."""

    name: str
    breach: str
    reaction: str
    shadow: bool
    worst_case: timedelta


@dataclass(frozen=True)
class StartResult:
    release_id: str
    actor: str
    guard: RolloutGuard
    triggers: list[TriggerSummary]
    procedure: list[ProcedureStep]
    """The rollback procedure resolved from the runbook, as it will run."""
    components: list[tuple[str, list[float]]]
    """Each component's name and step weights."""
    health: dict[str, Any] | bool = False
    """The built-in health guard as ``rollout.started`` records it: the probes it
    watches, those it does not use and why (``False`` when turned off)."""


@dataclass(frozen=True)
class ActionResult:
    action: str
    actor: str
    outcome: str
    """The rollout's outcome after the action (running, paused, rolled_back, ...)."""


@dataclass(frozen=True)
class ResolveResult:
    actor: str
    intent: OpenIntent
    ran: bool
    outcome: str


def load_guard(runbook: Runbook, guard_file: str | None) -> RolloutGuard:
    """The guard of ``guard_file`` (a YAML file, ``rollout_guard:`` at its top or
    the guard itself), else the runbook's own ``rollout_guard`` (annotation or
    overlay). InputError for a file that cannot be read or a guard that is invalid."""
    if guard_file is not None:
        import yaml

        try:
            with open(guard_file, encoding="utf-8") as stream:  # noqa: PTH123
                data = yaml.safe_load(stream)
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(
                f"cannot read rollout guard: {exc.__class__.__name__}", location=guard_file
            ) from None
        data = data.get("rollout_guard", data) if isinstance(data, dict) else data
    else:
        data = runbook.rollout_guard
        if data is None:
            raise InputError(
                "the release's runbook declares no rollout_guard (give --guard FILE or use an overlay)",
                location="--guard",
            )
    try:
        return RolloutGuard.model_validate(data)
    except ValueError as exc:
        first = str(exc).splitlines()
        raise InputError(
            " ".join(first[1:3]).strip() or "invalid rollout guard", location=guard_file or "rollout_guard"
        ) from None


class RolloutService:
    """The rollout actions of releases in ``store``, judged against ``config``'s
    people and the release's roles, on ``clock``."""

    def __init__(self, store: EventStore, config: Config, clock: Clock) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.releases = ReleaseService(store, config, clock=clock.now)

    # -- who may act -----------------------------------------------------------------
    def authorize(self, release_id: str, action: str, actor: Actor) -> tuple[ReleaseRow, ReleaseState]:
        """Refuse (ForbiddenError, ActionError) unless ``actor`` may take ``action`` on
        the release's rollout: their site role first, then their roles in the release;
        the release and its state, read for it."""
        actor = permit(actor, f"rollout.{action}")
        release, state = self.releases.load(release_id)
        roles = state.roles_of(actor)
        if action in APPROVERS_ONLY:
            if APPROVER not in roles:
                raise ForbiddenError(f"{actor} may not {action} the rollout: only an approver may")
            return release, state
        manager = actor == release.created_by or APPROVER in roles
        if action in MANAGE and not manager:
            raise ForbiddenError(
                f"{actor} may not {action} the rollout: only the release's starter or an approver may"
            )
        if not manager and not roles:
            raise ForbiddenError(f"{actor} holds no role in {release_id} and may not {action} its rollout")
        return release, state

    # -- controllers -----------------------------------------------------------------
    def controller(
        self,
        release_id: str,
        *,
        speed: float = 1.0,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> Controller:
        """The controller of the release, on the service's clock compressed ``speed``
        times; a compressed timeline continues from the last recorded event, so a
        restart neither shortens nor restarts a bake."""
        if speed <= 0:
            raise InputError("must be positive", location="--speed")
        release = self.store.get_release(release_id)
        events = self.store.events(release_id)
        clock = compressed(self.clock, speed, events[-1].at if events else None)
        values = {"version": release.version, "env": release.env, "service": release.service}
        return Controller(self.store, release_id, clock=clock, values=values, on_event=on_event)

    def runner(
        self,
        release_id: str,
        *,
        speed: float = 1.0,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> Controller:
        """The controller ``rollout run`` runs: refused when the rollout has not started."""
        controller = self.controller(release_id, speed=speed, on_event=on_event)
        if controller.state().guard is None:
            raise ActionError(f"the rollout of {release_id} has not started (golive rollout start)")
        return controller

    @staticmethod
    def waiting_for_a_person(state: RolloutState) -> list[OpenIntent]:
        """The open intents the controller will not resume by itself."""
        return [intent for intent in open_intents(state) if not intent.idempotent]

    def open_intents(self, release_id: str) -> list[OpenIntent]:
        return open_intents(self.controller(release_id).state())

    # -- the actions -----------------------------------------------------------------------
    def start(
        self,
        release_id: str,
        *,
        actor: Actor,
        guard_file: str | None = None,
        without_go: str | None = None,
    ) -> StartResult:
        """Record the start of the release's rollout with the guard of
        ``guard_file`` or of the runbook. It needs a recorded GO that is still
        current, unless ``without_go`` says why not (recorded)."""
        actor = permit(actor, "rollout.start")
        controller = self.controller(release_id)
        release, state = self.authorize(release_id, "start", actor)
        guard = load_guard(state.runbook, guard_file)
        blocker = self.releases.rollout_blocker(release, state)
        reason = (without_go or "").strip() or None
        if blocker is not None and reason is None:
            raise ActionError(
                f"{blocker}: record a GO first (golive decide {release_id} --record --go), "
                "or give --without-go REASON",
                location="--without-go",
            )
        try:
            guard = controller.start(guard, state.runbook, actor=actor, without_go=reason)
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        # only the events this start appended: the health guard as it was resolved
        started = next(
            (e for e in self.store.events(release_id, after=state.seq) if e.type == "rollout.started"), None
        )
        health = started.data.get("health", False) if started is not None else False
        return start_result(release_id, actor, guard, health)

    def _started(self, release_id: str, action: str, actor: Actor) -> Controller:
        permit(actor, f"rollout.{action}")
        controller = self.controller(release_id)
        if controller.state().guard is None:
            raise ActionError(f"the rollout of {release_id} has not started")
        self.authorize(release_id, action, actor)
        return controller

    def promote(
        self, release_id: str, *, actor: Actor, reason: str, component: str | None = None
    ) -> ActionResult:
        """Promote to the next step now (ends a bake that waits until promoted)."""
        controller = self._started(release_id, "promote", actor)
        actor = permit(actor, "rollout.promote")
        try:
            controller.promote(component, reason=reason, actor=actor)
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        return ActionResult("promote", actor, controller.state().outcome)

    def pause(self, release_id: str, *, actor: Actor, reason: str) -> ActionResult:
        controller = self._started(release_id, "pause", actor)
        actor = permit(actor, "rollout.pause")
        controller.pause(reason, actor=actor)
        return ActionResult("pause", actor, controller.state().outcome)

    def resume(self, release_id: str, *, actor: Actor, reason: str) -> ActionResult:
        controller = self._started(release_id, "resume", actor)
        actor = permit(actor, "rollout.resume")
        controller.resume(reason, actor=actor)
        return ActionResult("resume", actor, controller.state().outcome)

    async def abort(self, release_id: str, *, actor: Actor, reason: str) -> ActionResult:
        """Roll back now (at most once per release); waits for a reconciliation in progress."""
        controller = self._started(release_id, "abort", actor)
        actor = permit(actor, "rollout.abort")
        try:
            await controller.abort(reason, actor=actor)
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        return ActionResult("abort", actor, controller.state().outcome)

    def emergency_stop(self, release_id: str, *, actor: Actor, reason: str) -> ActionResult:
        """Pause every rollout of the release at once."""
        controller = self._started(release_id, "stop", actor)
        actor = permit(actor, "rollout.stop")
        controller.emergency_stop(reason, actor=actor)
        return ActionResult("stop", actor, controller.state().outcome)

    def resolve(self, release_id: str, step: str, *, ran: bool, actor: Actor, reason: str) -> ResolveResult:
        """Record whether the action of the open intent ``step`` ran (see
        :class:`~golive.rollout.controller.OpenIntent` for the names). Ran: it
        counts as done and is not run again; did not run: the controller runs it
        again, once. Refused while a controller acts on the release."""
        reason = reason.strip()
        if not reason:
            raise InputError("say why (it is recorded)", location="--reason")
        controller = self._started(release_id, "resolve", actor)
        actor = permit(actor, "rollout.resolve")
        with self.store.acting_on(release_id, wait=LOCK_WAIT) as free:
            if not free:
                raise ActionError(
                    f"a controller is acting on {release_id} right now (golive serve or rollout run): "
                    "stop it, then resolve"
                )
            state = controller.state()
            intents = open_intents(state)
            intent = next((i for i in intents if i.step == step), None)
            if intent is None:
                if not intents:
                    raise ActionError(f"{release_id} has no open intent: nothing to resolve")
                listed = ", ".join(f"{i.step} ({i.what})" for i in intents)
                raise ActionError(f"no open intent {step!r} in {release_id}; open intents: {listed}")
            entries = [(type_, actor, data) for type_, data in _resolution(state, intent, ran, actor, reason)]
            self.store.append_many(release_id, entries, expect_seq=state.seq, at=self.clock.now())
        return ResolveResult(actor, intent, ran, controller.state().outcome)


def start_result(
    release_id: str, actor: str, guard: RolloutGuard, health: dict[str, Any] | bool
) -> StartResult:
    """What a started rollout will do, from its guard as ``rollout.started`` records it."""
    from golive.rollout.triggers import worst_case_detection

    return StartResult(
        release_id=release_id,
        actor=actor,
        guard=guard,
        triggers=[
            TriggerSummary(
                t.name,
                t.breach,
                t.reaction,
                bool(t.shadow or guard.shadow),
                worst_case_detection(_rule(t, guard)),
            )
            for t in guard.triggers
        ],
        procedure=list(guard.rollback_procedure) if isinstance(guard.rollback_procedure, list) else [],
        components=[(c.name, [s.weight for s in c.steps]) for c in guard.components],
        health=health,
    )


def _resolution(
    state: RolloutState, intent: OpenIntent, ran: bool, actor: str, reason: str
) -> list[tuple[str, dict[str, Any]]]:
    """The events of a resolution: when the action ran, its outcome (as the
    controller would have recorded it, marked ``resolved``); then
    ``rollout.resolved`` with the person's reason."""
    data: dict[str, Any] = {"step": intent.step, "kind": intent.kind, "ran": ran, "reason": reason}
    for key in ("component", "index", "weight"):
        if getattr(intent, key) is not None:
            data[key] = getattr(intent, key)
    if not ran:
        return [("rollout.resolved", data)]
    done = {"ok": True, "summary": f"resolved by {actor}: it ran ({reason})", "resolved": True}
    if intent.kind == "step":
        outcome = (
            "rollout.step.done",
            {"component": intent.component, "index": intent.index, "weight": intent.weight, **done},
        )
    elif intent.kind == "rollback":
        outcome = ("rollout.rollback.component", {"component": intent.component, **done})
    else:
        assert intent.index is not None
        outcome = ("rollout.rollback.step.done", {**state.procedure_intent[intent.index], **done})
    return [outcome, ("rollout.resolved", data)]
