"""The app factory: settings passed in, models loaded and the store opened in ``lifespan``."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import anyio
from fastapi import FastAPI

from praesent import __version__
from praesent.api import (
    account,
    admin,
    analyses,
    calendar,
    crm,
    dashboards,
    jobs,
    live,
    oidc,
    operations,
    reports,
    sessions,
    voice,
    webhooks,
)
from praesent.api.body_limits import BodyLimit
from praesent.api.docs import document_security
from praesent.api.docs_ui import install_docs_ui
from praesent.api.errors import install_error_handlers
from praesent.api.fair import FairGate
from praesent.api.headers import SecurityHeaders
from praesent.api.help import install_help
from praesent.api.host_guard import HostGuard
from praesent.api.methods import method_middleware
from praesent.api.metrics import Metrics, RequestCounter
from praesent.api.overlay import install_overlay
from praesent.api.security import token_middleware
from praesent.api.state import AppState, AuthState
from praesent.asr.models import resolve_model_dir
from praesent.engines import Engines
from praesent.jobs.objects import open_objects
from praesent.jobs.retention import run_retention
from praesent.live.hub import EventHub
from praesent.live.leases import Leases
from praesent.live.manager import SessionManager
from praesent.live.speech_to_text import SchedulerOptions, SpeechToText
from praesent.settings import Settings
from praesent.speakers.profiles import learn_live_voice
from praesent.store import EventStore, StoreError, migrate
from praesent.summaries_llm import options_from_settings
from praesent.team.limits import LocalSignInLimits, SignInLimits
from praesent.webhooks.relay import relay_forever

if TYPE_CHECKING:
    from praesent.jobs.queue import JobQueue

EngineLoader = Callable[[Settings], Engines]
log = logging.getLogger("praesent")


def _default_loader(settings: Settings) -> Engines:
    from praesent.engines import load_engines

    return load_engines(settings, previews=True)


def _open_store(settings: Settings) -> EventStore:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    migrate(url)
    return EventStore(url, links=settings.links)


async def _retention_loop(store: EventStore, settings: Settings) -> None:
    """Run the retention job at start and then every ``retention_interval_s``."""
    while True:
        try:
            await anyio.to_thread.run_sync(
                run_retention, store, settings.retention_days, datetime.now(UTC)
            )
        except StoreError:
            log.exception("the retention job failed; it runs again later")
        await asyncio.sleep(settings.retention_interval_s)


def _job_queue(settings: Settings) -> JobQueue | None:
    """The job queue when one is configured (the ``queue`` extra brings its packages)."""
    if settings.redis_url is None:
        return None
    from praesent.jobs.queue import JobQueue

    return JobQueue(settings)


def _event_hub(settings: Settings) -> EventHub:
    """With Redis, observers on any replica follow sessions running on another."""
    if settings.redis_url is None:
        return EventHub(queue_size=settings.observer_queue_size)
    from praesent.live.relay import RedisEventHub

    return RedisEventHub(settings.redis_url, queue_size=settings.observer_queue_size)


def _leases(settings: Settings) -> Leases:
    """With Redis, which replica runs each live call is known to all of them."""
    if settings.redis_url is None:
        return Leases()
    from praesent.live.redis_leases import RedisLeases

    return RedisLeases(settings.redis_url)


def _signin_limits(settings: Settings) -> SignInLimits:
    """With Redis, failed sign-ins count across all replicas."""
    if settings.redis_url is None:
        return LocalSignInLimits()
    from praesent.team.redis_limits import RedisFailureWindow

    return RedisFailureWindow(settings.redis_url)


def create_app(settings: Settings, load: EngineLoader | None = None) -> FastAPI:
    """Build the app. ``load`` lets tests share one set of loaded models between apps."""
    loader = load or _default_loader
    metrics = Metrics()
    if load is None:
        resolve_model_dir(settings)  # a missing model fails here, before the server binds

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engines = await anyio.to_thread.run_sync(loader, settings)
        store = await anyio.to_thread.run_sync(_open_store, settings)
        limiter = anyio.CapacityLimiter(settings.asr_workers)
        manager = SessionManager(
            store=store,
            engines=engines,
            speech_to_text=SpeechToText(
                engines.transcriber,
                settings.asr_workers,
                SchedulerOptions(
                    batch=settings.live_batch,
                    speculate=settings.live_speculate,
                    encoder_min_s=settings.live_encoder_min_s,
                    greedy_languages=settings.live_greedy,
                ),
                engines.previews,
            ),
            hub=_event_hub(settings),
            llm=options_from_settings(settings),
            resume_grace_s=settings.live_resume_grace_s,
            tick_ms=settings.live_tick_ms,
            vad_batch=settings.live_vad_batch,
            learn_voice=(
                functools.partial(learn_live_voice, settings)
                if settings.live_voice_profiles
                else None
            ),
            leases=_leases(settings),
        )
        await manager.leases.start(manager.hand_over)
        app.state.praesent = AppState(
            settings=settings,
            engines=engines,
            inference_limiter=limiter,
            sessions=manager,
            objects=open_objects(settings),
            job_queue=_job_queue(settings),
            metrics=metrics,
            auth=AuthState(signin_limits=_signin_limits(settings)),
            uploads=FairGate(settings.asr_workers),
        )
        retention = asyncio.create_task(_retention_loop(store, settings))
        sweeper = asyncio.create_task(manager.sweep_forever(settings.live_sweep_s))
        relay = asyncio.create_task(relay_forever(store, settings))
        try:
            yield
        finally:
            for task in (retention, sweeper, relay):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await manager.shutdown()
            await manager.hub.aclose()
            await app.state.praesent.auth.signin_limits.aclose()
            if app.state.praesent.job_queue is not None:
                app.state.praesent.job_queue.close()
            store.close()

    # The documentation pages are praesent's own, with their assets served here (no CDN).
    app = FastAPI(
        title="praesent", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    install_docs_ui(app)
    install_error_handlers(app)
    app.middleware("http")(token_middleware(settings))
    app.include_router(analyses.router)
    app.include_router(jobs.router)
    app.include_router(sessions.router)
    app.include_router(live.router)
    app.include_router(reports.router)
    app.include_router(account.router)
    app.include_router(calendar.router)
    app.include_router(admin.router)
    app.include_router(dashboards.router)
    app.include_router(oidc.router)
    app.include_router(voice.router)
    app.include_router(operations.router)
    app.include_router(webhooks.router)
    app.include_router(crm.router)

    document_security(app)
    app.middleware("http")(method_middleware(app))
    # Inside the Host guard: credentials and size of a request body before it is read.
    app.add_middleware(BodyLimit)
    # Before any route or credential: the Host allow-list and cross-site writes.
    app.add_middleware(HostGuard, settings=settings)
    # Around the guard, so its refusals carry the headers too.
    app.add_middleware(SecurityHeaders)
    # Outermost: every request counts, the ones the other middleware answer too.
    app.add_middleware(RequestCounter, metrics=metrics)
    # The manual at /help (public: it holds no data), before the overlay's mount at /.
    install_help(app)
    # Last, so every API route wins over the static files.
    install_overlay(app)
    return app
