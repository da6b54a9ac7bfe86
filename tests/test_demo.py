"""The README's first command runs ``golive demo``: two whole releases of seed
002 against the stand-in, with a real Prometheus (Debian's package; required
under CI=true) feeding the triggers. The healthy one must complete, the faulty
one must roll back by itself, and both reports must be written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.services import require


def test_the_demo_runs_both_releases_to_the_end(tmp_path: Path) -> None:
    require("prometheus")
    out = tmp_path / "demo"
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "golive", "demo", "--out", str(out), "--prometheus"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    assert "a private Prometheus scraping the stand-in" in result.stdout
    assert result.stdout.count("as expected: ") == 2
    assert "as expected: completed (expected completed)" in result.stdout
    assert "as expected: rolled_back (expected rolled_back)" in result.stdout
    assert "trigger  Error rate > 5% of total requests" in result.stdout
    healthy = next((out / "healthy").glob("*-report.md")).read_text(encoding="utf-8")
    faulty = next((out / "faulty").glob("*-report.md")).read_text(encoding="utf-8")
    assert "Status: Success" in healthy and "10% → 50% → 100%" in healthy
    assert "Status: Failed" in faulty and "rolled back automatically" in faulty
    assert "Error rate > 5% of total requests" in faulty
    assert "procedure step 1 (runbook line 213)" in faulty  # the runbook's rollback procedure ran
    for folder in ("healthy", "faulty"):
        html = next((out / folder).glob("*-report.html")).read_text(encoding="utf-8")
        assert "data:image/png;base64," in html and 'src="http' not in html
        assert next((out / folder).glob("*-rollout.png")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for path in result.stdout.split():
        if path.endswith((".md", ".html", ".png")):
            assert Path(path).is_file(), path


def test_the_demo_refuses_a_non_empty_output_directory(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "keep.txt").write_text("mine", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "golive", "demo", "--out", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--out" in lines[0] and "not empty" in lines[0], result.stderr
    assert (tmp_path / "demo" / "keep.txt").read_text(encoding="utf-8") == "mine"
