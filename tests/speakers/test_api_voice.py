"""Voice profiles and mono attribution over the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.settings import Settings
from tests.local_client import LocalClient
from tests.support import shared


@pytest.fixture(scope="module")
def client(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), models_dir=Settings().model_root)
    app = create_app(settings, load=lambda _settings: engines)
    with LocalClient(app) as test_client:
        yield test_client


def _upload(client: TestClient, url: str, path: Path, **form: str) -> tuple[int, dict[str, object]]:
    with path.open("rb") as handle:
        response = client.post(url, files={"file": (path.name, handle, "audio/wav")}, data=form)
    return response.status_code, response.json()


def test_enrol_analyse_and_delete_over_the_api(client: TestClient, speaker_files: Path) -> None:
    call = shared("en-phonecall-2spk/sample.wav")
    status, body = _upload(client, "/v1/analyses", call, mono="true", seller="diane")
    assert status == 422 and "praesent voice enroll" in body["error"]["message"]  # type: ignore[index]
    status, body = _upload(client, "/v1/voice-profiles/diane", call)
    assert status == 422 and "2 voices" in body["error"]["message"]  # type: ignore[index]
    status, body = _upload(client, "/v1/voice-profiles/diane", speaker_files / "diane.wav")
    assert status == 200 and body["samples"] == 1
    [listed] = client.get("/v1/voice-profiles").json()
    assert listed["seller_id"] == "diane" and listed["samples"] == 1
    status, body = _upload(client, "/v1/analyses", call, mono="true", seller="diane", language="en")
    assert status == 200, body
    assert body["roles_from"] == "attribution" and body["seller_from"] == "profile"
    assert len(body["speakers"]) == 2  # type: ignore[arg-type]
    deleted = client.delete("/v1/voice-profiles/diane").json()
    assert deleted == {"seller_id": "diane", "deleted_samples": 1}
    assert client.get("/v1/voice-profiles").json() == []
