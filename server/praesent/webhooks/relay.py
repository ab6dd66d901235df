"""The relay: takes due deliveries from the outbox and sends them, in every `praesent serve`
(an asyncio task beside the retention job) and every `praesent worker` (a thread). The table is
the queue: a message in Redis could be lost between the commit and the send, a row cannot."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta

import anyio
import httpx

from praesent.crm.delivery import send_note
from praesent.settings import Settings
from praesent.store import EventStore, StoreError
from praesent.store.webhooks import Claim
from praesent.webhooks.delivery import client, send

log = logging.getLogger(__name__)


def backoff_s(attempts: int, settings: Settings) -> float:
    """The wait after the ``attempts``-th failed try: doubling from the minimum, capped."""
    exponent = min(max(attempts - 1, 0), 40)
    return float(min(settings.webhook_max_backoff_s, settings.webhook_min_backoff_s * 2**exponent))


def _retry_at(claim: Claim, now: datetime, settings: Settings) -> datetime | None:
    at = now + timedelta(seconds=backoff_s(claim.attempts, settings))
    if at - claim.created_at > timedelta(seconds=settings.webhook_retry_for_s):
        return None
    return at


def deliver_due(store: EventStore, settings: Settings, http: httpx.Client) -> int:
    """One pass: at most one delivery per endpoint; how many were delivered."""
    hold = timedelta(seconds=2 * settings.webhook_timeout_s + 5)
    delivered = 0
    for claim in store.webhooks.claim_due(datetime.now(UTC), hold):
        if claim.kind == "webhook":
            outcome = send(http, claim, settings)
        else:
            outcome = send_note(claim, settings)
        if outcome.ok:
            assert outcome.status is not None
            store.webhooks.delivered(claim.id, outcome.status)
            delivered += 1
            continue
        assert outcome.error is not None
        retry_at = None if outcome.final else _retry_at(claim, datetime.now(UTC), settings)
        store.webhooks.attempt_failed(claim.id, outcome.status, outcome.error, retry_at)
        log.info(
            "webhook %s: attempt %d failed (%s)%s",
            claim.message_id,
            claim.attempts,
            outcome.error,
            "" if retry_at else "; given up",
        )
    return delivered


async def relay_forever(store: EventStore, settings: Settings) -> None:
    """Deliver until cancelled; right away again while deliveries succeed (an endpoint's next
    one waits behind the last), else after ``webhook_poll_s``."""
    with client(settings) as http:
        while True:
            try:
                delivered = await anyio.to_thread.run_sync(deliver_due, store, settings, http)
            except StoreError:
                log.exception("the webhook relay cannot reach the database; it tries again")
                delivered = 0
            except Exception:
                # A relay that stopped would leave every later webhook undelivered.
                log.exception("the webhook relay failed; it tries again")
                delivered = 0
            if not delivered:
                await asyncio.sleep(settings.webhook_poll_s)


def relay_thread(store: EventStore, settings: Settings, stop: threading.Event) -> threading.Thread:
    """The relay in a thread of `praesent worker`, until ``stop`` is set."""

    def run() -> None:
        with client(settings) as http:
            while not stop.is_set():
                try:
                    delivered = deliver_due(store, settings, http)
                except Exception:
                    log.exception("the webhook relay failed; it tries again")
                    delivered = 0
                if not delivered:
                    stop.wait(settings.webhook_poll_s)

    thread = threading.Thread(target=run, name="webhook-relay", daemon=True)
    thread.start()
    return thread
