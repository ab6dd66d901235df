from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.settings import Settings
from tests.local_client import LocalClient
from tests.team.world import World

# Seconds, not minutes: a failed delivery is tried again after 0.05 s, doubling to 0.4 s at
# most (the defaults are 5 s to an hour, for a day).
FAST_RETRIES = {
    "webhook_min_backoff_s": 0.05,
    "webhook_max_backoff_s": 0.4,
    "webhook_poll_s": 0.05,
    "webhook_timeout_s": 5.0,
}
PUBLIC_URL = "https://praesent.example.com"


@pytest.fixture(scope="module")
def hooks_server(
    engines: Engines,
    phonecall_stereo_analysis: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, World]]:
    """A team server whose admin allows receivers on this machine over http (the test's own
    receiver on 127.0.0.1)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("hooks"),
        api_token=None,
        database_url=None,
        public_url=PUBLIC_URL,
        webhooks_allow_private=True,
        webhooks_allow_http=True,
        **FAST_RETRIES,
    )
    app = create_app(settings, load=lambda _settings: engines)
    with LocalClient(app) as client:
        yield client, World.build(app.state.praesent.sessions.store, phonecall_stereo_analysis)
