"""Who follows which session, so that unsharing a session cuts off its coaches at once, and a
revoked credential (a token revoked, a sign-out, a user deleted) its observers (#22 item 11)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

from praesent.live.hub import EventHub, Subscription


@dataclass(slots=True)
class ObserverRegistry:
    _by_session: dict[str, dict[Subscription, str | None]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    revoked: set[Subscription] = field(default_factory=set)
    # Observers whose credential no longer holds.
    unauthorised: set[Subscription] = field(default_factory=set)
    # Set when credentials were revoked here: every observer checks its own at once (other
    # replicas' observers find out at their next periodic check).
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, subscription: Subscription, user_id: str | None) -> None:
        self._by_session[subscription.session_id][subscription] = user_id

    def remove(self, subscription: Subscription) -> None:
        watchers = self._by_session.get(subscription.session_id)
        if watchers is not None:
            watchers.pop(subscription, None)
            if not watchers:
                del self._by_session[subscription.session_id]
        self.revoked.discard(subscription)
        self.unauthorised.discard(subscription)

    def credentials_changed(self) -> None:
        """Wake every observer to check its credential now."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_for_change(self, timeout_s: float) -> None:
        """Until credentials change here, or ``timeout_s`` passed."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout_s)
        except TimeoutError:
            return

    def revoke_all_but(self, hub: EventHub, session_id: str, owner_id: str | None) -> int:
        """End every observer of the session who is not its owner; how many."""
        ended = 0
        for subscription, user_id in list(self._by_session.get(session_id, {}).items()):
            if user_id != owner_id:
                self.revoked.add(subscription)
                hub.end(subscription)
                ended += 1
        return ended
