"""The OpenAPI document: every status the API may return is documented with the JSON error
body, and every route that needs credentials says so."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, BeforeValidator, Field

from praesent.team.access import Rule

_DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid credentials",
    403: "Not allowed for these credentials",
    404: "Not found (or not yours to see)",
    409: "Conflicts with the current state",
    413: "Too large",
    422: "Invalid input",
    429: "Too many attempts",
    503: "A model, the database, the job queue or the object store is unavailable",
}


EMAIL = Field(max_length=320, pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")


def _iso_only(value: object) -> object:
    # pydantic would read "0.5" as a Unix time; the document says date-time, so only ISO 8601.
    if isinstance(value, str) and not _ISO.match(value):
        raise ValueError("an ISO 8601 date-time, e.g. 2026-11-30T09:00:00Z")
    return value


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The route's error answers; 422 (invalid input, in the same body) always."""
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]}
        for status in sorted({*statuses, 422})
    }


SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "A personal access token"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": "praesent_session"},
}


def document_security(app: FastAPI) -> None:
    """Mark every route that needs credentials (its guard says so) and describe the two ways
    to present them."""
    from praesent.api.auth import rule_of

    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        rules = {rule_of(dependency.call) for dependency in route.dependant.dependencies}
        if rules - {None, Rule.PUBLIC, Rule.PROBE}:
            route.openapi_extra = {
                **(route.openapi_extra or {}),
                "security": [{"bearer": []}, {"cookie": []}],
            }

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                routes=app.routes,
                description=app.description,
            )
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
