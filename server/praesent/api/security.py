"""The Origin allow-list for browsers' sockets, and credentials on the API's documentation.

Every API route declares its own access rule (``praesent.api.auth.guard``); this middleware
covers what has no route of ours: ``/docs``, ``/redoc`` and ``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import Request, Response, WebSocket
from fastapi.responses import JSONResponse

from praesent.api.auth import CsrfError, principal_of
from praesent.api.errors import error_body
from praesent.settings import Settings

_DOCUMENTATION = ("/docs", "/redoc", "/openapi.json")


def allowed_origins(settings: Settings) -> set[str]:
    own = {f"http://{host}:{settings.port}" for host in ("127.0.0.1", "localhost", settings.host)}
    public = set()
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        public.add(f"{parts.scheme}://{parts.netloc}")
    return own | public | set(settings.allowed_origins)


def websocket_refusal(settings: Settings, websocket: WebSocket) -> str | None:
    """Why a socket may not open, or None: a browser page from another origin may not use a
    user's cookie here (credentials themselves are checked by the route's guard)."""
    origin = websocket.headers.get("origin")
    if origin is not None and origin not in allowed_origins(settings):
        return f"origin {origin} is not allowed"
    return None


def token_middleware(
    settings: Settings,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    del settings  # the guard reads the settings from the app's state

    async def check(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not request.url.path.startswith(_DOCUMENTATION):
            return await call_next(request)
        try:
            principal, _csrf = await principal_of(request)
        except CsrfError:
            principal = None
        if principal is None:
            return JSONResponse(
                error_body("unauthorized", "sign in or send a valid token"), status_code=401
            )
        return await call_next(request)

    return check
