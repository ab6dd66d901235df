"""How many failed sign-ins an address and an account may make: a sliding window, time passed in.

An attempt counts as a failure from the moment it is let in, before its password is checked
(which takes a while), and is forgiven only when the password was right: a burst of concurrent
wrong passwords cannot all slip in while the first ones are still being checked. Every key of
an attempt (its address, its account) is checked and counted together, atomically.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

SIGNIN_FAILURES_PER_ADDRESS = 20
SIGNIN_FAILURES_PER_ACCOUNT = 10
SIGNIN_WINDOW_S = 60.0


def signin_keys(address: str, email: str) -> dict[str, int]:
    """The keys a sign-in counts against, with their limits per window."""
    return {
        f"address:{address}": SIGNIN_FAILURES_PER_ADDRESS,
        f"account:{email.strip().casefold()}": SIGNIN_FAILURES_PER_ACCOUNT,
    }


def new_ticket() -> str:
    return secrets.token_hex(8)


@dataclass(slots=True)
class FailureWindow:
    """The counts of one process. ``now`` is any monotonic clock in seconds; an event loop calls
    it without awaiting in between, so each call is atomic."""

    window_s: float = SIGNIN_WINDOW_S
    # key -> ticket -> when it was counted
    _failures: dict[str, dict[str, float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> dict[str, float]:
        since = now - self.window_s
        failures = {t: at for t, at in self._failures.get(key, {}).items() if at > since}
        if failures:
            self._failures[key] = failures
        else:
            self._failures.pop(key, None)  # memory stays bounded by the keys failing now
        return failures

    def attempt(self, keys: Mapping[str, int], ticket: str, now: float) -> float | None:
        """Count an attempt against every key, or refuse it (seconds until a key frees) when
        any key is at its limit; a refused attempt counts nothing."""
        wait = 0.0
        for key, limit in keys.items():
            failures = self._recent(key, now)
            if len(failures) >= limit:
                wait = max(wait, min(failures.values()) + self.window_s - now)
        if wait > 0:
            return wait
        for key in keys:
            self._failures.setdefault(key, {})[ticket] = now
        return None

    def forgive(self, keys: Mapping[str, int], ticket: str) -> None:
        """The attempt succeeded: it is no failure."""
        for key in keys:
            self._failures.get(key, {}).pop(ticket, None)


class SignInLimits(Protocol):
    """Where the counts live: this process, or Redis for all replicas."""

    async def attempt(self, keys: Mapping[str, int], ticket: str) -> float | None: ...

    async def forgive(self, keys: Mapping[str, int], ticket: str) -> None: ...

    async def aclose(self) -> None: ...


@dataclass(slots=True)
class LocalSignInLimits:
    window: FailureWindow = field(default_factory=FailureWindow)

    async def attempt(self, keys: Mapping[str, int], ticket: str) -> float | None:
        return self.window.attempt(keys, ticket, time.monotonic())

    async def forgive(self, keys: Mapping[str, int], ticket: str) -> None:
        self.window.forgive(keys, ticket)

    async def aclose(self) -> None:
        return None
