"""One webhook request: the body signed per Standard Webhooks (the reference implementation,
``standardwebhooks``), sent to the checked address, bounded in time and in what is read back."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from praesent import __version__
from praesent.settings import Settings
from praesent.store.webhooks import Claim
from praesent.webhooks.addresses import EndpointRefusedError, pinned, resolve

_sending = threading.local()


class _QuietWebhookUrls(logging.Filter):
    """httpx logs each request's URL at INFO; a webhook's URL may carry the receiver's token
    (many services put it in the path), so the relay's requests are not logged there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_sending, "active", False)


logging.getLogger("httpx").addFilter(_QuietWebhookUrls())


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None  # the receiver's HTTP status; None when there was no answer
    error: str | None  # why it failed; None: delivered (2xx)
    final: bool = False  # a failure that another try cannot mend (a CRM without the contact)

    @property
    def ok(self) -> bool:
        return self.error is None


def encode(payload: dict[str, object]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


def client(settings: Settings) -> httpx.Client:
    """No redirects (each hop would need its own check), no proxy from the environment."""
    return httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False, trust_env=False)


def send(http: httpx.Client, claim: Claim, settings: Settings) -> Outcome:
    try:
        target = resolve(
            claim.url,
            allow_http=settings.webhooks_allow_http,
            allow_private=settings.webhooks_allow_private,
        )
    except EndpointRefusedError as error:
        return Outcome(None, f"refused: {error.message}")
    body = encode(claim.payload)
    url, host, extensions = pinned(target)
    headers = {
        **host,
        **signed_headers(claim.secret, claim.message_id, datetime.now(UTC), body),
        "content-type": "application/json",
        "user-agent": f"praesent/{__version__}",
    }
    limit = settings.webhook_response_kb * 1024
    deadline = time.monotonic() + settings.webhook_timeout_s
    _sending.active = True
    try:
        with http.stream(
            "POST", url, content=body.encode("utf-8"), headers=headers, extensions=extensions
        ) as response:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read > limit or time.monotonic() > deadline:
                    break  # the answer's body is not needed: only its status
            status = response.status_code
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:300] or type(error).__name__)
    finally:
        _sending.active = False
    if 200 <= status < 300:
        return Outcome(status, None)
    return Outcome(status, f"the receiver answered {status}")
