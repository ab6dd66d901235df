"""Who may reach the server from a browser, before any credential is looked at.

* DNS rebinding: a page on ``attacker.example`` whose name is made to resolve to 127.0.0.1
  talks to a laptop server as its own origin. Its requests carry ``Host: attacker.example``;
  only the names this server is reached by are answered (421 otherwise), on HTTP and sockets.
  IP literals are allowed: a browser cannot rebind an address, and probes (Kubernetes, a load
  balancer) reach replicas by address. The health probes (no data) answer any name, as does
  ``/metrics`` to the scrape token: Caddy and Prometheus reach replicas as ``serve-1:8000``.
* Cross-site writes: a page elsewhere may make a browser send a form or a ``fetch`` without
  preflight (multipart, text/plain) to this server. Unsafe methods with a cross-site
  ``Sec-Fetch-Site`` or a foreign ``Origin`` are refused (403) whatever the credentials.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from praesent.api.errors import error_body
from praesent.api.security import allowed_origins
from praesent.settings import Settings

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_LOOPBACK_NAMES = ("localhost",)
_PROBES = ("/healthz", "/readyz")


def _host_name(host: str) -> str:
    """The name of a Host header or an origin's netloc: lower case, without port or brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_host_names(settings: Settings) -> frozenset[str]:
    names = {_host_name(n) for n in settings.allowed_hosts}
    origins = [*settings.allowed_origins, *([settings.public_url] if settings.public_url else [])]
    names |= {_host_name(urlsplit(origin).netloc) for origin in origins}
    names.add(_host_name(settings.host))
    return frozenset(n for n in names if n)


def host_allowed(host: str | None, names: frozenset[str]) -> bool:
    if not host:
        return False  # HTTP/1.1 requires Host; a request without one is no browser's
    name = _host_name(host)
    # *.localhost always resolves to loopback in browsers (RFC 6761): it cannot be rebound.
    loopback = name in _LOOPBACK_NAMES or name.endswith(".localhost")
    return loopback or _is_ip(name) or name in names


def cross_site_refusal(
    method: str, headers: dict[str, str], host: str | None, origins: frozenset[str]
) -> str | None:
    """Why an unsafe request from another site is refused, or None."""
    if method.upper() in _SAFE_METHODS:
        return None
    if headers.get("sec-fetch-site", "").lower() == "cross-site":
        return "a cross-site request may not change anything here"
    origin = headers.get("origin")
    if origin is None:
        return None  # not a browser's cross-origin request (curl, the CLI, a same-site form)
    netloc = urlsplit(origin).netloc.lower()
    if origin in origins or (netloc and host is not None and netloc == host.strip().lower()):
        return None
    return f"origin {origin} may not change anything here"


class HostGuard:
    """Pure ASGI, so it covers sockets as well as HTTP."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.names = allowed_host_names(settings)
        self.origins = frozenset(allowed_origins(settings))
        self.scrape = f"Bearer {settings.metrics_token}" if settings.metrics_token else None

    def _any_host(self, scope: Scope, headers: dict[str, str]) -> bool:
        """Requests no rebound page can make use of: probes, and a scrape with its token."""
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        if path in _PROBES:
            return True
        sent = headers.get("authorization", "")
        return (
            path == "/metrics"
            and self.scrape is not None
            and hmac.compare_digest(sent.encode(), self.scrape.encode())
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host")
        if not host_allowed(host, self.names) and not self._any_host(scope, headers):
            message = (
                f"this server does not answer to the host name {host!r}; "
                "a name it is reached by goes into PRAESENT_ALLOWED_HOSTS"
            )
            await _refuse(scope, send, 421, "misdirected_request", message)
            return
        if scope["type"] == "http":
            refusal = cross_site_refusal(scope["method"], headers, host, self.origins)
            if refusal is not None:
                await _refuse(scope, send, 403, "cross_site_refused", refusal)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    if scope["type"] == "websocket":
        # Closing before accept answers the handshake with 403.
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
