"""Leases across replicas in Redis (see ``praesent.live.leases``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from praesent.live.leases import HandOver, Leases, LeaseUnavailableError

log = logging.getLogger(__name__)

_PREFIX = "praesent:lease:"
_HANDOVER = "praesent:handover"
# A lease outlives its replica by at most this long; renewed three times per period.
LEASE_S = 5.0
# How often a waiting replica checks whether the lease came free.
_POLL_S = 0.1

# Renew a lease that is still this replica's, or again after Redis lost it (a restart), and
# release only one that is still this replica's (another may hold it by now).
_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
if not holder then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLeases(Leases):
    """Leases in Redis, renewed by a task of this process; handover requests by pub/sub."""

    def __init__(self, url: str, lease_s: float = LEASE_S) -> None:
        super().__init__()
        self.replica = secrets.token_hex(8)
        self._lease_ms = round(lease_s * 1000)
        self._renew_every = lease_s / 3
        # No retries: a broken connection must show, not be papered over.
        self._redis = Redis.from_url(
            url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2.0, socket_timeout=5.0
        )
        self._renew = self._redis.register_script(_RENEW)
        self._release = self._redis.register_script(_RELEASE)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, hand_over: HandOver) -> None:
        await super().start(hand_over)
        self._tasks = [
            asyncio.create_task(self._renew_loop(), name="leases-renew"),
            asyncio.create_task(self._listen(), name="leases-handover"),
        ]

    def _key(self, session_id: str) -> str:
        return _PREFIX + session_id

    async def claim(self, session_id: str) -> bool:
        key = self._key(session_id)
        try:
            taken = await self._redis.set(key, self.replica, nx=True, px=self._lease_ms)
            if not taken and await self._redis.get(key) != self.replica.encode():
                return False
        except (RedisError, OSError) as error:
            raise LeaseUnavailableError(str(error)) from error
        self.held.add(session_id)
        return True

    async def hold_new(self, session_id: str) -> None:
        self.held.add(session_id)
        try:
            await self._redis.set(self._key(session_id), self.replica, px=self._lease_ms)
        except (RedisError, OSError) as error:
            log.warning("session %s: the lease is taken when Redis is back: %s", session_id, error)

    async def release(self, session_id: str) -> None:
        self.held.discard(session_id)
        try:
            await self._release(keys=[self._key(session_id)], args=[self.replica])
        except (RedisError, OSError) as error:
            # The lease runs out on its own a few seconds later.
            log.warning("session %s: the lease was not released: %s", session_id, error)

    async def held_elsewhere(self, session_ids: Iterable[str]) -> set[str]:
        ids = [session_id for session_id in session_ids if session_id not in self.held]
        if not ids:
            return set()
        try:
            holders = await self._redis.mget([self._key(session_id) for session_id in ids])
        except (RedisError, OSError) as error:
            raise LeaseUnavailableError(str(error)) from error
        return {session_id for session_id, holder in zip(ids, holders, strict=True) if holder}

    async def take_over(self, session_id: str, wait_s: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        asked = False
        while True:
            if await self.claim(session_id):
                return True
            if not asked:
                with contextlib.suppress(RedisError, OSError):
                    await self._redis.publish(_HANDOVER, session_id)
                asked = True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(_POLL_S)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            for session_id in list(self.held):
                try:
                    kept = await self._renew(
                        keys=[self._key(session_id)], args=[self.replica, self._lease_ms]
                    )
                except (RedisError, OSError) as error:
                    log.warning("leases cannot be renewed: %s", error)
                    break
                if not kept and session_id in self.held:
                    # It ran out (Redis was away) and another process took it: stop here.
                    log.warning("session %s: the lease went to another replica", session_id)
                    await self._ask(session_id)

    async def _listen(self) -> None:
        """Handover requests for the sessions held here, across Redis restarts."""
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(_HANDOVER)
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                    if message is not None and message["type"] == "message":
                        session_id = message["data"].decode()
                        if session_id in self.held:
                            await self._ask(session_id)
            except (RedisError, OSError) as error:
                log.warning("handover requests cannot be heard: %s; trying again", error)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def _ask(self, session_id: str) -> None:
        if self._hand_over is None:
            return
        try:
            await self._hand_over(session_id)
        except Exception:
            log.exception("session %s was not handed over", session_id)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for session_id in list(self.held):
            await self.release(session_id)
        await self._redis.aclose()
