"""Methods a path supports, for ``Allow``: answered on OPTIONS and with every 405.

Starlette answers 405 from the first route whose path matches, but one path may be served by
several routes (GET and DELETE /v1/sessions/{id}); here all of them count, as in the OpenAPI
document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match

from praesent.api.errors import error_body


def allowed_methods(app: FastAPI, request: Request) -> set[str]:
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.include_in_schema is False:
            continue
        match, _ = context.matches({**request.scope, "method": "GET", "type": "http"})
        if match is not Match.NONE:
            methods |= set(context.methods or ())
    return methods


def method_middleware(
    app: FastAPI,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def check(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not request.url.path.startswith(("/v1/", "/healthz", "/readyz", "/metrics")):
            return await call_next(request)
        methods = allowed_methods(app, request)
        if not methods:
            return await call_next(request)
        allow = ", ".join(sorted(methods | {"OPTIONS"}))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allow})
        if request.method not in methods | ({"HEAD"} if "GET" in methods else set()):
            return JSONResponse(
                error_body("method_not_allowed", f"{request.method} is not allowed here"),
                status_code=405,
                headers={"Allow": allow},
            )
        return await call_next(request)

    return check
