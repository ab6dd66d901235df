"""The manual at ``/help``: ``docs/`` built with ``mkdocs build --strict`` (a broken link, anchor
or image fails the build), served by praesent itself, offline and without credentials; without a
build, a 404 page that says how to make one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.settings import Settings
from tests.local_client import LocalClient

ROOT = Path(__file__).resolve().parents[1]
# What a page loads by itself: scripts, images, styles and icons (not the links a reader follows).
_LOADED = re.compile(r"""<(?:script|img)\b[^>]*\bsrc="([^"]+)"|<link\b[^>]*\bhref="([^"]+)\"""")


def _never_loaded(settings: Settings) -> Engines:
    raise AssertionError("the manual's pages need no models")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The manual as `make docs` builds it (here into a folder of the test's own)."""
    out = tmp_path_factory.mktemp("help") / "site"
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT,
        # Without Material's banner about MkDocs 2.0, so a failure's message is the build's own.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stderr[-4000:]}"
    return out


def _client(monkeypatch: pytest.MonkeyPatch, help_dir: Path, settings: Settings) -> LocalClient:
    monkeypatch.setenv("PRAESENT_HELP_DIR", str(help_dir))
    # No lifespan (no `with`): static pages need neither models nor the store.
    return LocalClient(create_app(settings, load=_never_loaded))


def _loaded(html: str) -> set[str]:
    return {src or href for src, href in _LOADED.findall(html)}


@pytest.mark.parametrize(
    ("page", "text"),
    [
        ("/help", "Sei präsent"),
        ("/help/overlay/", "Join a live call"),
        ("/help/report/", "The coaching report"),
        ("/help/de/", "Drei Wege, praesent zu nutzen"),
        ("/help/de/overlay/", "Einem Gespräch beitreten"),
        ("/help/security/", "Threat model"),
    ],
)
def test_help_serves_the_built_manual_offline(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, text: str
) -> None:
    client = _client(monkeypatch, site, Settings(data_dir=tmp_path))
    answer = client.get(page, follow_redirects=True)
    assert answer.status_code == 200, page
    assert "text/html" in answer.headers["content-type"]
    assert text in answer.text, page
    url = str(answer.url)
    loaded = _loaded(answer.text)
    assert loaded, page
    for asset in loaded:
        assert "://" not in asset and not asset.startswith("//"), f"{page} loads {asset}"
        target = urlsplit(urljoin(url, asset)).path
        assert target.startswith("/help/"), (page, asset)
        fetched = client.get(target)
        assert fetched.status_code == 200, (page, asset)
        assert len(fetched.content) > 0, (page, asset)


def test_the_manuals_screenshots_render(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(monkeypatch, site, Settings(data_dir=tmp_path))
    for page in ("/help/", "/help/overlay/", "/help/de/overlay/", "/help/team-server/"):
        answer = client.get(page)
        images = [a for a in _loaded(answer.text) if a.endswith(".png")]
        assert images, page
        for image in images:
            fetched = client.get(urlsplit(urljoin(str(answer.url), image)).path)
            assert fetched.status_code == 200, (page, image)
            assert fetched.headers["content-type"] == "image/png", (page, image)
            assert fetched.content.startswith(b"\x89PNG"), (page, image)


def test_a_missing_page_gets_the_manuals_404(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(monkeypatch, site, Settings(data_dir=tmp_path))
    answer = client.get("/help/no-such-page/")
    assert answer.status_code == 404
    assert "praesent" in answer.text


def test_help_is_public_on_a_token_server(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The manual holds no data: like the overlay's page, it needs no token.
    client = _client(monkeypatch, site, Settings(data_dir=tmp_path, api_token="s3cret-token"))
    assert client.get("/help/").status_code == 200
    assert client.get("/help/de/overlay/").status_code == 200


def test_an_unbuilt_manual_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-manual"
    empty.mkdir()
    client = _client(monkeypatch, empty, Settings(data_dir=tmp_path))
    for page in ("/help", "/help/", "/help/overlay/"):
        answer = client.get(page)
        assert answer.status_code == 404, page
        assert "text/html" in answer.headers["content-type"]
        assert "The manual is not built" in answer.text
        assert "make docs" in answer.text
    # Everything else is served as before.
    assert client.get("/").status_code == 200
