"""Answers that many people ask for at once, made once.

A war room puts the same release on fifty screens: fifty status requests that
arrive together would fold the same log fifty times. :class:`ViewCache` keeps
the last few answers per key, where the key holds the release's head (its last
seq) and the second of the clock: an answer is never older than the log it was
made from, nor more than a second behind the clock. Concurrent requests for a
key that is being made wait for it instead of making it again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["ViewCache"]


class ViewCache:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._guard:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            lock = self._making.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._values:
                    return self._values[key]
            value = make()
            with self._guard:
                self._values[key] = value
                self._making.pop(key, None)
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
            return value
