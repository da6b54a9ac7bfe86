"""The post-deployment report, from real releases: a release service on a real
SQLite store, a rollout controller on a manual clock against the demo target (the
stand-in service, run in-process on 127.0.0.1) with real webhook actuators and a
real JSON metric source. Completed and rolled-back rollouts, a release without a
rollout, secrets in events, the runbook written back, and the CLI."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from golive.clock import ManualClock
from golive.config import Config
from golive.release.service import ReleaseService
from golive.report import ReportFiles, build_report, write_report
from golive.report.chart import chart_marks
from golive.rollout.controller import Controller, RolloutState
from golive.rollout.spec import RolloutGuard
from golive.runbook.loader import load_runbook
from golive.store.events import Event, EventStore
from golive.timeparse import parse_launch
from tests.conftest import run_golive

LAUNCH = parse_launch("2026-12-01 09:00 Europe/London")  # a Tuesday, GMT

RUNBOOK = """\
# Checkout go-live

## T-1 Day: Prepare
**Owner**: DevOps Lead

- [ ] Backup production database
- [ ] Notify the team

## Release Gates

- [ ] Health endpoint answers CHECK
- [ ] Load test passed

## T-0: Launch

1. **Deploy**
   ```bash
   ./deploy.sh {version}
   ```

- [ ] Roll out to production

## Rollback Criteria

- Error rate > 5% for > 10 minutes

## Rollback Procedure

1. Set the canary weight to 0
2. Verify the health endpoint answers

## Success Metrics

- Uptime: >99.9%
- Error rate: <0.1%

## Sign-Off

| Role | Name | Signature |
|------|------|-----------|
| QA Lead | | |
"""

ERROR_TEXT = "Error rate > 5% for > 10 minutes"
LATENCY_TEXT = "Response times > 1 second for 5 minutes"


# -- the stand-in service ------------------------------------------------------------------


@contextmanager
def demo_target(*faults: str) -> Iterator[str]:
    """golive's demo target, in-process on a free port, with faults set at start."""
    from aiohttp import web

    from golive.demo_target import DemoConfig, FaultSpec, make_app

    loop = asyncio.new_event_loop()
    config = DemoConfig(rps=0, seed=7, faults=tuple(FaultSpec.parse(f) for f in faults))
    runner = web.AppRunner(make_app(config), access_log=None, handle_signals=False)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def admin(base: str, method: str, path: str, body: object = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


# -- a release, from start to GO -----------------------------------------------------------


@dataclass
class World:
    store: EventStore
    svc: ReleaseService
    clock: ManualClock
    rid: str
    base: str
    tmp: Path

    def events(self, type_: str | None = None) -> list[Event]:
        return [e for e in self.store.events(self.rid) if type_ is None or e.type == type_]


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while OPEN_STORES:
        OPEN_STORES.pop().close()


OPEN_STORES: list[EventStore] = []


def open_store(path: Path) -> EventStore:
    store = EventStore.open(str(path))
    OPEN_STORES.append(store)
    return store


def start_release(tmp: Path, base: str, *, overlay: Path | None = None) -> World:
    store = open_store(tmp / "golive.db")
    clock = ManualClock(LAUNCH - timedelta(hours=20))
    svc = ReleaseService(store, Config(people={"approver": ["alice"]}), clock=clock)
    runbook = tmp / "runbook.md"
    check = '<!-- golive: {checks: [{kind: http, url: "BASE/api/health", expect: ["status == 200"]}]} -->'
    runbook.write_text(RUNBOOK.replace("CHECK", check).replace("BASE", base), encoding="utf-8")
    rid = svc.start(
        runbook,
        service="checkout",
        version="2.0.0",
        env="production",
        launch=LAUNCH,
        tz="Europe/London",
        actor="rm",
        overlay=overlay,
    )
    svc.assign(rid, "QA Lead", "quinn", actor="rm")
    svc.assign(rid, "DevOps Lead", "dana", actor="rm")
    return World(store, svc, clock, rid, base, tmp)


def item_id(world: World, text: str) -> str:
    _release, state = world.svc.load(world.rid)
    return next(i.id for i in state.runbook.all_items() if i.text == text)


def prepare_and_decide(world: World) -> None:
    """Items done, the health gate failing (503) then passing, a sign-off, a GO."""
    svc, clock, rid = world.svc, world.clock, world.rid
    svc.item_action(
        rid, item_id(world, "Backup production database"), "done", actor="dana", reason="backup_1130.sql"
    )
    fault = admin(
        world.base, "POST", "/admin/faults", {"kind": "health", "value": "down", "version": "stable"}
    )
    clock.advance(timedelta(hours=1))
    _state, results = svc.run_checks(rid, actor="ci")
    assert [r.summary for r in results] == ["status (503) == 200"]
    admin(world.base, "DELETE", f"/admin/faults/{fault['id']}")
    clock.advance(timedelta(hours=1))
    _state, results = svc.run_checks(rid, actor="ci")
    assert [r.summary for r in results] == ["status (200) == 200"]
    svc.item_action(rid, item_id(world, "Load test passed"), "done", actor="dana")
    svc.signoff(rid, "QA Lead", actor="quinn", note="regression suite green")
    clock.current = LAUNCH - timedelta(minutes=10)
    assert svc.decide(rid, actor="alice", record=True).go


def guard(base: str) -> RolloutGuard:
    return RolloutGuard.model_validate(
        {
            "interval": "1m",
            "soak": "10m",
            "hypercare": "30m",
            "components": [
                {
                    "name": "web",
                    "steps": [{"weight": 10, "bake": "20m"}, {"weight": 50, "bake": "20m"}, {"weight": 100}],
                    "set_weight": {
                        "kind": "webhook",
                        "url": f"{base}/admin/weight",
                        "json": {"weight": "{weight}"},
                        "headers": {"Authorization": "Bearer sk_live_actuatorsecret123456"},
                    },
                    "rollback": {"kind": "webhook", "url": f"{base}/admin/rollback"},
                }
            ],
            "triggers": [
                {
                    "name": "error-rate",
                    "text": ERROR_TEXT,
                    "source": "http_json",
                    "url": f"{base}/admin/state",
                    "path": "versions.canary.faults.error_rate",
                    "breach": "value > 0.05",
                    "for": "10m",
                },
                {
                    "name": "latency",
                    "text": LATENCY_TEXT,
                    "source": "http_json",
                    "url": f"{base}/admin/state",
                    "path": "versions.canary.faults.latency_ms",
                    "breach": "value > 1000",
                    "for": "5m",
                    "shadow": True,
                },
            ],
        }
    )


def roll_out(world: World, *, minutes: int = 200) -> RolloutState:
    """Start the rollout at T-0 and reconcile once a minute until it ends (hypercare included)."""
    world.clock.current = LAUNCH
    controller = Controller(world.store, world.rid, clock=world.clock, values={"version": "2.0.0"})
    controller.start(guard(world.base))

    async def loop() -> RolloutState:
        state = controller.state()
        for _ in range(minutes):
            state = await controller.tick()
            if not state.active and not controller.in_hypercare(state):
                return state
            world.clock.advance(timedelta(minutes=1))
        return state

    return asyncio.run(loop())


def t_minutes(at: datetime) -> str:
    return f"T+{int((at - LAUNCH).total_seconds() // 60)}m"


def read(files: ReportFiles) -> tuple[str, str, str]:
    return (
        files.markdown.read_text(encoding="utf-8"),
        files.html.read_text(encoding="utf-8"),
        files.runbook.read_text(encoding="utf-8"),
    )


def assert_real_png(path: Path) -> None:
    from matplotlib.image import imread

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(path)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 600
    assert pixels.std() > 0.05  # drawn, not blank


def assert_self_contained(html: str) -> None:
    assert 'src="http' not in html and "src='http" not in html
    assert "<script" not in html and "<link" not in html and "@import" not in html and "url(" not in html
    assert html.lstrip().startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")


def assert_runbook_written_back(world: World, files: ReportFiles, markdown: str) -> None:
    """The write-back imports again with the release's item ids and shows who and what."""
    _release, state = world.svc.load(world.rid)
    again = load_runbook(files.runbook)
    assert [i.id for i in again.all_items()] == [i.id for i in state.runbook.all_items()]
    backup = next(i for i in again.all_items() if i.text == "Backup production database")
    assert backup.checked is True  # the done task is ticked
    assert any("done" in n.text and "dana" in n.text for n in backup.notes)
    health = next(i for i in again.all_items() if i.text == "Health endpoint answers")
    record = " ".join(n.text for n in health.notes)
    assert "status (200) == 200" in record and "status (503) == 200" in record and "ci" in record
    assert "- [x] Backup production database" in markdown


def timeline_texts(world: World) -> list[str]:
    return [e.text for e in build_report(world.store, world.rid).timeline]


def position(texts: list[str], start: str) -> int:
    return next(i for i, text in enumerate(texts) if text.startswith(start))


# -- the tests -------------------------------------------------------------------------------


def test_a_completed_rollout(tmp_path: Path) -> None:
    with demo_target("latency_ms=2000@50") as base:
        world = start_release(tmp_path, base)
        prepare_and_decide(world)
        state = roll_out(world)
        assert state.outcome == "completed"
        report = build_report(world.store, world.rid)
        files = write_report(world.store, world.rid, tmp_path / "out")

    # seed 003's template fields, from the log
    assert report.field("Version").value == "2.0.0 of checkout to production"
    assert report.field("Status").value == "Success"
    started = world.events("rollout.started")[0].at
    completed = world.events("rollout.completed")[0].at
    assert report.field("Deployment date/time").value == "2026-12-01 09:00:00 GMT (T+0s)"
    assert report.field("Duration").value == "50m" and completed - started == timedelta(minutes=50)
    assert "golive" in report.field("Deployed by").value
    assert "GO recorded by alice" in report.field("Deployed by").note
    assert report.field("Uptime").value == "not measured" and not report.field("Uptime").measured
    error_rate = report.field("Error rate")
    assert error_rate.measured and error_rate.value.startswith("max 0 (0%), last 0 (0%)")
    assert ERROR_TEXT in error_rate.note
    impact = report.field("User impact")
    assert not impact.measured and "served up to web 100% of traffic" in impact.note
    assert not report.field("Lessons learned").measured
    targets = {t.text: t.measured for t in report.targets}
    assert not targets["Uptime: >99.9%"].measured
    assert targets["Error rate: <0.1%"].measured  # the error-rate trigger measured it

    # each trigger's evaluations, in the runbook's own words; the shadow one "would have"
    rollout = report.rollout
    assert rollout is not None and rollout.outcome == "completed" and rollout.rollback is None
    triggers = {t.name: t for t in rollout.triggers}
    error, latency = triggers["error-rate"], triggers["latency"]
    assert error.text == ERROR_TEXT and error.verdict == "never breached"
    evaluated = [e for e in world.events("rollout.evaluated") if e.data["trigger"] == "error-rate"]
    assert error.total == len(evaluated) and error.counts["ok"] == len(evaluated)
    fired = world.events("rollout.trigger.fired")
    assert len(fired) == 1 and fired[0].data["shadow"] is True
    shadow = f"would have rolled back at {t_minutes(fired[0].at)}"
    assert latency.shadow and latency.verdict.startswith(shadow)
    first_breach = next(e for e in world.events("rollout.evaluated") if e.data["outcome"] == "breach")
    assert latency.first_breach is not None and latency.first_breach.at == first_breach.at
    assert latency.fired is not None and latency.fired.at - first_breach.at == timedelta(minutes=5)
    assert (latency.min_value, latency.max_value) == (0.0, 2000.0)
    assert [(s.weight, s.ok) for s in rollout.steps] == [(10, True), (50, True), (100, True)]
    assert rollout.hypercare_until is not None and "ended" in rollout.hypercare

    markdown, html, runbook = read(files)
    assert "# Deployment Report - 2026-12-01" in markdown
    assert "- Status: Success" in markdown and "- Uptime: *not measured*" in markdown
    assert ERROR_TEXT in markdown and shadow in markdown
    assert "Error rate &gt; 5% for &gt; 10 minutes" in html and shadow in html
    assert "status (503) == 200" in html  # a gate with its evidence
    assert "sk_live_actuatorsecret123456" not in markdown + html + runbook  # actuators are never shown

    # the timeline: events in log order, each phase of the rollout where it happened
    entries = report.timeline
    seqs = [e.seq for e in entries if e.seq is not None]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    times = [e.when.at for e in entries if e.tone != "planned"]
    assert times == sorted(times)
    texts = [e.text for e in entries]
    order = [
        "release started",
        "check failed",
        "check passed",
        "sign-off as QA Lead",
        "decision recorded: GO",
        "rollout started",
        "web at 10%",
        "web at 50%",
        "first breach of latency",
        "shadow: " + LATENCY_TEXT,
        "web at 100%",
        "rollout completed",
        "hypercare began",
        "alert: latency: hypercare",
        "hypercare ended",
    ]
    assert [position(texts, start) for start in order] == sorted(position(texts, start) for start in order)
    assert any(e.tone == "planned" and "T-0: Launch" in e.text for e in entries)

    assert files.chart is not None
    assert_real_png(files.chart)
    assert [m.label for m in chart_marks(rollout)] == [
        "web 10%",
        "web 50%",
        "latency would have fired",
        "web 100%",
        "completed",
    ]
    assert_self_contained(html)
    assert "data:image/png;base64," in html
    assert_runbook_written_back(world, files, runbook)
    assert report.runbook_origin == "source" and report.runbook_reimports


def test_a_rolled_back_rollout(tmp_path: Path) -> None:
    with demo_target("error_rate=0.06@50") as base:
        world = start_release(tmp_path, base)
        prepare_and_decide(world)
        state = roll_out(world)
        assert state.outcome == "rolled_back"
        calls = admin(base, "GET", "/admin/calls")["calls"]
    assert [c["path"] for c in calls if c["path"] == "/admin/rollback"] == ["/admin/rollback"]
    # the runbook's rollback procedure, as the controller records it when it runs it
    verify = item_id(world, "Verify the health endpoint answers")
    head = {"index": 0, "text": "Verify the health endpoint answers", "line": 30, "item": verify}
    done = {**head, "ok": True, "summary": "status (200) == 200"}
    for kind, data in (("rollout.rollback.step.intent", head), ("rollout.rollback.step.done", done)):
        world.store.append(world.rid, kind, "golive-controller", data, at=world.clock.now())
    report = build_report(world.store, world.rid)
    files = write_report(world.store, world.rid, tmp_path / "out")

    assert report.field("Status").value == "Failed"
    assert "rolled back automatically" in report.field("Status").note
    rollout = report.rollout
    assert rollout is not None and rollout.outcome == "rolled_back"
    assert rollout.max_weight == {"web": 50}  # never 100
    rollback = rollout.rollback
    assert rollback is not None and rollback.automatic and rollback.ok
    assert rollback.trigger == "error-rate" and rollback.trigger_text == ERROR_TEXT
    assert rollback.results == [("web", True, "status (200) >= 200 && status (200) < 300")]
    assert [(s.index, s.item, s.line, s.ok) for s in rollback.steps] == [(0, verify, 30, True)]
    error = next(t for t in rollout.triggers if t.name == "error-rate")
    fired = next(e for e in world.events("rollout.trigger.fired") if not e.data["shadow"])
    assert error.fired is not None and error.fired.at == fired.at
    assert error.verdict == f"fired at {t_minutes(fired.at)}: rolled back"
    assert error.breach_began is not None and error.fired.at - error.breach_began.at == timedelta(minutes=10)
    assert error.max_value == 0.06 and error.percent
    assert report.field("Error rate").value.startswith("max 0.06 (6%)")
    assert f"from {error.breach_began.t} to {error.fired.t} at web 50%" in report.field("User impact").note
    issue = next(i for i in report.issues if "trigger error-rate" in i.title)
    assert issue.title.startswith(ERROR_TEXT) and issue.resolved
    assert issue.resolution.startswith(f"rolled back automatically at {error.fired.t}; rollback succeeded")

    markdown, html, runbook = read(files)
    rollbacks = markdown.split("## Rollbacks", 1)[1].split("## Lessons Learned", 1)[0]
    assert f"automatic, trigger “{ERROR_TEXT}”" in rollbacks
    assert "web: ok" in rollbacks
    assert "procedure step 1 (runbook line 30): Verify the health endpoint answers: ok" in rollbacks
    assert "- Status: Failed" in markdown

    texts = [e.text for e in report.timeline]
    order = [
        "web at 50%",
        "first breach of error-rate",
        "trigger fired: " + ERROR_TEXT,
        "rollback started",
        "rollback done: web ok",
        "rollback procedure step 1 (line 30) ok: Verify the health endpoint answers",
    ]
    assert [position(texts, start) for start in order] == sorted(position(texts, start) for start in order)
    assert not any(t.startswith("web at 100%") for t in texts)

    marks = chart_marks(rollout)
    assert [m.label for m in marks][-2:] == ["error-rate fired", "rollback"]
    assert marks[-1].at == rollback.intent.at == fired.at
    assert files.chart is not None
    assert_real_png(files.chart)
    assert_self_contained(html)
    assert "Automatic" in html and "Verify the health endpoint answers" in html
    assert_runbook_written_back(world, files, runbook)
    step = next(i for i in load_runbook(files.runbook).all_items() if i.id == verify)
    assert "rollback procedure step 1" in step.notes[0].text and "status (200) == 200" in step.notes[0].text


def test_a_release_without_a_rollout_says_what_is_not_measured(tmp_path: Path) -> None:
    with demo_target() as base:
        world = start_release(tmp_path, base)
        svc, rid = world.svc, world.rid
        svc.item_action(rid, item_id(world, "Backup production database"), "done", actor="dana")
        svc.item_action(
            rid, item_id(world, "Notify the team"), "fail", actor="dana", reason="the mailing list bounced"
        )
        svc.comment(rid, "lesson: warm the caches before T-0", actor="tara")
        svc.comment(rid, "action: add a cache-warming step to the runbook", actor="tara")
        report = build_report(world.store, rid)
        out = tmp_path / "reports" / "nested"
        files = write_report(world.store, rid, out)

    assert report.rollout is None and files.chart is None
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [files.markdown.name, files.html.name, files.runbook.name]
    )
    for name in ("Deployment date/time", "Duration", "Status", "Uptime", "Error rate", "User impact"):
        field = report.field(name)
        assert field.value == "not measured" and not field.measured, name
    assert report.field("Status").note == "no rollout in the log; no decision"
    assert report.field("Version").value == "2.0.0 of checkout to production"
    assert report.field("Lessons learned").value == "warm the caches before T-0"
    assert report.action_items[0] == "add a cache-warming step to the runbook"
    assert "follow up: item failed: “Notify the team”" in report.action_items
    failed = next(i for i in report.issues if i.title == "item failed: “Notify the team”")
    assert failed.impact == "the mailing list bounced" and not failed.resolved
    assert report.decision is None

    markdown, html, _runbook = read(files)
    assert "- Status: *not measured* (no rollout in the log; no decision)" in markdown
    assert "- Uptime: *not measured*" in markdown and "None: no rollout in the log." in markdown
    assert "- Decision: *not recorded*" in markdown
    assert "## Rollout" not in markdown and "<h2>Rollout</h2>" not in html
    # the six fields, and the runbook's two targets (uptime, error rate)
    assert html.count('class="unmeasured">not measured<') == 6 + 2
    assert_self_contained(html)
    assert "data:image/png" not in html
    again = load_runbook(files.runbook)
    _release, state = world.svc.load(rid)
    assert [i.id for i in again.all_items()] == [i.id for i in state.runbook.all_items()]
    notify = next(i for i in again.all_items() if i.text == "Notify the team")
    assert not notify.checked and "failed" in notify.notes[0].text and "bounced" in notify.notes[0].text


def test_secrets_and_markup_in_events_never_reach_the_report(tmp_path: Path) -> None:
    secrets = [
        "Bearer abcdefghijklmnop123456",
        "hunter2-very-secret",
        "ghp_" + "a" * 36,
        "AKIAIOSFODNN7EXAMPLE",
        "s3cr3t-db-pass",
        "sk_live_51Habcdefghijkl",
    ]
    with demo_target() as base:
        world = start_release(tmp_path, base)
        svc, rid, store = world.svc, world.rid, world.store
        backup = item_id(world, "Backup production database")
        svc.item_action(rid, backup, "done", actor="dana", reason="key AKIAIOSFODNN7EXAMPLE used")
        svc.comment(rid, "token=" + "ghp_" + "a" * 36 + " for the deploy bot", actor="dana", item_id=backup)
        store.append(
            rid,
            "check.recorded",
            "ci",
            {
                "item": item_id(world, "Health endpoint answers"),
                "name": "GET https://admin:s3cr3t-db-pass@shop.example.com/api/health",
                "kind": "http",
                "status": "failed",
                "summary": "status (401) == 200; Authorization: Bearer abcdefghijklmnop123456",
                "observed": {"headers": {"x-api-key": "sk_live_51Habcdefghijkl"}},
                "evidence": "password=hunter2-very-secret",
                "duration_ms": 3.0,
            },
            at=world.clock.now(),
        )
        svc.attach(rid, backup, actor="dana", url="https://backups.example.com/x?api_key=hunter2-very-secret")
        markup = (
            '<script>alert(1)</script> <img src="http://evil.example/x.png"> ![i](http://evil.example/y.png)'
        )
        svc.comment(rid, markup, actor="mallory")
        files = write_report(store, rid, tmp_path / "out")
    written = files.markdown.read_bytes() + files.html.read_bytes() + files.runbook.read_bytes()
    for secret in secrets:
        assert secret.encode() not in written, secret
    text = written.decode()
    assert "[REDACTED]" in text  # shown, masked: not silently dropped
    assert "status (401) == 200" in text and "Authorization: [REDACTED]" in text
    assert "shop.example.com" in text
    # text from the log is text: never markup in the HTML, never an image or HTML in the Markdown
    html = files.html.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_self_contained(html)
    markdown = files.markdown.read_text(encoding="utf-8")
    assert "\\<script>alert(1)\\</script> \\<img" in markdown and "!\\[i\\](http" in markdown


def test_runbook_ids_from_an_overlay_are_written_back_through_the_export(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "golive_overlay: 1\nitems:\n  - match: {text: Backup production database}\n    id: db-backup\n",
        encoding="utf-8",
    )
    with demo_target() as base:
        world = start_release(tmp_path, base, overlay=overlay)
        world.svc.item_action(world.rid, "db-backup", "done", actor="dana")
        report = build_report(world.store, world.rid)
        files = write_report(world.store, world.rid, tmp_path / "out")
    # the team's own Markdown does not carry the overlay's id: the stored model is written out
    assert report.runbook_origin == "export" and report.runbook_reimports
    again = load_runbook(files.runbook)
    _release, state = world.svc.load(world.rid)
    assert [i.id for i in again.all_items()] == [i.id for i in state.runbook.all_items()]
    backup = next(i for i in again.all_items() if i.id == "db-backup")
    assert backup.checked and "dana" in backup.notes[0].text


def test_the_report_command(tmp_path: Path) -> None:
    with demo_target("error_rate=0.06@50") as base:
        world = start_release(tmp_path, base)
        prepare_and_decide(world)
        roll_out(world)
    db = str(tmp_path / "golive.db")
    out = tmp_path / "report"
    result = run_golive("report", world.rid, "--out", str(out), "--db", db)
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert [p.name for p in paths] == [
        f"{world.rid}-report.md",
        f"{world.rid}-report.html",
        f"{world.rid}-runbook.md",
        f"{world.rid}-rollout.png",
    ]
    assert all(p.is_file() and p.parent == out for p in paths)
    assert "- Status: Failed" in paths[0].read_text(encoding="utf-8")

    def one_line_error(*args: str) -> str:
        failed = run_golive(*args)
        assert failed.returncode == 2 and failed.stdout == ""
        lines = failed.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("golive: error: ") and "Traceback" not in failed.stderr
        return lines[0]

    assert "no release 'nope'" in one_line_error("report", "nope", "--out", str(out), "--db", db)
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    message = one_line_error("report", world.rid, "--out", str(blocker / "sub"), "--db", db)
    assert "cannot write the report" in message
    assert "is a file" in one_line_error("report", world.rid, "--out", str(blocker), "--db", db)


@pytest.mark.parametrize("key", ["003", "004"])
def test_a_seed_runbook_is_written_back_in_its_own_words(tmp_path: Path, key: str) -> None:
    from tests.conftest import seed_path

    store = open_store(tmp_path / "golive.db")
    clock = ManualClock(LAUNCH - timedelta(days=1))
    svc = ReleaseService(store, Config(), clock=clock)
    rid = svc.start(
        seed_path(key), service="shop", version="1.0.0", env="prod", launch=LAUNCH, tz="UTC", actor="rm"
    )
    _release, state = svc.load(rid)
    tasks = [i for i in state.runbook.all_items() if i.kind == "task" and i.gate is None][:25]
    for item in tasks:
        svc.item_action(rid, item.id, "done", actor="dana", reason=f"line {item.line}")
    report = build_report(store, rid)
    assert report.runbook_origin == "source" and report.runbook_reimports
    files = write_report(store, rid, tmp_path / "out")
    again = load_runbook(files.runbook)
    assert [i.id for i in again.all_items()] == [i.id for i in state.runbook.all_items()]
    source_lines = seed_path(key).read_text(encoding="utf-8").splitlines()
    written = files.runbook.read_text(encoding="utf-8")
    # every line of the team's document is still there (ticked boxes aside)
    assert all(line.replace("[ ]", "[x]") in written or line in written for line in source_lines)
    done = [i for i in again.all_items() if any("by dana" in n.text for n in i.notes)]
    assert len(done) == len(tasks) > 0
