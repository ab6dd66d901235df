from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.settings import Settings
from praesent.store import Customer, StoredEvent
from tests.crm.hubspot_api import HubSpotApi
from tests.crm.salesforce_api import VERSION, SalesforceApi
from tests.crm.tls import self_signed, server_context
from tests.live_server import free_port
from tests.local_client import LocalClient
from tests.report.helpers import synthetic_analysis
from tests.team.world import World
from tests.webhooks.conftest import FAST_RETRIES, PUBLIC_URL

HUBSPOT_TOKEN = "pat-eu1-11111111-2222-3333-4444-555555555555"
SALESFORCE_TOKEN = "00D5g000004ABCD!AQ0AQH0dMHZfz972Szmpkb58urFRkgeBGsxL_QJWwYMfAbUeeG7c1E6"


@dataclass
class CrmWorld:
    client: TestClient
    world: World
    hubspot: HubSpotApi
    salesforce: SalesforceApi
    settings: Settings

    def call(
        self,
        owner: str,
        email: str | None,
        *,
        send_results: bool | None = None,
    ) -> str:
        """A finished call of ``owner`` with a customer (``email``) and the synthetic
        analysis; ``send_results``: the seller's choice, made through the API during the call."""
        store = self.world.store
        record = store.create_session(
            f"Discovery call {uuid4().hex[:6]}",
            "en",
            customer_informed=True,
            owner_id=self.world.users[owner].id,
            started_at=datetime.now(UTC) - timedelta(hours=1),
            customer=Customer("Grace Hopper", email, "Navy Labs") if email else None,
        )
        store.append(record.id, [StoredEvent(1, "ready", 0.0, {"session_id": record.id})])
        if send_results is not None:
            answer = self.client.put(
                f"/v1/sessions/{record.id}/sending",
                json={"send_results": send_results},
                headers=self.world.headers(owner),
            )
            assert answer.status_code == 200, answer.text
        store.finalise(
            record.id, "finished", self.world.analysis, record.started_at + timedelta(minutes=3)
        )
        store.keep_figures_only_if_due(record.id)  # as the server does after finalising
        return record.id


@pytest.fixture(scope="module")
def crm(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrmWorld]:
    """A team server, a HubSpot stand-in (http) and a Salesforce stand-in (https, its
    certificate trusted through ``crm_ca_bundle``), all on 127.0.0.1; calls analysed by the
    real core from a generated 3-minute conversation (no speech recognition)."""
    folder = tmp_path_factory.mktemp("crm")
    cert, key = self_signed(folder)
    hubspot = HubSpotApi(free_port(), HUBSPOT_TOKEN).start()
    salesforce = SalesforceApi(free_port(), SALESFORCE_TOKEN, server_context(cert, key)).start()
    settings = Settings(
        data_dir=folder,
        api_token=None,
        database_url=None,
        public_url=PUBLIC_URL,
        webhooks_allow_private=True,  # the Salesforce stand-in is on 127.0.0.1
        hubspot_api_url=hubspot.url,
        salesforce_api_version=VERSION,
        crm_ca_bundle=cert,
        **FAST_RETRIES,
    )
    app = create_app(settings, load=lambda _settings: engines)
    analysis: dict[str, Any] = synthetic_analysis(3)
    try:
        with LocalClient(app) as client:
            world = World.build(app.state.praesent.sessions.store, analysis)
            yield CrmWorld(client, world, hubspot, salesforce, app.state.praesent.settings)
    finally:
        hubspot.stop()
        salesforce.stop()
