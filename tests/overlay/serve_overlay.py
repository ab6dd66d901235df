"""``praesent serve`` with the overlay: the real app factory, plus ``install_overlay`` when the app
does not mount it itself yet. The overlay tests run ``python serve_overlay.py PORT``."""

from __future__ import annotations

import sys

import uvicorn
from starlette.routing import Mount

from praesent.api.app import create_app
from praesent.api.overlay import install_overlay
from praesent.settings import Settings


def main() -> None:
    settings = Settings().model_copy(update={"port": int(sys.argv[1])})
    app = create_app(settings)
    if not any(isinstance(route, Mount) and route.path == "" for route in app.routes):
        install_overlay(app)
    uvicorn.run(app, host="127.0.0.1", port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
