"""Map praesent's exceptions to HTTP statuses and a JSON error body, only here at the edge."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from praesent.errors import ModelError, PraesentError, TooLargeError
from praesent.store.errors import is_nul_error


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


_BY_CODE = {
    "not_found": 404,
    "unauthorized": 401,
    "oidc_failed": 401,
    "forbidden": 403,
    "csrf_failed": 403,
    "conflict": 409,
    "rate_limited": 429,
    "quota_exceeded": 429,
    "store_unavailable": 503,
    "provider_unavailable": 503,
    "queue_unavailable": 503,
    "object_store_unavailable": 503,
}


def status_of(error: PraesentError) -> int:
    """The HTTP status of one of praesent's errors."""
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
        error_body(error.code, error.message), status_code=status_of(error), headers=headers
    )


async def _invalid_request(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        f"{'.'.join(str(part) for part in problem.get('loc', ()))}: {problem.get('msg', '')}"
        for problem in error.errors()[:3]
    ]
    return JSONResponse(error_body("invalid_request", "; ".join(problems)), status_code=422)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400:
        # A body that is not JSON: invalid input like any other, one status for it.
        return JSONResponse(error_body("invalid_request", str(error.detail)), status_code=422)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(error.detail)),
        status_code=error.status_code,
        headers=dict(error.headers or {}),
    )


async def _data_error(_request: Request, error: Exception) -> JSONResponse:
    """Text with a NUL character, which PostgreSQL refuses, is invalid input (422) wherever a
    store did not translate it already; the statement and its parameters are not logged."""
    if not is_nul_error(error):
        raise error
    message = "text with a NUL character cannot be stored"
    return JSONResponse(error_body("invalid_request", message), status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PraesentError, _praesent_error)
    # One error shape for every 422, the framework's validation included.
    app.add_exception_handler(RequestValidationError, _invalid_request)
