"""Opening one fresh database from many threads and processes at once: every
opener gets a migrated store, the migrations run once, nothing fails half-way.

Before the fix, two threads raced in Alembic's process-global ``context``
(``KeyError: 'config'``) and two processes both tried to create the tables.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from golive.store.db import current_revision, make_engine
from golive.store.events import EventStore
from golive.store.migrations import HEAD
from tests.conftest import ROOT

OPENERS = 6


def _open_in_threads(url: str) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(OPENERS)

    def open_one() -> None:
        try:
            barrier.wait()
            store = EventStore.open(url)
            store.list_releases()
            store.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_threads_open_a_fresh_database_at_once(db_url: str) -> None:
    errors = _open_in_threads(db_url)
    assert errors == []
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_processes_open_a_fresh_database_at_once(db_url: str) -> None:
    code = (
        "import sys\n"
        "from golive.store.events import EventStore\n"
        "s = EventStore.open(sys.argv[1]); s.list_releases(); s.close(); print('ok')\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, db_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(OPENERS)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    failures = [
        err for (out, err), p in zip(outputs, processes, strict=True) if p.returncode or "ok" not in out
    ]
    assert failures == []
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()
