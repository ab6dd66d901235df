"""What the app holds for its lifetime: settings, the models and the live sessions."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from starlette.requests import HTTPConnection

from praesent.engines import Engines
from praesent.live.manager import SessionManager
from praesent.settings import Settings


@dataclass(slots=True)
class AppState:
    settings: Settings
    engines: Engines
    # Bounds how many inference jobs run at once across all requests and sessions.
    inference_limiter: anyio.CapacityLimiter
    sessions: SessionManager


def app_state(connection: HTTPConnection) -> AppState:
    state: AppState = connection.app.state.praesent
    return state
