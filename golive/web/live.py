"""Live event streams, fanned out: one look at the log per release, not one per screen.

A war room has fifty screens on one release, each holding a Server-Sent Events
stream. If every stream looked at the log for itself, the database would answer
fifty identical queries every poll interval, and fifty times again for each new
event. Here each release with listeners has one :class:`Feed`: one task looks at
the release's head every ``poll`` seconds and wakes the streams when it moves;
the events after a seq are read and encoded once for every stream at that seq
(the :class:`~golive.web.cache.ViewCache`, keyed by the head), so fifty screens
that saw the same event get the next one from one query.

The log stays the only source: a feed holds no event of its own, only the last
head it saw, and a stream always sends what the log holds after its seq.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from golive.store.events import EventStore
from golive.web.cache import ViewCache
from golive.web.idempotency import jsonable

__all__ = ["KEEP_ALIVE", "Feeds"]

_log = logging.getLogger(__name__)

KEEP_ALIVE = 15.0
"""Seconds of silence after which a stream sends a comment (proxies drop idle streams)."""


class Feed:
    """The head of one release, watched for as long as some stream listens."""

    def __init__(self, store: EventStore, release_id: str, head: int, poll: float) -> None:
        self.store = store
        self.release_id = release_id
        self.head = head
        self.poll = poll
        self.listeners = 0
        self.moved = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def watch(self) -> None:
        while self.listeners > 0:
            await asyncio.sleep(self.poll)
            try:
                head = (await asyncio.to_thread(self.store.get_release, self.release_id)).head_seq
            except Exception as exc:  # a database hiccup: look again at the next poll
                _log.warning("live feed of %s: no head (%s)", self.release_id, type(exc).__name__)
                continue
            if head != self.head:
                self.head = head
                moved, self.moved = self.moved, asyncio.Event()
                moved.set()

    async def wait_beyond(self, seq: int, timeout: float) -> int:
        """The head once it is past ``seq``, or the head as it is after ``timeout`` seconds."""
        if self.head > seq:
            return self.head
        moved = self.moved
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(moved.wait(), timeout)
        return self.head


class Feeds:
    """Every release's :class:`Feed` in this process (one per running event loop)."""

    def __init__(self, store: EventStore, views: ViewCache, poll: float) -> None:
        self.store = store
        self.views = views
        self.poll = poll
        self._feeds: dict[str, Feed] = {}

    def _join(self, release_id: str, head: int) -> Feed:
        feed = self._feeds.get(release_id)
        if feed is None or feed.task is None or feed.task.done():
            feed = self._feeds[release_id] = Feed(self.store, release_id, head, self.poll)
        feed.head = max(feed.head, head)
        feed.listeners += 1
        if feed.task is None:
            feed.task = asyncio.get_running_loop().create_task(feed.watch())
        return feed

    def _leave(self, feed: Feed) -> None:
        feed.listeners -= 1
        if feed.listeners <= 0 and self._feeds.get(feed.release_id) is feed:
            del self._feeds[feed.release_id]
            if feed.task is not None:
                feed.task.cancel()

    def _chunk(self, release_id: str, after: int, head: int, view: Callable[[Any], Any]) -> tuple[int, bytes]:
        """The events after ``after`` as one SSE chunk and the last seq in it, read and
        encoded once for every stream that asks at this head."""

        def make() -> tuple[int, bytes]:
            last, parts = after, []
            for event in self.store.events(release_id, after=after):
                last = event.seq
                # encoded as GET .../events answers it (ISO 8601 times, not str())
                data = json.dumps(jsonable(view(event)))
                parts.append(f"id: {event.seq}\nevent: golive\ndata: {data}\n\n".encode())
            return last, b"".join(parts)

        chunk: tuple[int, bytes] = self.views.get(("sse", release_id, after, head), make)
        return chunk

    async def stream(
        self,
        release_id: str,
        after: int,
        head: int,
        view: Callable[[Any], Any],
        disconnected: Callable[[], Any],
    ) -> AsyncIterator[bytes]:
        """The release's events after ``after`` (the log's head is ``head`` now), then
        live, as Server-Sent Events, until the client goes away."""
        feed = self._join(release_id, head)
        try:
            seq = after
            yield b"retry: 2000\n\n"
            while not await disconnected():
                now = await feed.wait_beyond(seq, KEEP_ALIVE)
                if now <= seq:
                    yield b": keep-alive\n\n"
                    continue
                last, chunk = await asyncio.to_thread(self._chunk, release_id, seq, now, view)
                if last > seq:
                    seq = last
                    yield chunk
                else:  # the head moved but nothing is after seq (a head below it): wait again
                    await asyncio.sleep(self.poll)
        finally:
            self._leave(feed)
