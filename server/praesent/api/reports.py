"""GET /v1/sessions/{id}/report: the coaching report of a session as HTML, PDF or JSON."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Request, Response

from praesent.api.auth import Access, audit_read, guard
from praesent.api.docs import errors
from praesent.api.state import app_state
from praesent.errors import InputError, PraesentError
from praesent.report import build_report, to_html, to_json, to_pdf
from praesent.report.sessions import session_with_history
from praesent.team.access import Rule

router = APIRouter(prefix="/v1/sessions", tags=["reports"])

_MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}


class SessionGoneError(PraesentError):
    code = "not_found"


class BadReportRequestError(InputError):
    code = "bad_request"


def _render(analysis: dict[str, Any], history: list[dict[str, Any]], fmt: str, lang: str) -> bytes:
    report = build_report(analysis, language="de" if lang == "de" else "en", history=history)
    if fmt == "pdf":
        return to_pdf(report)
    if fmt == "json":
        return to_json(report).encode("utf-8")
    return to_html(report).encode("utf-8")


@router.get(
    "/{session_id}/report",
    responses={
        200: {"content": {media: {} for media in _MEDIA.values()}},
        **errors(401, 403, 404, 422, 503),
    },
)
async def session_report(
    request: Request,
    session_id: str,
    access: Annotated[Access, guard(Rule.SESSION_READ)],
    format: str = "html",
    lang: str | None = None,
) -> Response:
    """The report of a session (a live one: of its log so far). ``lang`` defaults to the call's
    language when it is German, else English; the history is the same seller's earlier calls
    (for a coach: those the seller shares)."""
    if format not in _MEDIA:
        raise BadReportRequestError(f"format must be html, pdf or json, not {format!r}")
    if lang is not None and lang not in ("de", "en"):
        raise BadReportRequestError(f"lang must be de or en, not {lang!r}")
    store = app_state(request).sessions.store
    found = await anyio.to_thread.run_sync(
        session_with_history, store, session_id, access.shared_view
    )
    if found is None:
        raise SessionGoneError(f"no session {session_id}")
    await audit_read(request, access, "report")
    analysis, history = found
    chosen = lang or ("de" if analysis.get("language") == "de" else "en")
    body = await anyio.to_thread.run_sync(_render, analysis, history, format, chosen)
    headers = {}
    if format == "pdf":
        headers["Content-Disposition"] = f'inline; filename="praesent-report-{session_id}.pdf"'
    return Response(body, media_type=_MEDIA[format], headers=headers)
