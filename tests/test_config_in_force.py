"""What was in force is in the log: the people, quorum and policy a release decides
with are recorded at its start and changed only by a recorded ``release reconfigure``
(approver role). Editing golive.toml after a GO changes nothing the release shows
until then; a reconfiguration that changes people or quorum makes the GO stale."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import date, time, timedelta
from pathlib import Path

from golive.config import Config, Freeze, Policy, config_changes, config_from_record, config_record
from tests.test_release_cli import golive as release_cli

NOW = "2031-03-04 10:00 UTC"  # every command of the scenario on one clock

RUNBOOK = """\
# Checkout go-live

## Release Gates

- [ ] Load test passed

## T-0: Launch

- [ ] Roll out

## Sign-Off

| Role | Name | Signature |
|------|------|-----------|
| QA Lead | | |
"""

BEFORE = """\
actor = "someone-at-a-desk"

[people]
approver = ["ana"]
"QA Lead" = ["quinn", "quentin"]
"""

AFTER = """\
actor = "someone-at-a-desk"

[people]
approver = ["bob"]
"QA Lead" = ["quinn", "quentin"]

[policy]
go_max_age = "2h"

[signoff]
quorum = { "QA Lead" = 2 }
"""


def golive(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return release_cli(tmp, *args, now=NOW, GOLIVE_CONFIG=str(tmp / "golive.toml"))


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def status(tmp: Path, rid: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(ok(golive(tmp, "status", rid, "--json")))
    return data


def test_a_changed_golive_toml_takes_effect_only_through_a_recorded_reconfigure(tmp_path: Path) -> None:
    config = tmp_path / "golive.toml"
    config.write_text(BEFORE, encoding="utf-8")
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    started = golive(
        tmp_path, "release", "start", str(runbook), "--service", "checkout", "--version", "2.0",
        "--env", "production", "--launch", "2031-03-05 09:00 UTC", "--as", "rm",
    )  # fmt: skip
    rid = ok(started).strip()
    shown = json.loads(ok(golive(tmp_path, "show", str(runbook), "--json")))
    gate = shown["sections"][0]["sections"][0]["items"][0]["id"]
    ok(golive(tmp_path, "release", "item", "done", rid, gate, "--as", "rm"))
    ok(golive(tmp_path, "release", "signoff", rid, "--role", "QA Lead", "--as", "quinn"))
    ok(golive(tmp_path, "decide", rid, "--record", "--go", "--as", "ana"))  # ana: approver by golive.toml

    # golive.toml changes after the GO: bob replaces ana, QA Lead needs two, a GO lasts 2 hours
    config.write_text(AFTER, encoding="utf-8")
    now = status(tmp_path, rid)
    assert now["decision"] == {"decision": "GO", "reasons": [], "recorded": "current"}
    recorded = now["config"]
    assert isinstance(recorded, dict)
    assert recorded["people"]["approver"] == ["ana"] and recorded["quorum"] == {}
    assert "someone-at-a-desk" not in json.dumps(recorded)  # the acting user is not configuration
    ok(golive(tmp_path, "decide", rid))  # still GO: exit 0
    text = ok(golive(tmp_path, "status", rid))
    assert "approver = ana" in text and "quorum: the runbook's own" in text
    report_dir = tmp_path / "report"
    ok(golive(tmp_path, "report", rid, "--out", str(report_dir)))
    markdown = next(report_dir.glob("*-report.md")).read_text(encoding="utf-8")
    assert "- QA Lead: 1 of 1 (quinn)" in markdown  # the quorum in force, from the log
    assert "approver = ana" in markdown

    # only an approver in force may reconfigure: bob is one only in the new file
    refused = golive(tmp_path, "release", "reconfigure", rid, "--as", "bob")
    assert refused.returncode == 2 and "needs the approver role; bob does not hold it" in refused.stderr
    applied = json.loads(ok(golive(tmp_path, "release", "reconfigure", rid, "--as", "ana", "--json")))
    assert applied["applied"] and applied["affects_go"]
    assert "quorum QA Lead: 1 → 2" in applied["changes"]
    assert "people approver: +bob -ana" in applied["changes"]
    assert any(c.startswith("policy go_max_age: 86400 → 7200") for c in applied["changes"])

    after = status(tmp_path, rid)
    decision = after["decision"]
    assert isinstance(decision, dict)
    assert decision["recorded"] == "stale: the release was reconfigured (people or quorum) after the GO"
    assert decision["decision"] == "NO-GO" and "sign-off missing: QA Lead (1 of 2)" in decision["reasons"]
    again = ok(golive(tmp_path, "release", "reconfigure", rid, "--as", "bob"))
    assert "nothing recorded" in again  # bob is the approver in force now; nothing changed
    ok(golive(tmp_path, "report", rid, "--out", str(tmp_path / "report2")))
    markdown = next((tmp_path / "report2").glob("*-report.md")).read_text(encoding="utf-8")
    assert "- QA Lead: 1 of 2 (quinn) — missing" in markdown
    assert "reconfigured at" in markdown and "by ana: people approver: +bob -ana" in markdown
    with sqlite3.connect(tmp_path / "golive.db") as conn:
        types = [t for (t,) in conn.execute("select type from events order by seq")]
        dumped = " ".join(d for (d,) in conn.execute("select data from events"))
    assert types.count("release.reconfigured") == 1
    assert "someone-at-a-desk" not in dumped
    ok(golive(tmp_path, "audit", "verify", rid))


def test_a_policy_only_change_is_recorded_but_leaves_the_go_current(tmp_path: Path) -> None:
    config = tmp_path / "golive.toml"
    config.write_text(BEFORE, encoding="utf-8")
    runbook = tmp_path / "runbook.md"
    runbook.write_text("# Go-live\n\n## T-0: Launch\n\n- [ ] Roll out\n", encoding="utf-8")
    started = golive(
        tmp_path, "release", "start", str(runbook), "--service", "web", "--version", "1",
        "--env", "prod", "--launch", "2031-03-05 09:00 UTC", "--as", "rm",
    )  # fmt: skip
    rid = ok(started).strip()
    ok(golive(tmp_path, "decide", rid, "--record", "--go", "--as", "ana"))
    config.write_text(
        BEFORE + '\n[policy]\nfreezes = [{start = "2031-03-05", end = "2031-03-06"}]\n', "utf-8"
    )
    applied = json.loads(ok(golive(tmp_path, "release", "reconfigure", rid, "--as", "ana", "--json")))
    assert applied["applied"] and not applied["affects_go"]
    decision = status(tmp_path, rid)["decision"]
    assert isinstance(decision, dict)
    assert decision["recorded"] == "current"  # people and quorum unchanged
    assert decision["decision"] == "NO-GO"  # but the launch now falls in a recorded freeze
    assert any("inside a freeze" in r for r in decision["reasons"])


def test_the_recorded_configuration_round_trips_and_says_what_changed() -> None:
    config = Config(
        actor="alice",
        people={"approver": ["ana"], "QA Lead": ["quinn"]},
        quorum={"QA Lead": 2},
        policy=Policy(
            no_friday=True,
            deploy_window=(time(6, 0), time(10, 0)),
            freezes=[Freeze(start=date(2031, 12, 20), end=date(2032, 1, 4), reason="holidays")],
            go_max_age=timedelta(hours=3),
        ),
    )
    record = config_record(config)
    assert "actor" not in record
    back = config_from_record(record)
    assert (back.people, back.quorum) == (config.people, config.quorum)
    assert back.policy == config.policy and back.actor is None
    assert config_record(back) == {**record, "source": None}
    assert config_changes(record, record) == []
    assert config_from_record(None) == Config()  # recorded before golive kept it: defaults, not today's file
    changed = config_record(Config(people={"approver": ["ana", "bob"]}))
    before = config_record(Config(people={"approver": ["ana"]}))
    assert ("people", "approver: +bob") in config_changes(before, changed)
