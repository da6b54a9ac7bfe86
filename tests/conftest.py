"""Shared fixtures: the five seed runbooks and an independent line oracle."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["tests.services", "tests.rollout_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "golive" / "data" / "seeds"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"
SEED_NAMES = {
    "000": "000_dfab5528d52e8a62.txt",
    "001": "001_daf35118ffd5643c.txt",
    "002": "002_7cbc8d121bf5dabd.txt",
    "003": "003_43c3171c594e7828.txt",
    "004": "004_0770cc43126af0bc.txt",
}


def seed_path(key: str) -> Path:
    path = SEEDS / SEED_NAMES[key]
    assert path.is_file(), f"bundled seed runbook missing: {path}"
    return path


@pytest.fixture(scope="session")
def seeds() -> dict[str, Path]:
    return {key: seed_path(key) for key in SEED_NAMES}


_FENCE = re.compile(r"^( {0,3}|\s*)(`{3,}|~{3,})")
_TASK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\](?:\s|$)")


def scan_lines(path: Path) -> tuple[list[int], list[int]]:
    """Lines of task-list entries and of opening code fences, found by scanning
    the raw text line by line (an oracle independent of markdown-it)."""
    tasks: list[int] = []
    fences: list[int] = []
    open_fence: str | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _FENCE.match(line)
        if open_fence is not None:
            closing = match is not None and match.group(2)[0] == open_fence[0]
            if (
                closing
                and match is not None
                and len(match.group(2)) >= len(open_fence)
                and line.strip() == match.group(2)
            ):
                open_fence = None
            continue
        if match:
            open_fence = match.group(2)
            fences.append(number)
            continue
        if _TASK.match(line):
            tasks.append(number)
    return tasks, fences


def run_golive(
    *args: str, cwd: Path | None = None, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "golive", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        input=input_text,
        timeout=120,
        check=False,
    )
