"""``golive audit`` through the real CLI: verify of the issue-10 attack (a gate's text
edited in the stored runbook), ``audit head``, bad ``--head`` anchors, and read
commands given a ``--db`` that does not exist (exit 2, one line, no file)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.test_release_cli import RUNBOOK, golive, start_release


def test_a_gate_edited_in_the_stored_runbook_fails_the_audit(tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    rid = start_release(tmp_path, runbook).stdout.strip()
    intact = golive(tmp_path, "audit", "verify", rid)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert (
        f"{rid}: 1 events, chain intact (recorded plain SHA-256); every stored fact matches" in intact.stdout
    )
    assert "not protected against a writer who can recompute hashes" in intact.stdout
    with sqlite3.connect(tmp_path / "golive.db") as conn:
        (snapshot,) = conn.execute("select snapshot from releases where id = ?", (rid,)).fetchone()
        conn.execute(
            "update snapshots set model = replace(model, 'Load test passed', 'Load test waived') "
            "where hash = ?",
            (snapshot,),
        )
    broken = golive(tmp_path, "audit", "verify", rid)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"  snapshots {snapshot[:6]}…: the model does not match its content hash (edited)" in broken.stdout
    assert broken.stderr == ""
    # and no command decides on the edited runbook: status and decide refuse it, in one line
    for command in (("status", rid), ("decide", rid)):
        refused = golive(tmp_path, *command)
        lines = [ln for ln in refused.stderr.splitlines() if ln.strip()]
        assert refused.returncode == 1 and len(lines) == 1, refused.stdout + refused.stderr
        assert f"runbook snapshot {snapshot[:12]} does not match its hash" in lines[0]
        assert "Load test waived" not in refused.stdout


def test_audit_head_prints_an_anchor_verify_accepts(tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    rid = start_release(tmp_path, runbook).stdout.strip()
    golive(tmp_path, "release", "assign", rid, "QA Lead", "bob", "--as", "rm")
    head = golive(tmp_path, "audit", "head", rid)
    anchor, mode = head.stdout.strip().split(" ", 1)
    assert (head.returncode, mode) == (0, "plain SHA-256")
    as_json = json.loads(golive(tmp_path, "audit", "head", rid, "--json").stdout)
    assert as_json == {
        "release": rid,
        "seq": 2,
        "hash": anchor.split(":")[1],
        "mode": "plain",
        "anchor": anchor,
    }
    ok = golive(tmp_path, "audit", "verify", rid, "--head", anchor)
    assert ok.returncode == 0 and f"matches the anchor 2:{as_json['hash'][:12]}" in ok.stdout, ok.stdout
    older = golive(tmp_path, "audit", "verify", rid, "--head", f"1:{as_json['hash']}")
    assert older.returncode == 1 and "events seq 1" in older.stdout, older.stdout


@pytest.mark.parametrize("anchor", ["7", "7:abc", "x:" + "0" * 64, "7:" + "g" * 64, ""])
def test_a_malformed_anchor_is_bad_input_naming_head(tmp_path: Path, anchor: str) -> None:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    rid = start_release(tmp_path, runbook).stdout.strip()
    result = golive(tmp_path, "audit", "verify", rid, "--head", anchor)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("golive: error: --head: not an anchor"), lines


@pytest.mark.parametrize(
    "command",
    [("status", "r-1"), ("report", "r-1"), ("audit", "verify", "r-1"), ("audit", "head", "r-1")],
    ids=lambda c: " ".join(c[:-1]),
)
def test_read_commands_refuse_a_database_that_does_not_exist(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "typo.db"
    extra = ("--out", str(tmp_path / "out")) if command[0] == "report" else ()
    result = golive(tmp_path, *command, *extra, "--db", str(missing))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"golive: error: --db: no database at {missing} (nothing to read)"], lines
    assert result.stdout == ""
    assert not missing.exists() and not (tmp_path / "typo.db-wal").exists()
    assert not (tmp_path / "golive.db").exists()  # and it did not fall back to the default either
