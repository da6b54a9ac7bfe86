"""The command-line contract other tools rely on, run as real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_golive, scan_lines, seed_path


def _one_line_error(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {stderr!r}"
    assert "Traceback" not in stderr
    assert lines[0].startswith("golive: error: ")
    return lines[0]


def test_show_json_contract() -> None:
    path = seed_path("004")
    result = run_golive("show", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    items: list[dict[str, object]] = []
    blocks: list[dict[str, object]] = []

    def walk_items(entries: list[dict[str, object]]) -> None:
        for entry in entries:
            items.append(entry)
            blocks.extend(entry["code_blocks"])  # type: ignore[arg-type]
            walk_items(entry["items"])  # type: ignore[arg-type]

    def walk(sections: list[dict[str, object]]) -> None:
        for section in sections:
            blocks.extend(section["code_blocks"])  # type: ignore[arg-type]
            walk_items(section["items"])  # type: ignore[arg-type]
            walk(section["sections"])  # type: ignore[arg-type]

    walk(data["sections"])
    assert all(isinstance(i["text"], str) and isinstance(i["line"], int) for i in items)
    assert all(isinstance(b["code"], str) and isinstance(b["line"], int) for b in blocks)
    task_lines, fence_lines = scan_lines(path)
    assert sorted(int(i["line"]) for i in items if i["kind"] == "task") == task_lines  # type: ignore[call-overload]
    assert sorted(int(b["line"]) for b in blocks) == fence_lines  # type: ignore[call-overload]
    assert data["title"] == "BookedBarber V2 Production Go-Live Procedures"


def test_show_tree_is_readable() -> None:
    result = run_golive("show", str(seed_path("002")))
    assert result.returncode == 0, result.stderr
    assert "Backup production database" in result.stdout
    assert "Rollback criteria" in result.stdout and "error_rate > 5%" in result.stdout


def test_lint_json_contract_and_exit_code() -> None:
    result = run_golive("lint", str(seed_path("002")), "--json")
    assert result.returncode == 1  # placeholders in the contact table are errors
    findings = json.loads(result.stdout)
    assert findings and all({"line", "rule", "severity", "message"} <= set(f) for f in findings)
    assert {
        (f["line"], f["severity"])
        for f in findings
        if f["rule"] == "placeholder" and "[Name]" in f["message"]
    } == {
        (222, "error"),
        (223, "error"),
        (224, "error"),
        (225, "error"),
        (226, "error"),
    }


def test_lint_clean_runbook_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "ok.md"
    path.write_text(
        "# Checkout go-live\n\n## T-1 Week: Prepare\n\n**Owner**: Release Manager\n\n"
        "- [ ] Backup production database\n- [ ] Deploy the release\n",
        encoding="utf-8",
    )
    result = run_golive("lint", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", "does-not-exist.md"], "does-not-exist.md: file not found"),
        (["lint", "does-not-exist.md"], "does-not-exist.md: file not found"),
        (["show", "--no-such-option", "x.md"], "No such option '--no-such-option'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (
            ["lint", "golive/data/seeds/002_7cbc8d121bf5dabd.txt", "--launch", "next friday"],
            "--launch: expected a time",
        ),
        (
            [
                "lint",
                "golive/data/seeds/002_7cbc8d121bf5dabd.txt",
                "--launch",
                "2026-12-04 09:00 Mars/Olympus",
            ],
            "unknown time zone",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], expected: str) -> None:
    result = run_golive(*args)
    assert result.returncode == 2
    assert expected in _one_line_error(result.stderr)
    assert result.stdout == ""


def test_directory_binary_and_bad_annotation(tmp_path: Path) -> None:
    result = run_golive("show", str(tmp_path))
    assert result.returncode == 2 and "is a directory" in _one_line_error(result.stderr)
    binary = tmp_path / "image.md"
    binary.write_bytes(b"# Title\n\x00\x01\x02")
    result = run_golive("show", str(binary))
    assert result.returncode == 2 and f"{binary}:2: binary data" in _one_line_error(result.stderr)
    bad = tmp_path / "bad.md"
    bad.write_text("# T\n\n- [ ] Backup <!-- golive: {gate: [unclosed -->\n", encoding="utf-8")
    result = run_golive("show", str(bad))
    assert result.returncode == 2
    assert "bad.md:3: golive annotation is not a YAML mapping" in _one_line_error(result.stderr)
    unknown = tmp_path / "unknown.md"
    unknown.write_text("# T\n\n- [ ] Backup <!-- golive: {gaet: true} -->\n", encoding="utf-8")
    result = run_golive("show", str(unknown))
    assert result.returncode == 2 and "unknown.md:3: unknown golive annotation field 'gaet'" in result.stderr


def test_bad_overlay_writes_nothing(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("items:\n  - match: {text: No such item anywhere}\n    gate: true\n", encoding="utf-8")
    out = tmp_path / "out.md"
    result = run_golive("export", str(seed_path("002")), "--overlay", str(overlay), "-o", str(out))
    assert result.returncode == 2
    assert f"{overlay}:2: item matching text 'No such item anywhere' not found" in _one_line_error(
        result.stderr
    )
    assert not out.exists()


def test_export_formats_round_trip(tmp_path: Path) -> None:
    md = tmp_path / "out.md"
    assert run_golive("export", str(seed_path("003")), "-o", str(md)).returncode == 0
    original = json.loads(run_golive("show", str(seed_path("003")), "--json").stdout)
    again = json.loads(run_golive("show", str(md), "--json").stdout)
    assert [s["title"] for s in again["sections"]] == [s["title"] for s in original["sections"]]
    yaml_out = tmp_path / "out.yaml"
    assert (
        run_golive("export", str(seed_path("003")), "--format", "yaml", "-o", str(yaml_out)).returncode == 0
    )
    from_yaml = json.loads(run_golive("show", str(yaml_out), "--json").stdout)
    assert from_yaml["title"] == original["title"]
    assert len(from_yaml["rollback_criteria"]) == len(original["rollback_criteria"])


def test_overlay_attaches_checks_and_gates(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "golive_overlay: 1\n"
        "items:\n"
        "  - match: {text: Backup production database}\n"
        "    id: db-backup\n"
        "    gate: true\n"
        "    checks: [{kind: file, path: /var/backups/db.sql, max_age: 2h}]\n"
        "  - match: {contains: basic health check passing}\n"
        "    checks: [{kind: http, url: 'http://127.0.0.1:8000/api/v1/health'}]\n"
        "sections:\n"
        "  - match: {title: 'Phase 2: Deployment (15-30 minutes)'}\n"
        "    owner: Deployment Lead\n",
        encoding="utf-8",
    )
    result = run_golive("show", str(seed_path("002")), "--overlay", str(overlay), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    found: dict[str, dict[str, object]] = {}

    def walk(sections: list[dict[str, object]]) -> None:
        for section in sections:
            stack = list(section["items"])  # type: ignore[call-overload]
            while stack:
                item = stack.pop()
                found[item["id"]] = item
                stack.extend(item["items"])
            walk(section["sections"])  # type: ignore[arg-type]

    walk(data["sections"])
    backup = found["db-backup"]
    assert backup["line"] == 95 and backup["gate"] == {"kind": "hard", "rule": "annotation"}
    assert backup["checks"] == [{"kind": "file", "path": "/var/backups/db.sql", "max_age": "2h"}]
    health = next(i for i in found.values() if i["text"] == "Basic health check passing")
    assert health["checks"][0]["kind"] == "http"  # type: ignore[index]
    assert all(i["owner"] == "Deployment Lead" for i in found.values() if 104 <= i["line"] <= 136)  # type: ignore[operator]


def test_cli_reference_is_current() -> None:
    from golive.cli.reference import render_reference

    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is stale: run python scripts/gen_cli_docs.py"
    )


def test_check_reference_is_current() -> None:
    from golive.checks.reference import render_check_reference

    assert (ROOT / "docs" / "checks.md").read_text(encoding="utf-8") == render_check_reference(), (
        "docs/checks.md is stale: run python scripts/gen_cli_docs.py"
    )


def test_help_and_version() -> None:
    result = run_golive("--help")
    assert result.returncode == 0 and "show" in result.stdout and "lint" in result.stdout
    result = run_golive("--version")
    assert result.returncode == 0 and "golive" in result.stdout
