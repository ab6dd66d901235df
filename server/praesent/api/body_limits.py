"""Request bodies: who sends one and how large it may be, decided before a byte of it is read.

A pure ASGI middleware (#22 items 4 and 5), inside the Host guard and outside every route:

* The upload routes (``POST /v1/analyses``, ``POST /v1/jobs``, ``POST /v1/voice-profiles/*``)
  check the credentials first: without valid ones the answer is 401 (403 for a browser
  without its CSRF token) and the body is never read, so nothing is spooled to disk. Their
  limit is ``PRAESENT_MAX_UPLOAD_MB`` (plus 64 KiB for the multipart form around the file).
* Every other request body (JSON) may be 64 KiB at most.
* A declared ``Content-Length`` over the limit answers 413 at once; a body without one (chunked)
  is counted as it streams and answered 413 as soon as it passes the limit. Either way the
  answer says ``Connection: close`` and the server drops the rest of the body with the
  connection instead of reading it.

The route's own guard still applies the access rule and scopes; this only keeps strangers and
oversized bodies from costing memory and disk.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praesent.api.auth import CsrfError, principal_of
from praesent.api.errors import error_body, status_of
from praesent.api.state import app_state
from praesent.errors import PraesentError

JSON_LIMIT = 64 * 1024
FORM_SLACK = 64 * 1024
_UPLOAD_PATHS = ("/v1/analyses", "/v1/jobs")
_UPLOAD_PREFIX = "/v1/voice-profiles/"


def is_upload(path: str) -> bool:
    """The routes that take a file (multipart), under the upload limit."""
    return path.rstrip("/") in _UPLOAD_PATHS or path.startswith(_UPLOAD_PREFIX)


class _BodyTooLargeError(Exception):
    pass


def _answer(status: int, code: str, message: str) -> JSONResponse:
    # The unread rest of the body goes with the connection.
    return JSONResponse(
        error_body(code, message), status_code=status, headers={"Connection": "close"}
    )


def _too_large(limit: int) -> JSONResponse:
    if limit >= 1024 * 1024:
        size = f"{(limit - FORM_SLACK) // (1024 * 1024)} MB"
    else:
        size = f"{limit // 1024} KiB"
    return _answer(413, "too_large", f"the request body is over the limit of {size}")


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        upload = is_upload(scope["path"]) and scope["method"] == "POST"
        if upload:
            refusal = await self._refusal(connection)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            limit = app_state(connection).settings.max_upload_mb * 1024 * 1024 + FORM_SLACK
        else:
            limit = JSON_LIMIT
        declared = connection.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to the cut body (a parse error) gives way to 413
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except _BodyTooLargeError:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _too_large(limit)(scope, receive, send)

    @staticmethod
    async def _refusal(connection: HTTPConnection) -> JSONResponse | None:
        """401 or 403 for an upload without valid credentials, before its body is read."""
        try:
            principal, _csrf = await principal_of(connection)
        except CsrfError as error:
            return _answer(403, error.code, error.message)
        except PraesentError as error:  # the store is unavailable
            return _answer(status_of(error), error.code, error.message)
        if principal is None:
            return _answer(401, "unauthorized", "sign in or send a valid token")
        return None
