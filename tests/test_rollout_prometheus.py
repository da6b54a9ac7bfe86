"""The rollout guard against a real Prometheus (Debian's ``prometheus``, started
by ``tests/services.py`` on 127.0.0.1) scraping a real demo-target every second,
on a compressed clock: the controller scenarios of ``test_rollout_controller.py``
with real measurements.

Two clocks, on purpose:

- **Rollout time** is compressed 60x (``ScaledClock``): one virtual minute per
  real second. Bakes, evaluation intervals, ``for`` windows and every event's
  time are virtual: a ``for: 10m`` trigger must see 10 virtual minutes (10 real
  seconds) of breaches; an evaluation every 30 s virtual is one every 0.5 s real.
- **Prometheus time** is real: it scrapes every real second and evaluates the
  instant query at the real "now". So the PromQL windows are written in real
  time, ``rate(...[5s])`` (five scrapes), not in rollout time: a 5 s window is
  what the trigger's "current error rate" means here.

The rollout: 10% (bake 3m) → 50% (bake 20m) → 100%, evaluations every 30 s,
promotion only on an "ok" measured since the step. The error-rate trigger is
the canary's 5xx rate over its request rate, ``value > 0.05``, ``for: 10m``.
The demo-target runs 4,000 synthetic requests a second (``--rps 4000``, ~6% of
a core) so that at 50% the 5 s window holds ~10,000 canary requests: a 6% error
rate then measures 0.060 ± 0.002, clear of the 5% line (at 200 requests a
second about one evaluation in five reads ≤ 5%: it restarts the persistence
window, and after the bake an "ok" would promote). Nothing is measured before
the first step is done (the canary serves nothing yet: 0/0 would be NaN, which
golive reads as "could not measure", never a pass); right after a step,
Prometheus may not have scraped the canary's first requests yet, and
``max_errors: 5`` lets those first seconds pass without pausing the rollout.

Each scenario has its own demo-target (``--rps 4000 --seed N``), its own
release and SQLite event store. One Prometheus per module (per xdist worker)
scrapes a pool of ports reserved up front, one per scenario, and each query
selects its scenario's ``instance``: a Prometheus takes ~6 s to hand its first
targets to its scrapers, which one per scenario would pay five times.

Actuators are webhooks to the target's admin API; what the target applied is
read back from ``GET /admin/calls`` (the ledger's lines). Outcomes are asserted
from the release's event log. Waits are bounded polls, never fixed sleeps
(except the spike itself, which lasts 30 virtual seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from golive.clock import ScaledClock, SystemClock
from golive.config import Config
from golive.release.service import ReleaseService
from golive.rollout.controller import Controller, RolloutState
from golive.rollout.spec import RolloutGuard
from golive.store.events import Event, EventStore
from tests.conftest import ROOT
from tests.services import ScrapingPrometheus, require, start_prometheus_for

SPEED = 60  # one virtual minute per real second
LAUNCH = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)  # the real clock runs these tests
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+) ")
ERROR_RATE = (
    'sum(rate(http_requests_total{{instance="{instance}",version="canary",status=~"5.."}}[5s]))'
    ' / sum(rate(http_requests_total{{instance="{instance}",version="canary"}}[5s]))'
)
BAKES = (timedelta(minutes=3), timedelta(minutes=20))  # at 10% and at 50% (3 s and 20 s real)
SCENARIOS = 5
FOR = timedelta(minutes=10)


# -- the stand-in service -------------------------------------------------------------------


@dataclass
class DemoTarget:
    process: subprocess.Popen[str]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def scrape_target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def error_rate(self) -> str:
        """The canary's error rate, this target's series only (PromQL)."""
        return ERROR_RATE.format(instance=self.scrape_target)

    def call(self, method: str, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            exc.close()
            raise AssertionError(f"{method} {path}: HTTP {exc.code} {detail}") from None

    def calls(self, path: str) -> list[dict[str, Any]]:
        """The admin calls to ``path`` the target applied (not replays), oldest first."""
        return [
            c
            for c in self.call("GET", "/admin/calls")["calls"]
            if c["path"] == path and c["status"] == 200 and not c["replayed"]
        ]

    def weights(self) -> list[float]:
        return [c["body"]["weight"] for c in self.calls("/admin/weight")]


def reserve_ports(count: int) -> list[int]:
    """Ports free now and below the ephemeral range, so that no outgoing
    connection takes one before its demo-target listens on it."""
    low = 32768
    with contextlib.suppress(OSError, ValueError, IndexError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.Random()
    ports: list[int] = []
    while len(ports) < count:
        port = rng.randrange(max(1024, low - 12000), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port not in ports:
            ports.append(port)
    return ports


@dataclass
class Scraping:
    """The module's Prometheus and the ports it scrapes that no scenario took yet."""

    prometheus: ScrapingPrometheus
    ports: list[int]


@pytest.fixture(scope="module")
def scraping() -> Iterator[Scraping]:
    require("prometheus")
    ports = reserve_ports(SCENARIOS)
    prometheus = start_prometheus_for([f"127.0.0.1:{port}" for port in ports], wait_up=False)
    try:
        yield Scraping(prometheus, ports)
    finally:
        prometheus.close()


@pytest.fixture
def demo(request: pytest.FixtureRequest, scraping: Scraping) -> Iterator[DemoTarget]:
    if not scraping.ports:
        pytest.fail(f"more scenarios than the {SCENARIOS} ports reserved: raise SCENARIOS")
    port = scraping.ports.pop()
    seed = 1000 + sum(map(ord, request.node.name)) % 1000
    args = ["--port", str(port), "--rps", "4000", "--seed", str(seed)]
    process = subprocess.Popen(
        [sys.executable, "-m", "golive", "demo-target", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline() if ready else ""
    if LISTENING.search(line) is None:
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"demo-target did not start on port {port}: {line!r} {err}")
    target = DemoTarget(process, port)
    try:
        scraping.prometheus.start()  # running again if an outage scenario failed half-way
        # scraped at least once: the rollout starts with the target's series in Prometheus
        scraping.prometheus.wait_for(f'up{{instance="{target.scrape_target}"}}', lambda v: v == 1)
        yield target
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=5)


@pytest.fixture
def prometheus(scraping: Scraping, demo: DemoTarget) -> ScrapingPrometheus:
    return scraping.prometheus


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    events = EventStore.open(str(tmp_path / "golive.db"))
    yield events
    events.close()


def new_release(store: EventStore, tmp_path: Path) -> str:
    runbook = tmp_path / "runbook.md"
    runbook.write_text("# Go-live\n\n## T-0: Launch\n\n- [ ] Roll out\n", encoding="utf-8")
    service = ReleaseService(store, Config(), clock=SystemClock())
    return service.start(
        runbook, service="shop", version="2.0.0", env="prod", launch=LAUNCH, tz="UTC", actor="rm"
    )


def guard(
    demo: DemoTarget, prometheus: ScrapingPrometheus, *, soak: str = "0s", **trigger: Any
) -> RolloutGuard:
    return RolloutGuard.model_validate(
        {
            "prometheus_url": prometheus.url,
            "interval": "30s",
            "soak": soak,
            "components": [
                {
                    "name": "web",
                    "steps": [
                        {"weight": 10, "bake": f"{BAKES[0].total_seconds():g}s"},
                        {"weight": 50, "bake": f"{BAKES[1].total_seconds():g}s"},
                        {"weight": 100},
                    ],
                    "set_weight": {
                        "kind": "webhook",
                        "url": f"{demo.base}/admin/weight",
                        "json": {"weight": "{weight}"},
                        "timeout": "5s",
                    },
                    "rollback": {
                        "kind": "webhook",
                        "url": f"{demo.base}/admin/rollback",
                        "json": {"reason": "golive"},
                        "timeout": "5s",
                    },
                }
            ],
            "triggers": [
                {
                    "name": "error-rate",
                    "text": "Error rate > 5% for > 10 minutes",
                    "query": demo.error_rate,
                    "breach": "value > 0.05",
                    "for": "10m",
                    "max_errors": 5,
                    **trigger,
                }
            ],
        }
    )


# -- the controller, in a thread of its own ---------------------------------------------------


class Running:
    """``Controller.run`` in a background thread (its own event loop), so the test
    can act on the world (faults, an outage) while the rollout goes on."""

    started: ClassVar[list[Running]] = []  # stopped after each test, even a failed one

    def __init__(self, controller: Controller, until: Callable[[RolloutState], bool] | None = None) -> None:
        self.controller = controller
        self._stop = threading.Event()
        self._until = until
        self.state: RolloutState | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="golive-controller", daemon=True)
        self.thread.start()
        Running.started.append(self)

    def _run(self) -> None:
        def until(state: RolloutState) -> bool:
            return self._stop.is_set() or (self._until is not None and self._until(state))

        try:
            self.state = asyncio.run(self.controller.run(until=until))
        except BaseException as exc:  # re-raised in the test's thread by join()
            self.error = exc

    def join(self, timeout: float) -> RolloutState:
        self.thread.join(timeout)
        if self.thread.is_alive():
            self._stop.set()
            self.thread.join(10)
            pytest.fail(f"the rollout did not end within {timeout:g}s: {self.controller.state().outcome}")
        print_timeline(self.controller)
        if self.error is not None:
            raise self.error
        assert self.state is not None
        return self.state

    def stop(self) -> RolloutState:
        self._stop.set()
        return self.join(10)


@pytest.fixture(autouse=True)
def _no_controller_outlives_its_test() -> Iterator[None]:
    yield
    while Running.started:
        running = Running.started.pop()
        running._stop.set()
        running.thread.join(10)


def print_timeline(controller: Controller) -> None:
    """The rollout's events (shown by pytest when a scenario fails), in virtual
    minutes since the rollout started."""
    events = [e for e in controller.store.events(controller.release_id) if e.type.startswith("rollout.")]
    for e in events:
        shown = {k: v for k, v in e.data.items() if k not in ("guard", "detail", "summary", "results")}
        print(f"{(e.at - events[0].at).total_seconds() / 60:7.2f}m  {e.type}  {shown}")


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def of_type(events: list[Event], kind: str) -> list[Event]:
    return [e for e in events if e.type == kind]


def step_done(events: list[Event], index: int) -> Event | None:
    return next((e for e in of_type(events, "rollout.step.done") if e.data["index"] == index), None)


def evaluations(events: list[Event], outcome: str | None = None) -> list[Event]:
    """The Prometheus trigger's evaluations (not the built-in health guard's, which the
    demo target answers, healthy, beside them)."""
    found = [e for e in of_type(events, "rollout.evaluated") if e.data["trigger"] != "health"]
    return [e for e in found if outcome is None or e.data["outcome"] == outcome]


def longest_breach(events: list[Event]) -> timedelta:
    """The longest unbroken run of breach evaluations, first to last (virtual time)."""
    longest = timedelta(0)
    start: datetime | None = None
    for e in evaluations(events):
        if e.data["outcome"] == "breach":
            start = start or e.at
            longest = max(longest, e.at - start)
        else:
            start = None
    return longest


def held_when_fired(events: list[Event], fired: Event) -> timedelta:
    """How long the breach had held when the trigger fired: from the start of the
    run of breaches it names ("breached since ...") to the firing, every
    evaluation in between a breach."""
    match = re.search(r"breached since (\S+) \(", fired.data["detail"])
    assert match is not None, fired.data["detail"]
    since = datetime.fromisoformat(match.group(1))
    between = [e for e in evaluations(events) if since <= e.at <= fired.at]
    assert between and all(e.data["outcome"] == "breach" for e in between), between
    return fired.at - since


def start_rollout(
    store: EventStore,
    tmp_path: Path,
    demo: DemoTarget,
    prometheus: ScrapingPrometheus,
    *,
    soak: str = "0s",
    **trigger: Any,
) -> tuple[str, Controller]:
    rid = new_release(store, tmp_path)
    controller = Controller(
        store, rid, clock=ScaledClock(SPEED), values={"version": "2.0.0", "service": "shop", "env": "prod"}
    )
    controller.start(guard(demo, prometheus, soak=soak, **trigger))
    return rid, controller


# -- the scenarios --------------------------------------------------------------------------------


def test_a_healthy_canary_completes_10_50_100(
    store: EventStore, tmp_path: Path, demo: DemoTarget, prometheus: ScrapingPrometheus
) -> None:
    rid, controller = start_rollout(store, tmp_path, demo, prometheus)
    state = Running(controller).join(90)
    events = store.events(rid)
    assert state.outcome == "completed", [e.data for e in events[-5:]]
    assert demo.weights() == [10, 50, 100]
    assert [c["idempotency_key"] for c in demo.calls("/admin/weight")] == [
        f"{rid}:web:step-{i}" for i in range(3)
    ]
    assert demo.calls("/admin/rollback") == []
    done = of_type(events, "rollout.step.done")
    assert done[1].at - done[0].at >= BAKES[0] and done[2].at - done[1].at >= BAKES[1]
    assert evaluations(events, "breach") == [] and of_type(events, "rollout.trigger.fired") == []
    measured = evaluations(events, "ok")
    assert len(measured) >= 20 and all(e.data["value"] == 0 for e in measured)
    # promoted on measurements: an ok evaluation after each step before the next one
    for before, after in itertools.pairwise(done):
        assert any(before.at <= e.at <= after.at for e in measured)
    assert store.verify(rid).ok


def test_6_percent_errors_from_50_percent_roll_back_automatically(
    store: EventStore, tmp_path: Path, demo: DemoTarget, prometheus: ScrapingPrometheus
) -> None:
    demo.call("POST", "/admin/faults", {"kind": "error_rate", "value": 0.06, "at_weight": 50})
    rid, controller = start_rollout(store, tmp_path, demo, prometheus)
    state = Running(controller).join(90)
    events = store.events(rid)
    assert state.outcome == "rolled_back", [e.data for e in events[-5:]]
    assert demo.weights() == [10, 50]  # never 100
    rollbacks = demo.calls("/admin/rollback")
    assert len(rollbacks) == 1 and rollbacks[0]["idempotency_key"] == f"{rid}:web:rollback"
    assert demo.call("GET", "/admin/state")["rolled_back"] is True

    at_50 = step_done(events, 1)
    assert at_50 is not None
    breaches = evaluations(events, "breach")
    assert breaches and all(e.at > at_50.at for e in breaches)  # only the 50% step breached
    assert all(0.05 < e.data["value"] < 0.08 for e in breaches)  # ~6%, measured by Prometheus
    (fired,) = of_type(events, "rollout.trigger.fired")
    assert fired.data["reaction"] == "rollback" and fired.data["shadow"] is False
    # fired at the first evaluation at which 10 minutes of breaches had held
    assert FOR <= held_when_fired(events, fired) < FOR + timedelta(minutes=1)
    (intent,) = of_type(events, "rollout.rollback.intent")
    (done,) = of_type(events, "rollout.rollback.done")
    assert fired.seq < intent.seq < done.seq and done.data["results"]["web"]["ok"] is True
    assert store.begin_rollback(rid, "someone", {"reason": "again"}) is None  # the database refuses a second
    assert store.verify(rid).ok


def test_a_30_second_spike_under_for_10m_does_not_roll_back(
    store: EventStore, tmp_path: Path, demo: DemoTarget, prometheus: ScrapingPrometheus
) -> None:
    rid, controller = start_rollout(store, tmp_path, demo, prometheus)
    running = Running(controller)

    def settled_at_50() -> bool:
        """Measured ok at 50% once the 5 s query window holds 50% traffic only."""
        events = store.events(rid)
        at_50 = step_done(events, 1)
        if at_50 is None:
            return False
        settled = at_50.at + timedelta(minutes=6)
        return any(e.at > settled for e in evaluations(events, "ok"))

    wait_until(settled_at_50, 30, "an ok evaluation 6 minutes into the 50% step")
    fault = demo.call("POST", "/admin/faults", {"kind": "error_rate", "value": 1.0})["id"]
    time.sleep(30 / SPEED)  # the spike: every canary request fails for 30 virtual seconds
    demo.call("DELETE", f"/admin/faults/{fault}")
    state = running.join(90)
    events = store.events(rid)
    assert state.outcome == "completed", [e.data for e in events[-5:]]
    assert demo.weights() == [10, 50, 100] and demo.calls("/admin/rollback") == []
    assert evaluations(events, "breach"), "Prometheus never saw the spike"
    assert of_type(events, "rollout.trigger.fired") == []
    assert longest_breach(events) < FOR  # the window restarted when the spike ended
    assert store.verify(rid).ok


def test_prometheus_stopped_mid_rollout_pauses_and_alerts_never_promotes(
    store: EventStore, tmp_path: Path, demo: DemoTarget, prometheus: ScrapingPrometheus
) -> None:
    rid, controller = start_rollout(store, tmp_path, demo, prometheus)
    running = Running(controller)

    def measured_at_10() -> bool:
        events = store.events(rid)
        at_10 = step_done(events, 0)
        return at_10 is not None and any(e.at > at_10.at for e in evaluations(events, "ok"))

    wait_until(measured_at_10, 30, "the 10% step and an ok evaluation")
    outage = time.time()
    prometheus.stop()
    wait_until(lambda: controller.state().paused is not None, 30, "the rollout to pause")
    state = controller.state()
    assert "cannot measure error-rate" in (state.paused or ""), state.paused
    events = store.events(rid)
    alerts = of_type(events, "rollout.alert")
    assert alerts and alerts[0].data["key"] == "errors:error-rate"
    # the 10% bake ends during the outage: keep the controller running well past it
    at_10 = step_done(events, 0)
    assert at_10 is not None
    bake_over = at_10.at + BAKES[0] + timedelta(minutes=2)
    wait_until(lambda: controller.clock.now() > bake_over, 30, "the 10% bake to end")
    running.stop()
    assert demo.weights() == [10]
    applied_after = [
        c
        for c in demo.calls("/admin/weight")
        if datetime.fromisoformat(c["time"].replace("Z", "+00:00")).timestamp() > outage
    ]
    assert applied_after == []  # the weight never increased after the outage began
    assert not any(e.data["outcome"] == "ok" for e in evaluations(store.events(rid)) if e.seq > alerts[0].seq)

    # Prometheus comes back; a person resumes; the rollout promotes on fresh measurements
    prometheus.start()
    prometheus.wait_for(demo.error_rate, lambda v: v == 0, timeout=20)
    controller.resume("Prometheus is back")
    resumed_at = time.time()
    state = Running(controller, until=lambda s: s.components["web"].index >= 1).join(30)
    assert state.outcome == "running" and demo.weights() == [10, 50]
    (to_50,) = demo.calls("/admin/weight")[1:]
    assert datetime.fromisoformat(to_50["time"].replace("Z", "+00:00")).timestamp() >= resumed_at
    assert store.verify(rid).ok


def test_a_shadow_trigger_records_the_rollback_it_would_have_done(
    store: EventStore, tmp_path: Path, demo: DemoTarget, prometheus: ScrapingPrometheus
) -> None:
    demo.call("POST", "/admin/faults", {"kind": "error_rate", "value": 0.06, "at_weight": 50})
    # a soak after 100% (the fault goes on there): should the 10 minutes of breaches
    # not fit in the 50% bake, the shadow trigger still has the time to fire
    rid, controller = start_rollout(store, tmp_path, demo, prometheus, soak="5m", shadow=True)
    state = Running(controller).join(90)
    events = store.events(rid)
    assert state.outcome == "completed", [e.data for e in events[-5:]]
    assert demo.weights() == [10, 50, 100]
    assert demo.calls("/admin/rollback") == []
    (fired,) = of_type(events, "rollout.trigger.fired")
    assert fired.data == {
        "trigger": "error-rate",
        "reaction": "rollback",
        "shadow": True,
        "detail": fired.data["detail"],
    }
    assert "breached since" in fired.data["detail"]
    assert of_type(events, "rollout.rollback.intent") == []
    (completed,) = of_type(events, "rollout.completed")
    at_100 = step_done(events, 2)
    assert at_100 is not None and completed.at - at_100.at >= timedelta(minutes=5)
    assert fired.seq < completed.seq
    assert FOR <= held_when_fired(events, fired) < FOR + timedelta(minutes=1)
    assert store.verify(rid).ok
