"""Observers on one replica of a session that runs on another: Redis pub/sub carries the events.

Pub/sub rather than streams: every event is stored before it is published, so the relay only
has to be fast, not durable. An observer subscribes, then reads the stored log, then takes the
relayed events, and reads back from the store whatever the relay lost (a gap in ``seq``).
Streams would keep a second, trimmed copy of every log in Redis for a catch-up the store
already gives. When this replica's subscription connection breaks, its remote observers are cut
off (``Subscription.lost``) and resume by ``seq`` like an observer that fell behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from praesent.live.hub import EventHub, LoggedEvent, RelayError, Subscription

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "praesent:live:"
# How long a new remote observer waits for Redis to confirm its subscription.
_CONFIRM_S = 5.0
# Messages waiting to be published; beyond this they are dropped (observers read them back).
_OUTBOX_SIZE = 10_000
# At most this many messages in one pipeline.
_BATCH = 256
# On shutdown, how long the last messages (a session's final event) get to reach Redis.
_FLUSH_S = 2.0


def _channel(session_id: str) -> str:
    return CHANNEL_PREFIX + session_id


class RedisEventHub(EventHub):
    """The in-process hub for this replica's own sessions, plus Redis for the others': every
    event of a session here is published on its channel; an observer of a session elsewhere
    subscribes to that session's channel over the one subscription connection of the replica."""

    __slots__ = (
        "_confirmed",
        "_followed",
        "_lock",
        "_outbox",
        "_pending",
        "_publish_failing",
        "_publisher",
        "_pubsub",
        "_reader",
        "_redis",
    )

    def __init__(self, url: str, queue_size: int = 2048) -> None:
        super().__init__(queue_size=queue_size)
        # No retries: a broken connection must show (observers are told), not be papered over.
        self._redis = Redis.from_url(
            url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2.0, socket_timeout=5.0
        )
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(_OUTBOX_SIZE)
        self._publisher: asyncio.Task[None] | None = None
        self._publish_failing = False
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._followed: dict[str, set[Subscription]] = {}
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        # Subscribing, unsubscribing and dropping a broken connection, one at a time.
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()

    # --- this replica's sessions: publish ------------------------------------------------

    def publish(self, session_id: str, events: list[LoggedEvent]) -> None:
        super().publish(session_id, events)
        self._send(session_id, {"events": events})

    def close(self, session_id: str) -> None:
        super().close(session_id)
        self._send(session_id, {"end": True})

    def _send(self, session_id: str, message: dict[str, Any]) -> None:
        try:
            self._outbox.put_nowait((_channel(session_id), json.dumps(message).encode()))
        except asyncio.QueueFull:
            return  # Redis is gone for long: the store has the events
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.create_task(self._publish_loop(), name="relay-publish")

    async def _publish_loop(self) -> None:
        while True:
            # What piled up during one round trip goes out in the next, in one pipeline.
            batch = [await self._outbox.get()]
            while len(batch) < _BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, payload in batch:
                        pipe.publish(channel, payload)
                    await pipe.execute()
            except (RedisError, OSError) as error:
                if not self._publish_failing:
                    log.warning("the live relay cannot publish: %s", error)
                self._publish_failing = True
                # What waits is dropped: it is stored, and observers read back what they miss.
                while not self._outbox.empty():
                    self._outbox.get_nowait()
                    self._outbox.task_done()
            else:
                if self._publish_failing:
                    log.info("the live relay publishes again")
                self._publish_failing = False
            finally:
                for _ in batch:
                    self._outbox.task_done()

    # --- other replicas' sessions: follow ------------------------------------------------

    async def follow(self, session_id: str) -> Subscription:
        """Subscribe to a session that runs on another replica; returns once Redis confirmed
        the subscription, so that reading the stored log afterwards misses nothing."""
        subscription = Subscription(session_id, asyncio.Queue(maxsize=self.queue_size), remote=True)
        channel = _channel(session_id)
        async with self._lock:
            try:
                if self._pubsub is None:
                    self._pubsub = self._redis.pubsub()
                pubsub = self._pubsub
                confirmed = self._confirmed.get(channel)
                if session_id not in self._followed or confirmed is None:
                    confirmed = asyncio.get_running_loop().create_future()
                    # A failure nobody waits for any more is not an error to report.
                    confirmed.add_done_callback(lambda done: done.cancelled() or done.exception())
                    self._confirmed[channel] = confirmed
                    await pubsub.subscribe(channel)
                    if self._reader is None or self._reader.done():
                        self._reader = asyncio.create_task(self._read(pubsub), name="relay-read")
            except (RedisError, OSError) as error:
                self._confirmed.pop(channel, None)
                raise RelayError(f"the live relay is unreachable: {error}") from error
            self._followed.setdefault(session_id, set()).add(subscription)
        try:
            await asyncio.wait_for(asyncio.shield(confirmed), _CONFIRM_S)
        except (RelayError, TimeoutError) as error:
            self.unsubscribe(subscription)
            raise RelayError("the live relay did not confirm the subscription") from error
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if not subscription.remote:
            super().unsubscribe(subscription)
            return
        followers = self._followed.get(subscription.session_id)
        if followers is None:
            return
        followers.discard(subscription)
        if not followers:
            del self._followed[subscription.session_id]
            task = asyncio.create_task(self._unfollow(subscription.session_id))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _unfollow(self, session_id: str) -> None:
        async with self._lock:
            if session_id in self._followed or self._pubsub is None:
                return  # followed again meanwhile, or the connection is gone anyway
            self._confirmed.pop(_channel(session_id), None)
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(_channel(session_id))

    async def _read(self, pubsub: PubSub) -> None:
        try:
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is not None:
                    self._on_message(message)
        except (RedisError, OSError, RuntimeError) as error:
            log.warning("the live relay broke: %s; remote observers are cut off", error)
            await self._drop(pubsub)

    def _on_message(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        if message["type"] == "subscribe":
            confirmed = self._confirmed.get(channel)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(None)
            return
        if message["type"] != "message":
            return
        followers = self._followed.get(channel.removeprefix(CHANNEL_PREFIX), set())
        body = json.loads(message["data"])
        if "events" in body:
            self._deliver(followers, body["events"])
        if body.get("end"):
            for subscription in list(followers):
                self.end(subscription)

    async def _drop(self, pubsub: PubSub) -> None:
        """The subscription connection broke: every remote observer is told, and the next
        one to follow opens a new connection."""
        async with self._lock:
            if self._pubsub is pubsub:
                self._pubsub = None
            for confirmed in self._confirmed.values():
                if not confirmed.done():
                    confirmed.set_exception(RelayError("the live relay broke"))
            self._confirmed.clear()
            followed, self._followed = self._followed, {}
        for followers in followed.values():
            for subscription in followers:
                subscription.lost = True
                self._wake(subscription)
        with contextlib.suppress(RedisError, OSError):
            await pubsub.aclose()

    async def aclose(self) -> None:
        if self._publisher is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox.join(), _FLUSH_S)
        for task in (self._publisher, self._reader, *self._pending):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()
        await self._redis.aclose()
