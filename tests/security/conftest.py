"""Real servers for the security tests: `praesent serve` in its own process and, for sign-in,
panva's oidc-provider on Node (tests/team/oidc_provider)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from praesent.store import EventStore
from tests.live_server import ServerProcess, free_port
from tests.overlay.conftest import require

PROVIDER_DIR = Path(__file__).parents[1] / "team" / "oidc_provider"
Prepare = Callable[[EventStore], None]


def _start_provider(folder: Path, redirect: str) -> tuple[subprocess.Popen[bytes], str]:
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("oidc-provider is not installed: run scripts/install-system-deps.sh")
    port = free_port()
    with (folder / "provider.log").open("wb") as log:
        process = subprocess.Popen(
            [require("node"), str(PROVIDER_DIR / "provider.mjs"), str(port), redirect],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                return process, issuer
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the OpenID Connect provider did not start")


@pytest.fixture(scope="module")
def oidc_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    """A team server signing in through the provider. A test module may define
    ``prepare_accounts(store)`` to create accounts before the server starts."""
    folder = tmp_path_factory.mktemp("oidc")
    port = free_port()
    provider, issuer = _start_provider(folder, f"http://127.0.0.1:{port}/v1/auth/oidc/callback")
    prepare: Prepare | None = getattr(request.module, "prepare_accounts", None)
    with EventStore(f"sqlite:///{folder / 'praesent.db'}") as store:
        store.migrate()
        store.people.create_team("Team A")
        if prepare is not None:
            prepare(store)
        else:
            store.people.create_user("admin@example.com", "admin")
    server = ServerProcess(
        folder,
        port=port,
        PRAESENT_OIDC_ISSUER=issuer,
        PRAESENT_OIDC_CLIENT_ID="praesent",
        PRAESENT_OIDC_CLIENT_SECRET="praesent-secret",
    )
    try:
        yield server.start()
        server.stop()
    finally:
        provider.terminate()
        provider.wait(timeout=10)
