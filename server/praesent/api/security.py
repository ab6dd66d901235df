"""Access: a bearer token when one is configured, and an Origin allow-list for browsers."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Request, Response, WebSocket
from fastapi.responses import JSONResponse

from praesent.api.errors import error_body
from praesent.settings import Settings

# The token guards the API and its documentation; the overlay's static files hold no data.
_GUARDED_PREFIXES = ("/v1/", "/docs", "/redoc", "/openapi.json")


def allowed_origins(settings: Settings) -> set[str]:
    own = {f"http://{host}:{settings.port}" for host in ("127.0.0.1", "localhost", settings.host)}
    return own | set(settings.allowed_origins)


def _token_ok(settings: Settings, presented: str | None) -> bool:
    if settings.api_token is None:
        return True
    return presented is not None and hmac.compare_digest(presented, settings.api_token)


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def websocket_refusal(settings: Settings, websocket: WebSocket) -> str | None:
    """Why a socket may not open, or None. Browsers cannot set headers: ``?token=`` works too."""
    origin = websocket.headers.get("origin")
    if origin is not None and origin not in allowed_origins(settings):
        return f"origin {origin} is not allowed"
    presented = _bearer(websocket.headers.get("authorization")) or websocket.query_params.get(
        "token"
    )
    if not _token_ok(settings, presented):
        return "a valid token is required"
    return None


def token_middleware(
    settings: Settings,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def check(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if settings.api_token is None or not path.startswith(_GUARDED_PREFIXES):
            return await call_next(request)
        presented = _bearer(request.headers.get("authorization")) or request.query_params.get(
            "token"
        )
        if not _token_ok(settings, presented):
            return JSONResponse(
                error_body("unauthorized", "a valid token is required"), status_code=401
            )
        return await call_next(request)

    return check
