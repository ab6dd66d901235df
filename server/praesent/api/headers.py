"""Security headers on every HTTP response, the refusals of the outer middleware included.

Every response says ``nosniff``, may not be framed (``frame-ancestors 'none'`` and the older
``X-Frame-Options``; the HTML pages of the API, the dashboards the web app shows in a frame,
by this origin only) and sends no referrer (an invitation link's secret stays in this tab).
An HTML page gets a Content-Security-Policy for pages: scripts from this origin and, for the
few pages with an inline script (the API documentation, the manual), exactly those scripts by
their hash, so an injected one does not run; styles may be inline (the report's are);
connections go to this origin only. Anything else (JSON, files) gets ``default-src 'none'``:
opened as a page, it runs and loads nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
# Script types a browser does not run (the manual's search configuration is JSON).
_DATA_SCRIPT = re.compile(rb"<script[^>]*\btype=[\"']?application/(ld\+)?json", re.I)


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP sources for the inline scripts of a page."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(html):
        if _DATA_SCRIPT.match(match.group(0)):
            continue
        digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return sorted(set(hashes))


def page_policy(html: bytes, framed_by: str = "'none'") -> str:
    scripts = " ".join(["'self'", *inline_script_hashes(html)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; "
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {framed_by}"
    )


def _common(headers: MutableHeaders) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"


class SecurityHeaders:
    """Pure ASGI: an HTML page's body is held until it is complete (pages are small) to hash
    its inline scripts; every other body streams through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []
        # The web app frames the API's HTML pages (the dashboards); nothing frames the rest.
        own_frame = str(scope.get("path", "")).startswith("/v1/")

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                _common(headers)
                if message["status"] == 304:
                    # The browser keeps the cached page's headers, its policy included, and
                    # takes those of a 304 over them: a policy here would replace the page's.
                    await send(message)
                    return
                if headers.get("content-type", "").startswith("text/html"):
                    if own_frame:
                        headers["X-Frame-Options"] = "SAMEORIGIN"
                    start = message  # the policy waits for the page
                    return
                headers["Content-Security-Policy"] = NOT_A_PAGE
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                page = b"".join(body)
                framed_by = "'self'" if own_frame else "'none'"
                policy = page_policy(page, framed_by)
                MutableHeaders(scope=start)["Content-Security-Policy"] = policy
                await send(start)
                message = {"type": "http.response.body", "body": page}
            await send(message)

        await self.app(scope, receive, send_with_headers)
