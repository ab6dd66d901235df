"""Dashboards: a seller's own trends, a coach's team view (built only from shared calls);
each as HTML (the page), JSON (the figures behind it) and CSV (what the page shows)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Request, Response

from praesent.api.auth import Access, guard
from praesent.api.docs import errors
from praesent.api.state import app_state
from praesent.store import EventStore, SessionQuery, UserRecord
from praesent.team.access import Principal, Rule
from praesent.team.dashboard_pages import summaries_csv, team_html, trends_html
from praesent.team.dashboards import (
    SellerTrend,
    by_week,
    call_figures,
    seller_trend,
    trend_json,
)

router = APIRouter(prefix="/v1", tags=["dashboards"])
Format = Literal["html", "json", "csv"]
Lang = Literal["de", "en"]
_MEDIA = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8"}
_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {},
            "text/html": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}


def _trend(store: EventStore, email: str, query: SessionQuery) -> SellerTrend:
    calls = [
        call_figures(
            r.id,
            r.title,
            r.started_at,
            r.analysis,
            r.customer_informed,
            company=r.customer.company if r.customer else None,
        )
        for r in store.list_sessions(query=query)
        if r.analysis is not None
    ]
    return seller_trend(email, calls)


def _own_trend(store: EventStore, principal: Principal) -> SellerTrend:
    user = principal.user
    if user is None:
        return _trend(store, "local", SessionQuery(local_owner=True))
    return _trend(store, user.email, SessionQuery(owner_id=user.id))


def _team_trends(store: EventStore, team_id: str) -> tuple[str, list[SellerTrend]]:
    team = store.people.team(team_id)
    name = team.name if team is not None else team_id
    sellers: list[UserRecord] = [m for m in store.people.members(team_id) if m.role == "seller"]
    trends = [
        _trend(store, seller.email, SessionQuery(owner_id=seller.id, shared_by=[seller.id]))
        for seller in sellers
    ]
    return name, trends


def _answer(fmt: Format, html: str, data: dict[str, Any], csv_text: str, filename: str) -> Response:
    if fmt == "html":
        return Response(html, media_type=_MEDIA["html"])
    if fmt == "csv":
        return Response(
            csv_text,
            media_type=_MEDIA["csv"],
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    from fastapi.responses import JSONResponse

    return JSONResponse(data)


@router.get("/me/trends", responses={**_CONTENT, **errors(401, 403)}, response_class=Response)
async def my_trends(
    request: Request,
    access: Annotated[Access, guard(Rule.USER)],
    format: Format = "json",
    lang: Lang = "en",
) -> Response:
    """Your calls by week: talk share against the reference band, interruptions and
    backchannels per 10 minutes, open and closed questions, the longest monologue and customer
    story, cues shown and acted on."""
    store = app_state(request).sessions.store
    trend = await anyio.to_thread.run_sync(_own_trend, store, access.principal)
    csv_href = f"/v1/me/trends?format=csv&lang={lang}"
    return _answer(
        format,
        trends_html(trend, lang, csv_href),
        trend_json(trend),
        summaries_csv(trend.weeks, "week"),
        "praesent-trends",
    )


@router.get("/teams", responses=errors(401, 403))
async def my_teams(
    request: Request, access: Annotated[Access, guard(Rule.USER)]
) -> list[dict[str, Any]]:
    """The teams you are in; ``coach`` tells which of them you coach (their dashboards)."""
    user = access.principal.user
    if user is None:
        return []
    return [{**team.fields(), "coach": user.role == "coach"} for team in user.teams]


@router.get(
    "/teams/{team_id}/dashboard",
    responses={**_CONTENT, **errors(401, 403, 404)},
    response_class=Response,
)
async def team_dashboard(
    request: Request,
    team_id: str,
    access: Annotated[Access, guard(Rule.TEAM_COACH)],
    format: Format = "json",
    lang: Lang = "en",
) -> Response:
    """The team's sellers side by side and the team's weekly trend, from shared calls only;
    each call links to its report. Every call read here goes into its seller's audit log."""
    store = app_state(request).sessions.store
    name, sellers = await anyio.to_thread.run_sync(_team_trends, store, team_id)
    coach = access.principal.user
    assert coach is not None

    def audit() -> None:
        for seller in sellers:
            owner = store.people.user_by_email(seller.email)
            for call in seller.calls:
                if owner is not None:
                    store.people.record_read(owner.id, coach, call.session_id, "team dashboard")

    await anyio.to_thread.run_sync(audit)
    weeks = by_week(call for seller in sellers for call in seller.calls)
    data = {
        "team": {"id": team_id, "name": name},
        "sellers": [trend_json(seller) for seller in sellers],
        "weeks": [week.fields() for week in weeks],
    }
    csv_href = f"/v1/teams/{team_id}/dashboard?format=csv&lang={lang}"
    report = "/v1/sessions/{session_id}/report?lang={lang}"
    return _answer(
        format,
        team_html(name, sellers, weeks, lang, csv_href, report),
        data,
        summaries_csv([seller.overall for seller in sellers], "seller"),
        "praesent-team",
    )
