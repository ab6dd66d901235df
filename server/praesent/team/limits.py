"""How many failed sign-ins an address may make: a sliding window, time passed in."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

SIGNIN_FAILURES_PER_WINDOW = 20
SIGNIN_WINDOW_S = 60.0


@dataclass(slots=True)
class FailureWindow:
    """At most ``limit`` failures per ``window_s`` seconds per key; then refuse until the
    oldest failure leaves the window. ``now`` is any monotonic clock in seconds."""

    limit: int = SIGNIN_FAILURES_PER_WINDOW
    window_s: float = SIGNIN_WINDOW_S
    _failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]  # memory stays bounded by the addresses failing now
            return deque()
        return failures

    def refused(self, key: str, now: float) -> float | None:
        """Seconds until ``key`` may try again, or None when it may try now."""
        failures = self._recent(key, now)
        if len(failures) < self.limit:
            return None
        return failures[0] + self.window_s - now

    def failed(self, key: str, now: float) -> None:
        self._recent(key, now)
        self._failures[key].append(now)
