"""Prometheus metrics of one `praesent serve` process (prometheus-client).

Counters grow where things happen (requests, audio, events); the gauges are read when Prometheus
scrapes: the live sessions and the speech-to-text queue of this process, and the job queue from
the shared jobs table (the same figures on every replica). Each app has its own registry, so
several apps in one process (the tests) do not mix their figures.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praesent.live.manager import SessionManager
from praesent.store import JobSummary


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.live_sessions = Gauge(
            "praesent_live_sessions", "Live sessions open on this process", registry=registry
        )
        self.audio_seconds = Counter(
            "praesent_live_audio_seconds",
            "Seconds of call audio received on live sockets",
            registry=registry,
        )
        events_sent = Counter(
            "praesent_events_sent",
            "Session events sent on sockets: to the capturing client (live) or to observers",
            ["socket"],
            registry=registry,
        )
        self.live_events = events_sent.labels(socket="live")
        self.observer_events = events_sent.labels(socket="observer")
        self.finals_waiting = Gauge(
            "praesent_speech_to_text_finals_waiting",
            "Finished utterances waiting for a speech-to-text worker of this process",
            registry=registry,
        )
        self.asr_lag = Gauge(
            "praesent_speech_to_text_lag_seconds",
            "The largest speech-to-text lag of this process's live sessions: how far their "
            "oldest waiting utterance is behind the audio",
            registry=registry,
        )
        self.jobs = Gauge(
            "praesent_jobs",
            "Background jobs by state, from the shared jobs table (the same on every replica)",
            ["state"],
            registry=registry,
        )
        self.oldest_queued_age = Gauge(
            "praesent_jobs_oldest_queued_age_seconds",
            "How long the oldest queued job has waited (0: none waits)",
            registry=registry,
        )
        self.http_requests = Counter(
            "praesent_http_requests",
            "HTTP requests by method, route (the route's template) and status",
            ["method", "route", "status"],
            registry=registry,
        )

    def observe_live(self, manager: SessionManager) -> None:
        """Read the live figures; on the event loop, where the sessions change."""
        sessions = list(manager.live.values())
        self.live_sessions.set(len(sessions))
        self.finals_waiting.set(manager.speech_to_text.finals_waiting)
        self.asr_lag.set(max((session.lag_s() for session in sessions), default=0.0))

    def observe_jobs(self, summary: JobSummary | None, now: datetime) -> None:
        """Set the job figures; None (the database is down) leaves none rather than stale ones."""
        self.jobs.clear()
        if summary is None:
            self.oldest_queued_age.set(0.0)
            return
        for state, count in summary.by_status.items():
            self.jobs.labels(state=state).set(count)
        oldest = summary.oldest_queued_at
        self.oldest_queued_age.set(0.0 if oldest is None else (now - oldest).total_seconds())

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestCounter:
    """ASGI middleware: count each HTTP request by method, route template and status. Paths that
    match no route count as "unmatched", so a scanner cannot grow the label set."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # an exception before the response started

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router leaves the matched route in the scope; a mount's path "" is "/".
            route = scope.get("route")
            path = getattr(route, "path", None)
            label = "unmatched" if path is None else path or "/"
            self.metrics.http_requests.labels(scope["method"], label, str(status)).inc()
