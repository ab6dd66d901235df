"""Probes and metrics for whoever runs the server: /healthz (the process answers), /readyz (its
database and, where configured, its Redis answer) and /metrics (Prometheus text format).

The probes read no credentials and touch nothing for /healthz: a liveness probe that failed
whenever the database did would restart every replica during a database outage. The server
binds only after its models are loaded, so a process that answers has its models.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from praesent import __version__
from praesent.api.auth import guard
from praesent.api.docs import ErrorDetail, errors
from praesent.api.state import AppState, app_state
from praesent.errors import PraesentError
from praesent.store import JobSummary
from praesent.team.access import Rule

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)

Check = Literal["ok", "down", "timeout"]


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Readiness(BaseModel):
    status: Literal["ready"]
    checks: dict[str, Check]


class NotReady(BaseModel):
    """The error body of a 503, with each dependency's state (never its address)."""

    error: ErrorDetail
    checks: dict[str, Check]


async def _check(name: str, probe: Callable[[], None], timeout_s: float) -> Check:
    try:
        with anyio.fail_after(timeout_s):
            # A probe stuck on a silent host is left behind; the answer does not wait for it.
            await anyio.to_thread.run_sync(probe, abandon_on_cancel=True)
    except TimeoutError:
        log.warning("readiness: %s did not answer within %.1f s", name, timeout_s)
        return "timeout"
    except PraesentError as error:
        log.warning("readiness: %s is down: %s", name, error.__cause__ or error)
        return "down"
    return "ok"


async def readiness(state: AppState) -> dict[str, Check]:
    probes: dict[str, Callable[[], None]] = {"database": state.sessions.store.ping}
    if state.job_queue is not None:
        probes["redis"] = state.job_queue.ping
    timeout_s = state.settings.readiness_timeout_s
    results = await asyncio.gather(
        *(_check(name, probe, timeout_s) for name, probe in probes.items())
    )
    return dict(zip(probes, results, strict=True))


@router.get("/healthz", dependencies=[guard(Rule.PROBE)])
async def healthz() -> Health:
    """The process is alive (it touches no dependency)."""
    return Health(status="ok", version=__version__)


@router.get(
    "/readyz",
    dependencies=[guard(Rule.PROBE)],
    responses={503: {"model": NotReady, "description": "A dependency is down"}},
)
async def readyz(request: Request) -> Any:
    """Ready for traffic: the database answers, and Redis where a job queue is configured."""
    checks = await readiness(app_state(request))
    down = [name for name, check in checks.items() if check != "ok"]
    if not down:
        return Readiness(status="ready", checks=checks)
    message = ", ".join(f"{name} {checks[name]}" for name in down)
    body = NotReady(error=ErrorDetail(code="not_ready", message=message), checks=checks)
    return JSONResponse(body.model_dump(), status_code=503)


def _job_summary(state: AppState) -> JobSummary | None:
    try:
        return state.sessions.store.jobs.summary()
    except PraesentError:
        log.warning("metrics: the job figures are missing, the database is unavailable")
        return None


@router.get(
    "/metrics",
    dependencies=[guard(Rule.METRICS)],
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}},
        **errors(401, 403),
    },
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics, for the scrape token (PRAESENT_METRICS_TOKEN) or an admin."""
    state = app_state(request)
    state.metrics.observe_live(state.sessions)
    summary = await anyio.to_thread.run_sync(_job_summary, state)
    state.metrics.observe_jobs(summary, datetime.now(UTC))
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
