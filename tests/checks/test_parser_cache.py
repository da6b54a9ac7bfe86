"""The CEL parser's grammar analysis is cached in golive's private cache
directory, and a cache directory others can write to is never used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PROBE = (
    "from golive.checks.conditions import _environment\n"
    "from celpy.celparser import CELParser\n"
    "env = _environment()\n"
    "assert env.program(env.compile('status == 200')).evaluate({'status': 200}) is not None\n"
    "print('ok')\n"
)


def _probe(cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_the_parser_is_cached_privately_and_reused(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    assert first.returncode == 0 and first.stdout.strip() == "ok", first.stderr
    [cached] = list((tmp_path / "golive").glob("cel-parser-*.lark"))
    assert (tmp_path / "golive").stat().st_mode & 0o777 == 0o700
    stamp = cached.stat().st_mtime_ns
    second = _probe(tmp_path)
    assert second.returncode == 0 and second.stdout.strip() == "ok", second.stderr
    assert cached.stat().st_mtime_ns == stamp  # read, not rebuilt


def test_a_cache_directory_others_can_write_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "golive"
    shared.mkdir()
    shared.chmod(0o777)
    result = _probe(tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
    assert list(shared.iterdir()) == []
