"""Answers that many people ask for at once, made once.

A war room puts the same release on fifty screens: fifty status requests that
arrive together would fold the same log fifty times. :class:`ViewCache` keeps
the last few answers per key, where the key holds the release's head (its last
seq) and, for an answer that depends on the clock, the second (or period) of
the clock. Concurrent requests for a key that is being made wait for it instead
of making it again.

An answer is never older than the log it was made from: a new head is a new
key, and everyone waits for it. A ``family`` (the key without its second) lets
the clock's ticks not stall everyone: while one request makes the answer for
the new second, the others get the family's last answer, at the same head and
one tick old, instead of queueing behind the one that makes it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["MISSING", "ViewCache"]

MISSING: Any = object()
"""What :meth:`ViewCache.peek` returns when it has no answer."""


class ViewCache:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._latest: OrderedDict[Hashable, Any] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any], *, family: Hashable | None = None) -> Any:
        """``key``'s answer, made by ``make()`` once. With ``family``: while another
        request is making ``key``, the family's last answer (one made under another
        key of the family) is returned at once, if there is one."""
        with self._guard:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            if family is not None and key in self._making and family in self._latest:
                return self._latest[family]
            lock = self._making.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._values:
                    return self._values[key]
            try:
                value = make()
            except BaseException:
                with self._guard:
                    self._making.pop(key, None)
                raise
            with self._guard:
                self._making.pop(key, None)
                self._values[key] = value
                self._trim(self._values)
                if family is not None:
                    self._latest[family] = value
                    self._latest.move_to_end(family)
                    self._trim(self._latest)
            return value

    def peek(self, key: Hashable, *, family: Hashable | None = None) -> Any:
        """What :meth:`get` would return at once, without making anything: ``key``'s
        answer, or (with ``family``, while ``key`` is being made) the family's last
        answer; else :data:`MISSING`. A server's event loop answers from here, and goes
        to a worker thread only to make an answer."""
        with self._guard:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            if family is not None and key in self._making and family in self._latest:
                return self._latest[family]
        return MISSING

    def _trim(self, values: OrderedDict[Hashable, Any]) -> None:
        while len(values) > self.size:
            values.popitem(last=False)
