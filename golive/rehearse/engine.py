"""A whole release rehearsed against a stand-in, from the first phase to the end of hypercare.

:func:`prepare` reads and checks everything the user gave (runbook, overlay,
faults, speed, launch) and writes nothing; :class:`Rehearsal` then runs it:

1. an output directory with a fresh SQLite event store;
2. the stand-in (``golive demo-target``) on a free port, with the faults;
3. a release of the runbook, started by the simulated release lead, one
   simulated person assigned to each role the runbook names, and an approver;
4. the script of :mod:`golive.rehearse.plan` played on a :class:`RehearsalClock`:
   jumps from action to action before T-0; items done by their owners, checks
   run and recorded, sign-offs given, the GO recorded by the approver at T-0
   (a NO-GO or a failed gate ends the rehearsal as ``aborted``);
5. the rollout, on the compressed clock, by the real controller, while the
   people go on with the items scheduled during it; steps that wait to be
   promoted are promoted by the release lead after :data:`MANUAL_WATCH`;
6. after 100%: hypercare, in jumps of the guard's ``hypercare_interval``, the
   controller watching (and alerting) at each one, until the guard's hypercare
   and the runbook's last scheduled item are over;
7. the report (``golive.report.write_report``) into the output directory.

Everything that happens is an event in the release's log, stamped with the
rehearsal clock's time; the stand-in is stopped whatever the outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from golive.demo_target.faults import FaultSpec
from golive.durations import format_duration
from golive.rehearse.clock import RehearsalClock
from golive.rehearse.plan import MANUAL_WATCH, Action
from golive.rehearse.prepare import DEFAULT_SPEED, Prepared, prepare
from golive.rehearse.result import OUTCOMES, RehearsalResult, RehearsalView
from golive.runbook.model import Item

__all__ = [
    "DEFAULT_SPEED",
    "Prepared",
    "Rehearsal",
    "RehearsalResult",
    "RehearsalView",
    "prepare",
]

VERSION = "1.1.0"
STABLE_VERSION = "1.0.0"
ENV = "rehearsal"
LEAD = "release-lead.sim"
APPROVER = "approver.sim"
CI = "ci.sim"
HYPERCARE_INTERVAL = timedelta(hours=1)
MAX_REAL_SLEEP = 0.25
HOLD_INTERVALS = 1.9
"""Rehearsal time runs at most this many evaluation intervals past the last reconciliation."""
MIN_REAL_SLEEP = 0.005


def _slug(text: str) -> str:
    from golive.runbook.text import slugify

    return slugify(text, 32) or "role"


# -- running -----------------------------------------------------------------------------------


class _Ended(Exception):
    """The rehearsal is over (outcome decided)."""


class Rehearsal:
    """One rehearsal run. ``on_update(view, line)`` is called as things happen
    (``line`` is a log line or None for a refresh)."""

    def __init__(
        self,
        prepared: Prepared,
        on_update: Callable[[RehearsalView, str | None], None] | None = None,
        *,
        on_standin: Callable[[int], dict[str, str]] | None = None,
    ) -> None:
        """``on_standin(port)`` is called once the stand-in listens, before the
        release starts; the values it returns join the check values (the demo
        starts a Prometheus scraping the stand-in there: ``{prometheus_port}``)."""
        self.p = prepared
        self.on_update = on_update
        self.on_standin = on_standin
        self.view = RehearsalView(runbook=prepared.runbook.title, launch=prepared.launch)
        self.view.actions_total = len(prepared.script.actions)
        self.clock = RehearsalClock(prepared.script.start, prepared.speed)
        self.stage = "pre"  # pre, rollout, hypercare, ended
        self.outcome: str | None = None
        self.reason: str | None = None
        self.trigger: str | None = None
        self.notes: list[str] = []
        self.deferred: list[Action] = []
        self.phases_seen: set[str] = set()
        self.hypercare_end: datetime | None = None
        self.last_hypercare_tick: datetime | None = None
        self.rollout_started_at: datetime | None = None
        self.aborted_by_us = False
        if prepared.launch_note:
            self.notes.append(prepared.launch_note)

    # -- plumbing ------------------------------------------------------------------------------
    def _say(self, line: str | None = None) -> None:
        self.view.now = self.clock.now()
        if line is not None:
            stamped = f"{self.clock.now():%Y-%m-%d %H:%M} {line}"
            self.view.log = [*self.view.log[-200:], stamped]
        if self.on_update is not None:
            self.on_update(self.view, None if line is None else self.view.log[-1])

    def _end(self, outcome: str, reason: str | None, trigger: str | None = None) -> None:
        self.stage = "ended"
        self.outcome, self.reason, self.trigger = outcome, reason, trigger
        self.view.stage = outcome
        self._say(f"rehearsal {outcome}" + (f": {reason}" if reason else ""))
        raise _Ended

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> RehearsalResult:
        from golive.rehearse.standin import StandIn
        from golive.release.service import ReleaseService
        from golive.store.events import EventStore

        started = time.monotonic()
        p = self.p
        p.out_dir.mkdir(parents=True, exist_ok=True)
        db = p.out_dir / "golive.db"
        store = EventStore.open(str(db), clock=self.clock)
        standin: StandIn | None = None
        release_id = ""
        try:
            standin = StandIn.start(
                faults=[f for f in p.faults if f.after_seconds is None],
                stable_version=STABLE_VERSION,
                canary_version=VERSION,
            )
            self.standin = standin
            self.values = {
                "version": VERSION,
                "env": ENV,
                "service": self._service(),
                "target_port": str(standin.port),
            }
            if self.on_standin is not None:
                self.values.update(self.on_standin(standin.port))
            self.svc = ReleaseService(store, p.config, clock=self.clock)
            release_id = self.svc.start(
                p.runbook_path,
                service=self.values["service"],
                version=VERSION,
                env=ENV,
                launch=p.launch,
                tz=p.tz,
                actor=LEAD,
                overlay=p.overlay,
            )
            self.release_id = release_id
            self.store = store
            self._say(f"release {release_id} started by {LEAD}; stand-in on {standin.base_url}")
            self._cast()
            with contextlib.suppress(_Ended):
                self._play()
            report, files = self._report(store, release_id)
            return self._result(store, release_id, db, report, files, standin, time.monotonic() - started)
        finally:
            if standin is not None:
                standin.stop()
            store.close()

    def _service(self) -> str:
        return _slug(self.p.runbook.title)

    def _cast(self) -> None:
        """One simulated person per role the runbook names (a quorum's worth for sign-off roles)."""
        from golive.release.decide import required_signoffs
        from golive.release.service import APPROVER as APPROVER_ROLE

        _, state = self.svc.load(self.release_id)
        quorum = required_signoffs(state, self.p.config)
        taken = {LEAD, APPROVER, CI}
        self.people: dict[str, list[str]] = {}
        for role in state.runbook.roles:
            people = []
            for n in range(quorum.get(role.name, 1)):
                person = f"{_slug(role.name)}{'' if n == 0 else f'-{n + 1}'}.sim"
                while person in taken:
                    person = person.replace(".sim", "-x.sim")
                taken.add(person)
                people.append(person)
                self.svc.assign(self.release_id, role.name, person, actor=LEAD)
            self.people[role.name] = people
        self.svc.assign(self.release_id, APPROVER_ROLE, APPROVER, actor=LEAD)
        roles = ", ".join(f"{r} → {', '.join(p)}" for r, p in self.people.items()) or "none named"
        self._say(f"people: {roles}; approver → {APPROVER}")

    def _person(self, item: Item) -> str:
        if item.owner and self.people.get(item.owner):
            return self.people[item.owner][0]
        for signoff in self.p.runbook.sign_offs:
            if signoff.source == "item" and signoff.line == item.line and self.people.get(signoff.role):
                return self.people[signoff.role][0]
        return LEAD

    def _play(self) -> None:
        for action in self.p.script.actions:
            self._advance_to(action.at)
            self._perform(action)
            self.view.actions_done += 1
        if self.stage == "pre":
            self._end("aborted", "the script ended before the rollout started")
        if self.stage == "rollout":
            self._run_rollout_until(None)
        if self.stage == "hypercare":
            assert self.hypercare_end is not None
            self._hypercare_until(max(self.hypercare_end, self.p.script.end))
            self.stage = "ended"
            self.outcome = "completed"
            self.view.stage = "completed"
            self._say("rehearsal completed: rollout at 100%, hypercare over")

    # -- time --------------------------------------------------------------------------------------
    def _advance_to(self, when: datetime) -> None:
        if self.stage == "pre":
            self.clock.jump_to(when)
            self._say()
            return
        if self.stage == "rollout":
            self._run_rollout_until(when)
        if self.stage == "hypercare":
            self._hypercare_until(when)

    def _run_rollout_until(self, when: datetime | None) -> None:
        """Tick the controller on the compressed clock until ``when`` (None: until the rollout ends)."""
        guard = self.p.guard
        intervals = [t.interval or guard.interval for t in guard.triggers] or [guard.interval]
        step = min(intervals)
        while self.stage == "rollout" and (when is None or self.clock.now() < when):
            self._reconcile()
            if self.stage != "rollout":
                return
            left = (when - self.clock.now()) if when is not None else step
            real = self.clock.real_seconds(min(step, max(left, timedelta(0))))
            time.sleep(min(max(real, MIN_REAL_SLEEP), MAX_REAL_SLEEP))

    def _reconcile(self) -> None:
        """One controller tick at one moment of rehearsal time; then let time run at most
        :data:`HOLD_INTERVALS` evaluation intervals ahead of it."""
        guard = self.p.guard
        step = min([t.interval or guard.interval for t in guard.triggers] or [guard.interval])
        moment = self.clock.now()
        self.clock.hold(moment)
        state = asyncio.run(self.controller.tick())
        self.clock.hold(moment + step * HOLD_INTERVALS)
        self._after_tick(state)
        if self.stage == "rollout":
            self._promote_waiting(state)

    def _hypercare_until(self, when: datetime) -> None:
        interval = getattr(self.p.guard, "hypercare_interval", None) or HYPERCARE_INTERVAL
        assert self.hypercare_end is not None
        while self.clock.now() < when:
            last = self.last_hypercare_tick or self.clock.now()
            target = min(when, last + interval)
            self.clock.jump_to(target)
            if target - last >= interval:
                self.last_hypercare_tick = target
                if target <= self.hypercare_end:
                    state = asyncio.run(self.controller.tick())
                    self._after_tick(state)
            self.view.stage = "hypercare" if self.clock.now() < self.hypercare_end else "after hypercare"
            self._say()

    def _after_tick(self, state: Any) -> None:
        """Follow the rollout's state: completed → hypercare; rolled back, paused, aborted → end."""
        outcome = state.outcome
        self.view.rollout = outcome
        self.view.weights = {name: c.weight for name, c in state.components.items()}
        self._say()
        if self.stage == "hypercare" and outcome in ("rolled_back", "paused"):
            # the health guard paused (or rolled back) in hypercare: a person takes over
            reason = (
                state.paused if outcome == "paused" else str((state.rollback_intent or {}).get("reason", ""))
            )
            self._end(outcome, reason or None, self._fired_trigger(state))
            return
        if self.stage != "rollout":
            return
        if outcome == "completed":
            self.stage = "hypercare"
            self.clock.hold(None)
            self.clock.freeze()
            completed = state.completed_at or self.clock.now()
            self.hypercare_end = completed + (self.p.guard.hypercare or timedelta(0))
            self.last_hypercare_tick = completed
            self.view.stage = "hypercare"
            self._say("rollout completed at 100%; hypercare until " + f"{self.hypercare_end:%Y-%m-%d %H:%M}")
            return
        if outcome in ("rolled_back", "aborted", "paused"):
            if self.aborted_by_us:
                self._end("aborted", self.reason)
            trigger = self._fired_trigger(state)
            reason = state.paused if outcome == "paused" else None
            if outcome == "rolled_back" and state.rollback_intent is not None:
                reason = str(state.rollback_intent.get("reason", "")) or None
            if outcome == "aborted":
                reason = state.aborted
            self._end(outcome, reason, trigger)
        if self.rollout_started_at is not None:
            limit = self._rollout_limit()
            if self.clock.now() - self.rollout_started_at > limit:
                self.controller.pause(f"rehearsal: the rollout did not finish within {limit}")
                self._end("paused", f"the rollout did not finish within {limit} of rehearsal time")

    def _rollout_limit(self) -> timedelta:
        from golive.rehearse.plan import rollout_estimate

        return rollout_estimate(self.p.guard) * 3 + timedelta(hours=6)

    def _fired_trigger(self, state: Any) -> str | None:
        """The runbook's words of the trigger that ended the rollout, if a trigger did."""
        fired = [
            e
            for e in self.store.events(self.release_id, after=0)
            if e.type == "rollout.trigger.fired" and not e.data.get("shadow")
        ]
        if state.rollback_intent is not None and state.rollback_intent.get("trigger"):
            name = state.rollback_intent["trigger"]
        elif fired:
            name = fired[-1].data["trigger"]
        else:
            return None
        spec = next((t for t in self.p.guard.triggers if t.name == name), None)
        return (spec.text or spec.name) if spec is not None else str(name)

    def _promote_waiting(self, state: Any) -> None:
        """A step without a bake waits for a person: the release lead promotes it after watching."""
        now = self.clock.now()
        for component in self.p.guard.components:
            comp = state.components.get(component.name)
            if comp is None or comp.index < 0 or comp.index >= len(component.steps) - 1:
                continue
            step = component.steps[comp.index]
            if (
                (step.bake is not None and not step.hold)
                or comp.index in comp.promoted
                or comp.done_at is None
            ):
                continue
            watch = step.bake if step.hold and step.bake is not None else MANUAL_WATCH
            if now >= comp.done_at + watch:
                reason = "the hold point's go/no-go" if step.hold else "the bake ended"
                self.controller.promote(component.name, reason=reason, actor=LEAD)
                watched = format_duration(watch)
                self._say(f"{LEAD} promotes {component.name} after watching {step.weight:g}% for {watched}")

    # -- actions -----------------------------------------------------------------------------------
    def _perform(self, action: Action) -> None:
        if action.phase is not None and action.phase.title != self.view.phase:
            self.view.phase = action.phase.title
            if action.phase.id not in self.phases_seen:
                self.phases_seen.add(action.phase.id)
                self._say(f"phase: {action.phase.title}")
        if action.kind == "item":
            assert action.item is not None
            self._item(action)
        elif action.kind == "checks":
            self._checks(action)
        elif action.kind == "signoff":
            assert action.role is not None
            self._signoff(action.role)
        elif action.kind == "decision":
            self._decide()
        elif action.kind == "rollout":
            self._start_rollout()

    def _item(self, action: Action, *, retry: bool = False) -> bool:
        from golive.release.service import ActionError

        item = action.item
        assert item is not None
        who = self._person(item)
        try:
            if action.skip:
                self.svc.item_action(
                    self.release_id, item.id, "skip", actor=who, reason="optional: not done in the rehearsal"
                )
                self.view.items_skipped += 1
            else:
                self.svc.item_action(self.release_id, item.id, "done", actor=who)
                self.view.items_done += 1
        except ActionError as exc:
            if "phase gate not met" in exc.message:
                if not retry:
                    self.deferred.append(action)  # done once the gate holds
                return False
            self.notes.append(f"{item.text} (line {item.line}): {exc.message}")
            self._say(f"could not record {item.text!r}: {exc.message}")
            return False
        self._say()
        if item.gate is not None and item.gate.kind == "phase" and self.deferred:
            self._retry_deferred()
        return True

    def _retry_deferred(self) -> None:
        waiting, self.deferred = self.deferred, []
        for action in waiting:
            if not self._item(action, retry=True) and action not in self.deferred:
                self.deferred.append(action)  # still blocked: keep waiting for the gate

    def _checks(self, action: Action) -> None:
        assert action.section is not None
        _state, results = self.svc.run_checks(
            self.release_id, actor=CI, phase=action.section.id, values=self.values
        )
        by_item: dict[str, list[Any]] = {}
        for result in results:
            by_item.setdefault(result.item, []).append(result)
        passed = sum(1 for r in results if r.status == "passed")
        failed = sum(1 for r in results if r.status in ("failed", "error"))
        self.view.checks_passed += passed
        self.view.checks_failed += failed
        self._say(f"checks of {action.section.title}: {passed} passed, {failed} failed")
        for item in action.checked:
            mine = by_item.get(item.id, [])
            automated = [c for c in item.checks if c.kind != "manual"]
            bad = [r for r in mine if r.status in ("failed", "error")]
            for result in bad:
                self._say(f"check failed: {item.text}: {result.summary}")
            if item.context != "normal" or not automated or not mine:
                continue
            if bad:
                summary = "; ".join(r.summary for r in bad)[:500]
                if self._mark(item, "fail", summary, action):
                    self.view.items_failed += 1
                if item.gate is not None and not item.optional:
                    self._gate_failed(item, summary)
            elif self._mark(item, "done", "checks passed", action):
                self.view.items_done += 1
                if item.gate is not None and item.gate.kind == "phase" and self.deferred:
                    self._retry_deferred()

    def _mark(self, item: Item, verdict: str, reason: str, action: Action) -> bool:
        """The item's owner records what its checks said; an item a phase gate still holds
        back is done once the gate holds (its checks' results are in the log already)."""
        from golive.release.service import ActionError

        try:
            self.svc.item_action(self.release_id, item.id, verdict, actor=self._person(item), reason=reason)
        except ActionError as exc:
            if "phase gate not met" in exc.message and verdict == "done":
                self.deferred.append(Action(action.at, action.order, "item", item=item, phase=action.phase))
            else:
                self.notes.append(f"{item.text} (line {item.line}): {exc.message}")
            return False
        return True

    def _gate_failed(self, item: Item, summary: str) -> None:
        kind = "phase gate" if item.gate is not None and item.gate.kind == "phase" else "gate"
        reason = f"{kind} failed: {item.text} (line {item.line}): {summary}"
        if self.stage == "pre":
            self._end("aborted", reason)
        if self.stage == "rollout":
            self.aborted_by_us = True
            self.reason = reason
            asyncio.run(self.controller.abort(reason))
            self._end("aborted", reason)
        self.notes.append(reason)  # in hypercare: the rollout is done; recorded in the log and the result

    def _signoff(self, role: str) -> None:
        from golive.release.service import ActionError

        for person in self.people.get(role, []):
            try:
                self.svc.signoff(self.release_id, role, actor=person)
                self._say(f"sign-off: {role} by {person}")
            except ActionError as exc:
                self.notes.append(f"sign-off {role} by {person}: {exc.message}")
                self._say(f"sign-off {role} refused: {exc.message}")

    def _decide(self) -> None:
        from golive.release.service import ActionError

        decision = self.svc.decide(self.release_id, actor=APPROVER)
        self.view.decision = decision.decision
        if not decision.go:
            self._say(f"decision at T-0: NO-GO ({len(decision.reasons)} reasons)")
            self._end("aborted", "NO-GO: " + "; ".join(decision.reasons))
        try:
            self.svc.decide(self.release_id, actor=APPROVER, record=True, expect_go=True)
        except ActionError as exc:
            self._end("aborted", exc.message)
        self._say(f"decision: GO, recorded by {APPROVER}")

    def _start_rollout(self) -> None:
        from golive.checks.context import CheckContext
        from golive.rollout.controller import Controller

        self.controller = Controller(
            self.store,
            self.release_id,
            clock=self.clock,
            values=self.values,
            ctx=CheckContext(concurrency=10, values=dict(self.values)),
            on_event=self._rollout_event,
        )
        # the guard as it runs: the runbook's criteria and rollback procedure resolved
        self.p.guard = self.controller.start(self.p.guard, self.p.runbook, actor=LEAD)
        self.stage = "rollout"
        self.view.stage = "rollout"
        self.rollout_started_at = self.clock.now()
        # the first reconciliation (the first step) happens at T-0 exactly: the clock is held
        # while the controller works, so a first tick's imports and connections cost no time
        self.clock.run()
        self._reconcile()
        for fault in self.p.faults:
            if fault.after_seconds is not None:
                # +AFTER counts rehearsal time from T-0: real seconds on the stand-in
                scaled = FaultSpec(
                    kind=fault.kind,
                    value=fault.value,
                    version=fault.version,
                    at_weight=fault.at_weight,
                    after_seconds=fault.after_seconds / self.p.speed,
                )
                self.standin.add_fault(scaled)
        plan = ", ".join(
            f"{c.name} {' → '.join(f'{s.weight:g}%' for s in c.steps)}" for c in self.p.guard.components
        )
        self._say(f"rollout started: {plan} at {self.p.speed:g}x")

    def _rollout_event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "rollout.evaluated":
            value = data.get("value")
            self.view.triggers[str(data["trigger"])] = (
                str(data["outcome"]),
                float(value) if isinstance(value, int | float) else None,
            )
            self._say()
            return
        if kind == "rollout.step.done":
            status = "" if data.get("ok") else f" FAILED: {data.get('summary')}"
            self._say(f"step: {data['component']} → {data['weight']:g}%{status}")
        elif kind == "rollout.trigger.fired":
            shadow = " (shadow)" if data.get("shadow") else ""
            self._say(
                f"trigger fired{shadow}: {data['trigger']} → {data['reaction']}: {data.get('detail', '')}"
            )
        elif kind == "rollout.alert":
            self.view.alerts += 1
            self._say(f"alert: {data.get('trigger')}: {data.get('detail', '')}")
        elif kind in ("rollout.paused", "rollout.attention"):
            self._say(f"{kind.removeprefix('rollout.')}: {data.get('reason', '')}")
        elif kind == "rollout.rollback.intent":
            self._say(f"rollback started: {data.get('reason', '')}")
        elif kind == "rollout.rollback.done":
            results = data.get("results") or {}
            done = ", ".join(f"{n} {'ok' if r.get('ok') else 'FAILED'}" for n, r in results.items())
            self._say(f"rollback done: {done}")
        elif kind == "rollout.completed":
            self._say("rollout at 100%: completed")

    # -- the end -----------------------------------------------------------------------------------
    def _report(self, store: Any, release_id: str) -> tuple[Path | None, dict[str, str]]:
        try:
            from golive.report import write_report
        except ImportError:
            self.notes.append("no report: golive.report is not available in this build")
            return None, {}
        try:
            files = write_report(store, release_id, self.p.out_dir)
        except Exception as exc:  # the rehearsal's outcome stands without its report
            self.notes.append(f"no report: {exc.__class__.__name__}: {exc}")
            return None, {}
        paths = {
            name: str(getattr(files, name))
            for name in ("markdown", "html", "runbook", "chart")
            if getattr(files, name, None) is not None
        }
        markdown = getattr(files, "markdown", None)
        return (Path(markdown) if markdown is not None else None), paths

    def _result(
        self,
        store: Any,
        release_id: str,
        db: Path,
        report: Path | None,
        files: dict[str, str],
        standin: Any,
        real: float,
    ) -> RehearsalResult:
        from golive.release.state import ItemStatus

        events = store.events(release_id)
        _, state = self.svc.load(release_id)
        counts = {"done": 0, "failed": 0, "skipped": 0, "pending": 0}
        for item in state.runbook.all_items():
            if item.context != "normal":
                continue
            status = state.items[item.id].status if item.id in state.items else ItemStatus.PENDING
            key = {"done": "done", "failed": "failed", "skipped": "skipped"}.get(status.value, "pending")
            counts[key] += 1
        checks = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        for event in events:
            if event.type == "check.recorded":
                outcome_of_check = str(event.data.get("status"))
                checks[outcome_of_check] = checks.get(outcome_of_check, 0) + 1
        steps: dict[str, list[float]] = {c.name: [] for c in self.p.guard.components}
        for event in events:
            if event.type == "rollout.step.done" and event.data.get("ok"):
                steps.setdefault(event.data["component"], []).append(event.data["weight"])
        alerts = [
            f"{e.data.get('trigger')}: {e.data.get('detail', '')}"
            for e in events
            if e.type == "rollout.alert"
        ]
        decision = state.decision.decision if state.decision is not None else (self.view.decision or "none")
        outcome = self.outcome if self.outcome in OUTCOMES else "aborted"
        return RehearsalResult(
            outcome=outcome,
            reason=self.reason,
            trigger=self.trigger,
            release_id=release_id,
            out_dir=self.p.out_dir,
            db=db,
            report=report,
            report_files=files,
            runbook=self.p.runbook_path,
            overlay=self.p.overlay,
            launch=self.p.launch,
            launch_note=self.p.launch_note,
            virtual=self.clock.now() - self.p.script.start,
            real_seconds=real,
            faults=[str(f) for f in self.p.faults],
            plan={c.name: [s.weight for s in c.steps] for c in self.p.guard.components},
            steps=steps,
            decision=decision,
            items=counts,
            checks=checks,
            alerts=alerts,
            notes=self.notes,
            standin=standin.base_url,
        )
