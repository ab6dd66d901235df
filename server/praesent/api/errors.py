"""Map praesent's exceptions to HTTP statuses and a JSON error body, only here at the edge."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from praesent.errors import ModelError, PraesentError, TooLargeError


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


_BY_CODE = {
    "not_found": 404,
    "unauthorized": 401,
    "forbidden": 403,
    "csrf_failed": 403,
    "conflict": 409,
    "rate_limited": 429,
    "store_unavailable": 503,
}


def _status(error: PraesentError) -> int:
    if error.code in _BY_CODE:
        return _BY_CODE[error.code]
    if error.code == "session_live":
        return 409
    if error.code == "report_render_failed":
        return 503
    if isinstance(error, TooLargeError):
        return 413
    if isinstance(error, ModelError):
        return 503
    return 422


async def _praesent_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PraesentError)
    headers = {}
    retry_after = getattr(error, "retry_after_s", None)
    if isinstance(retry_after, float | int):
        headers["Retry-After"] = str(max(1, round(retry_after)))
    return JSONResponse(
        error_body(error.code, error.message), status_code=_status(error), headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PraesentError, _praesent_error)
