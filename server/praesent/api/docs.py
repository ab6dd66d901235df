"""The error answers of a route, for the OpenAPI document: every status the API may return is
documented, with the JSON error body."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid credentials",
    403: "Not allowed for these credentials",
    404: "Not found (or not yours to see)",
    409: "Conflicts with the current state",
    413: "Too large",
    422: "Invalid input",
    429: "Too many attempts",
    503: "A model or the database is unavailable",
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses
    }
