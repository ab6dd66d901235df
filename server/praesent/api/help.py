"""The manual at ``/help``: the MkDocs site of ``docs/``, served offline by praesent itself.

``make docs`` (which ``make run`` and ``make test`` run) builds it into the package, at
``praesent/help_site`` (git-ignored: built, never committed); ``PRAESENT_HELP_DIR`` names another
build. When there is none, ``/help`` answers 404 with a page that says how to build it, so a
source checkout without it still serves everything else.

The manual holds no data: like the overlay's page it is public in every mode (a token server
and a server with accounts too); the Host allow-list still applies.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import praesent

HELP = "/help"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>praesent: the manual is not built</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40em; margin: 2em auto; }</style>
</head>
<body>
<h1>The manual is not built</h1>
<p>This server has no copy of its manual. In the source checkout, run <code>make docs</code>
(<code>make run</code> does it too) and reload this page.</p>
<p lang="de">Das Handbuch ist nicht gebaut: im Quellverzeichnis <code>make docs</code> ausführen
und die Seite neu laden.</p>
<p>The same manual, as Markdown: the <code>docs/</code> folder of the repository.</p>
<p><a href="/">Back to praesent</a></p>
</body></html>
"""


def help_dir() -> Path | None:
    """The built manual: ``PRAESENT_HELP_DIR`` when set, else ``praesent/help_site``; None when
    it holds no ``index.html``."""
    override = os.environ.get("PRAESENT_HELP_DIR")
    candidate = Path(override) if override else Path(str(resources.files(praesent) / "help_site"))
    return candidate if (candidate / "index.html").is_file() else None


async def _not_built(request: Request) -> HTMLResponse:
    return HTMLResponse(NOT_BUILT, status_code=404)


async def _to_folder(request: Request) -> RedirectResponse:
    """``/help`` is the folder ``/help/``: the site's links are relative to it (the mount alone
    does not match ``/help``, which the overlay's mount at ``/`` would answer with a 404)."""
    return RedirectResponse(request.url.replace(path=request.url.path + "/"), status_code=307)


def install_help(app: FastAPI) -> None:
    """Mount the manual at ``/help`` (before the overlay's mount at ``/``)."""
    directory = help_dir()
    if directory is None:
        app.add_route(HELP, _not_built, include_in_schema=False)
        app.add_route(HELP + "/{path:path}", _not_built, include_in_schema=False)
        return
    app.add_route(HELP, _to_folder, include_in_schema=False)
    # html=True: /help/overlay/ serves overlay/index.html, and a missing page MkDocs's 404.html.
    app.mount(HELP, StaticFiles(directory=directory, html=True), name="help")
