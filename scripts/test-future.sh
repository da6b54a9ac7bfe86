#!/usr/bin/env bash
# Runs the time-sensitive tests again with every Python process's wall clock a
# year ahead (tests/future/sitecustomize.py), so that no test depends on the
# date it runs on. `make test` runs it after the whole suite.
#
#   scripts/test-future.sh [DAYS]     (default 365)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
export GOLIVE_TEST_TIME_SHIFT_DAYS="${1:-365}"
export PYTHONPATH="$PWD/tests/future${PYTHONPATH:+:$PYTHONPATH}"

# the override must really be in force, in this process and in its subprocesses:
# a file written now has a real mtime; the shifted clock is DAYS ahead of it
"$BIN/python" - <<'PY'
import os, subprocess, sys, tempfile, time
days = float(os.environ["GOLIVE_TEST_TIME_SHIFT_DAYS"])
with tempfile.NamedTemporaryFile() as probe:
    real = os.stat(probe.name).st_mtime
    child = float(subprocess.run([sys.executable, "-c", "import time; print(time.time())"],
                                 capture_output=True, text=True, check=True).stdout)
for who, now in (("pytest", time.time()), ("a subprocess", child)):
    ahead = (now - real) / 86400
    if abs(ahead - days) > 0.01:
        sys.exit(f"test-future: the clock of {who} is {ahead:.3f} days ahead, not {days:g}")
print(f"test-future: every Python process's clock is {days:g} days ahead")
PY

# the files whose tests read a clock or hold dates (launch times, GO age, due
# and overdue items, rehearsals, reports, the store's times); the Prometheus
# scenarios are left out: Prometheus itself keeps the real time
exec "$BIN/pytest" -n "${GOLIVE_TEST_WORKERS:-auto}" -q -p no:cacheprovider -W ignore::pytest.PytestAssertRewriteWarning \
    tests/test_clock.py \
    tests/test_release_cli.py \
    tests/test_rollout_cli.py \
    tests/test_release_timeline.py \
    tests/test_report.py \
    tests/test_rehearse.py \
    tests/test_rollout_controller.py \
    tests/test_rollout_procedure.py \
    tests/test_rollout_plan.py \
    tests/test_runbook_units.py \
    tests/test_triggers.py \
    tests/test_cli.py \
    tests/store/test_store_contract.py
