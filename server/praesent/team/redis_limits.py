"""The sign-in counts of :mod:`praesent.team.limits` in Redis, shared by all replicas: one sorted
set per key (member: the attempt's ticket, score: its time), checked and counted by one script.
When Redis cannot be reached the process counts on its own until it can."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from praesent.team.limits import SIGNIN_WINDOW_S, FailureWindow

log = logging.getLogger(__name__)

PREFIX = "praesent:signin:"

# KEYS: the keys; ARGV: now, window, ticket, then each key's limit. Returns "" when counted,
# else the seconds to wait (a string: Lua numbers turn into integers on the way out).
_ATTEMPT = """
local now, window, ticket = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('zremrangebyscore', key, '-inf', now - window)
  if redis.call('zcard', key) >= tonumber(ARGV[3 + i]) then
    local oldest = redis.call('zrange', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then return tostring(wait) end
for _, key in ipairs(KEYS) do
  redis.call('zadd', key, now, ticket)
  redis.call('pexpire', key, math.ceil(window * 1000))
end
return ''
"""


class RedisFailureWindow:
    def __init__(self, url: str, window_s: float = SIGNIN_WINDOW_S) -> None:
        self.window_s = window_s
        self._redis = Redis.from_url(
            url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2.0, socket_timeout=5.0
        )
        self._attempt = self._redis.register_script(_ATTEMPT)
        self._fallback = FailureWindow(window_s)

    async def attempt(self, keys: Mapping[str, int], ticket: str) -> float | None:
        # Wall-clock time: the replicas' clocks agree far better than a window's minute.
        now = time.time()
        names = [PREFIX + key for key in keys]
        try:
            answer = await self._attempt(
                keys=names, args=[now, self.window_s, ticket, *keys.values()]
            )
        except (RedisError, OSError) as error:
            log.warning("sign-in counts kept in this process while Redis is away: %s", error)
            return self._fallback.attempt(keys, ticket, time.monotonic())
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        return float(text) if text else None

    async def forgive(self, keys: Mapping[str, int], ticket: str) -> None:
        self._fallback.forgive(keys, ticket)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.zrem(PREFIX + key, ticket)
                await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("a successful sign-in still counts as a failure: %s", error)

    async def aclose(self) -> None:
        await self._redis.aclose()
