"""Serve the overlay (the static page in ``client/``) at the root of the server."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import praesent


def client_dir() -> Path | None:
    """Where the overlay's files are: ``PRAESENT_CLIENT_DIR``, the copy inside the installed
    package (``praesent/client_web`` in a wheel; a link to ``client/`` in a checkout), or the
    checkout's ``client/`` beside ``server/``."""
    override = os.environ.get("PRAESENT_CLIENT_DIR")
    candidates = [Path(override)] if override else []
    packaged = resources.files(praesent) / "client_web"
    candidates.append(Path(str(packaged)))
    candidates.append(Path(praesent.__file__).resolve().parents[2] / "client")
    for candidate in candidates:
        if (candidate / "index.html").is_file():
            return candidate
    return None


def install_overlay(app: FastAPI) -> None:
    """Mount the overlay at ``/``; call it after every other route so those win."""
    directory = client_dir()
    if directory is None:
        return  # a server without its web client still serves the API
    app.mount("/", StaticFiles(directory=directory, html=True), name="overlay")
