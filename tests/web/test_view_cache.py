"""golive.web.cache.ViewCache with real threads: an answer is made once per key;
while a new second's answer is being made, the others get the last one of its
family at once; a new head (no family) waits; a failed make poisons nothing."""

from __future__ import annotations

import threading
import time

import pytest

from golive.web.cache import ViewCache


def _blocked_maker(
    cache: ViewCache, key: tuple[object, ...], family: tuple[object, ...]
) -> tuple[threading.Thread, threading.Event, threading.Event, list[object]]:
    """A thread making ``key`` that stays in ``make()`` until released."""
    entered, release, out = threading.Event(), threading.Event(), []

    def make() -> str:
        entered.set()
        assert release.wait(10)
        return f"made {key}"

    thread = threading.Thread(target=lambda: out.append(cache.get(key, make, family=family)))
    thread.start()
    assert entered.wait(10)
    return thread, release, entered, out


def test_a_key_is_made_once_and_shared() -> None:
    cache = ViewCache()
    calls: list[int] = []

    def make() -> int:
        calls.append(1)
        time.sleep(0.05)  # long enough for the others to arrive while it is made
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", make))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [42] * 8 and len(calls) == 1


def test_the_next_second_is_made_by_one_while_the_others_get_the_last_answer() -> None:
    cache = ViewCache()
    family = ("status", "r1", 7)
    assert cache.get((*family, 100), lambda: "second 100", family=family) == "second 100"
    maker, release, _, out = _blocked_maker(cache, (*family, 101), family)
    try:
        # someone else is making second 101: the family's last answer, without waiting
        started = time.monotonic()
        assert cache.get((*family, 101), lambda: pytest.fail("made twice"), family=family) == "second 100"
        assert time.monotonic() - started < 5
    finally:
        release.set()
        maker.join(10)
    assert out == [f"made {(*family, 101)}"]
    assert cache.get((*family, 101), lambda: pytest.fail("made twice"), family=family) == out[0]


def test_a_new_head_waits_for_its_own_answer() -> None:
    cache = ViewCache()
    cache.get(("status", "r1", 7, 100), lambda: "head 7", family=("status", "r1", 7))
    family = ("status", "r1", 8)  # a new event: a new family, with no answer yet
    maker, release, _, out = _blocked_maker(cache, (*family, 100), family)
    got: list[object] = []
    waiter = threading.Thread(
        target=lambda: got.append(cache.get((*family, 100), lambda: "again", family=family))
    )
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and not got  # never head 7's answer
    release.set()
    maker.join(10)
    waiter.join(10)
    assert got == out == [f"made {(*family, 100)}"]


def test_a_failed_make_is_not_kept() -> None:
    cache = ViewCache()

    def broken() -> str:
        raise RuntimeError("the store is gone")

    with pytest.raises(RuntimeError):
        cache.get("k", broken, family="f")
    assert cache.get("k", lambda: "fine", family="f") == "fine"


def test_it_keeps_at_most_size_answers() -> None:
    cache = ViewCache(size=3)
    for n in range(5):
        cache.get(n, lambda n=n: n)
    made: list[int] = []
    assert cache.get(0, lambda: made.append(0) or -1) == -1 and made == [0]  # evicted, made again
    assert cache.get(4, lambda: pytest.fail("kept")) == 4
