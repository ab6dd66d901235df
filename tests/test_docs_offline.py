"""``/docs`` and ``/redoc`` work without internet: every script and style they load is served by
praesent itself, and Swagger UI renders in Chromium with every request off the server refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live_server import ServerProcess
from tests.overlay.conftest import CHROMIUM, require

_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("docs-server")).start()
    yield process
    process.stop()


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            "/docs",
            {
                "/docs/assets/swagger-ui-bundle.js": "javascript",
                "/docs/assets/swagger-ui.css": "text/css",
                "/docs/assets/favicon.png": "image/png",
            },
        ),
        (
            "/redoc",
            {
                "/docs/assets/redoc.standalone.js": "javascript",
                "/docs/assets/favicon.png": "image/png",
            },
        ),
    ],
)
def test_documentation_assets_come_from_praesent(
    server: ServerProcess, page: str, expected: dict[str, str]
) -> None:
    answer = httpx.get(server.http + page, timeout=10)
    assert answer.status_code == 200
    html = answer.text
    assert "://" not in html, "the page names an address on another server"
    assets = set(_ASSET.findall(html))
    assert assets == set(expected), assets
    for path, kind in expected.items():
        asset = httpx.get(server.http + path, timeout=10)
        assert asset.status_code == 200, path
        assert kind in asset.headers["content-type"], (path, asset.headers["content-type"])
        assert len(asset.content) > 500, path


def test_swagger_ui_renders_offline(server: ServerProcess, tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    refused: list[str] = []

    def only_praesent(route: Route) -> None:
        if route.request.url.startswith(server.http + "/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=require(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(locale="en-US")
            context.route("**/*", only_praesent)
            page = context.new_page()
            page.goto(server.http + "/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
            title = page.inner_text(".swagger-ui .info .title")
            # The API's operations are listed, e.g. the upload of a recording.
            page.wait_for_selector(".opblock-summary-path", timeout=30_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()
    assert title.startswith("praesent"), title
    assert any("/v1/analyses" in path for path in paths), paths[:10]
    assert refused == []
