from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.settings import Settings
from praesent.store import EventStore
from tests.local_client import LocalClient
from tests.store.conftest import postgres_schema
from tests.team.world import World


@pytest.fixture(scope="session")
def call_analysis(phonecall_stereo_analysis: dict[str, Any]) -> dict[str, Any]:
    """The real analysis of the two-channel phone call, as a stored session would hold it."""
    return phonecall_stereo_analysis


@pytest.fixture(scope="module")
def team_server(
    engines: Engines,
    call_analysis: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, World]]:
    data_dir = tmp_path_factory.mktemp("team")
    # The relay looks for due webhooks once, at the start: the access matrix makes endpoints,
    # and nothing may be sent to them from here.
    settings = Settings(data_dir=data_dir, api_token=None, database_url=None, webhook_poll_s=3600)
    app = create_app(settings, load=lambda _settings: engines)
    with LocalClient(app) as client:
        store: EventStore = app.state.praesent.sessions.store
        yield client, World.build(store, call_analysis)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on this machine's PostgreSQL (required), dropped afterwards."""
    with postgres_schema("praesent_team") as url:
        yield url
