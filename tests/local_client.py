"""Starlette's TestClient, addressed as ``localhost``: its default host name ``testserver`` is
no name the server answers to (the Host allow-list against DNS rebinding)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.types import ASGIApp


class LocalClient(TestClient):
    def __init__(self, app: ASGIApp, **kwargs: Any) -> None:
        kwargs.setdefault("base_url", "http://localhost")
        super().__init__(app, **kwargs)

    def websocket_connect(
        self, url: str, subprotocols: Any = None, **kwargs: Any
    ) -> WebSocketTestSession:
        # TestClient joins socket paths to ws://testserver whatever its base_url.
        return super().websocket_connect(urljoin("ws://localhost", url), subprotocols, **kwargs)
