"""What the app holds for its lifetime: settings, the models and the live sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio
from starlette.requests import HTTPConnection

from praesent.api.fair import FairGate
from praesent.api.metrics import Metrics
from praesent.api.observers import ObserverRegistry
from praesent.engines import Engines
from praesent.jobs.objects import ObjectStore
from praesent.live.manager import SessionManager
from praesent.settings import Settings
from praesent.store import EventStore
from praesent.team.credentials import PASSWORD_HASHES_AT_ONCE
from praesent.team.limits import LocalSignInLimits, SignInLimits
from praesent.team.oidc import PendingSignIn

if TYPE_CHECKING:
    from praesent.jobs.queue import JobQueue


@dataclass(slots=True)
class AuthState:
    """Per process: whether accounts exist (once seen, for good), failed sign-ins (here or in
    Redis) and the password hashes being computed."""

    accounts_seen: bool = False
    signin_limits: SignInLimits = field(default_factory=LocalSignInLimits)
    # Each argon2 hash takes 64 MiB: at most this many at once, the others wait their turn.
    hashing: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(PASSWORD_HASHES_AT_ONCE)
    )
    # OpenID Connect sign-ins under way, by state.
    oidc_pending: dict[str, PendingSignIn] = field(default_factory=dict)

    def accounts_exist(self, store: EventStore) -> bool:
        if not self.accounts_seen:
            # Checked on every request until the first user appears (the CLI may add one
            # while the server runs); a laptop's SQLite answers this in microseconds.
            self.accounts_seen = store.people.any_user()
        return self.accounts_seen


@dataclass(slots=True)
class AppState:
    settings: Settings
    engines: Engines
    # Bounds how many inference jobs run at once across all requests and sessions.
    inference_limiter: anyio.CapacityLimiter
    sessions: SessionManager
    # Where uploads wait for a worker, and the queue that tells one (None: no queue configured).
    objects: ObjectStore
    job_queue: JobQueue | None = None
    # Uploads analysed in the request (POST /v1/analyses) take turns per user.
    uploads: FairGate = field(default_factory=lambda: FairGate(1))
    auth: AuthState = field(default_factory=AuthState)
    observers: ObserverRegistry = field(default_factory=ObserverRegistry)
    metrics: Metrics = field(default_factory=Metrics)


def app_state(connection: HTTPConnection) -> AppState:
    state: AppState = connection.app.state.praesent
    return state
