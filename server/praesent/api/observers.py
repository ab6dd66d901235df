"""Who follows which session, so that unsharing a session cuts off its coaches at once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from praesent.live.hub import EventHub, Subscription


@dataclass(slots=True)
class ObserverRegistry:
    _by_session: dict[str, dict[Subscription, str | None]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    revoked: set[Subscription] = field(default_factory=set)

    def add(self, subscription: Subscription, user_id: str | None) -> None:
        self._by_session[subscription.session_id][subscription] = user_id

    def remove(self, subscription: Subscription) -> None:
        watchers = self._by_session.get(subscription.session_id)
        if watchers is not None:
            watchers.pop(subscription, None)
            if not watchers:
                del self._by_session[subscription.session_id]
        self.revoked.discard(subscription)

    def revoke_all_but(self, hub: EventHub, session_id: str, owner_id: str | None) -> int:
        """End every observer of the session who is not its owner; how many."""
        ended = 0
        for subscription, user_id in list(self._by_session.get(session_id, {}).items()):
            if user_id != owner_id:
                self.revoked.add(subscription)
                hub.end(subscription)
                ended += 1
        return ended
