"""The jobs API without a queue, and one user's job hidden from another."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.settings import Settings
from praesent.store import EventStore
from praesent.team.accounts import issue_token
from tests.local_client import LocalClient
from tests.support import shared


@pytest.fixture(scope="module")
def client(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("no-queue"),
        database_url=None,
        models_dir=Settings().model_root,
    )
    assert settings.redis_url is None
    with LocalClient(create_app(settings, load=lambda _settings: engines)) as test_client:
        yield test_client


def test_without_a_queue_an_upload_is_checked_then_refused(client: TestClient) -> None:
    recording = shared("en-stereo-2ch/stereo_diarization.wav")
    files = {"file": (recording.name, recording.read_bytes(), "audio/wav")}
    refused = client.post("/v1/jobs", files=files)
    assert refused.status_code == 503
    error = refused.json()["error"]
    assert error["code"] == "queue_unavailable" and "PRAESENT_REDIS_URL" in error["message"]
    # A file that does not fit its options is refused before the queue is asked.
    mono = shared("de-read-1spk/test_de.wav")
    wrong = client.post("/v1/jobs", files={"file": (mono.name, mono.read_bytes(), "audio/wav")})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "bad_channels"
    not_audio = client.post("/v1/jobs", files={"file": ("x.wav", b"not audio", "audio/wav")})
    assert not_audio.status_code == 422 and not_audio.json()["error"]["code"] == "bad_audio"
    # So are a one-channel call's attribution options, as POST /v1/analyses checks them.
    for field, value, named in (
        ("diarizer", "magic", "--diarizer"),
        ("seller_speaker", "loudest", "first"),
        ("seller", "nobody", "nobody"),
    ):
        bad = client.post(
            "/v1/jobs",
            files={"file": (mono.name, mono.read_bytes(), "audio/wav")},
            data={"mono": "true", field: value},
        )
        assert bad.status_code == 422, (field, bad.json())
        assert named in bad.json()["error"]["message"], (field, bad.json())


def test_a_job_is_seen_by_its_uploader_only(client: TestClient) -> None:
    store: EventStore = client.app.state.praesent.sessions.store  # type: ignore[attr-defined]
    tokens = {}
    for name in ("ada", "ben"):
        user = store.people.create_user(f"{name}@example.com", "seller")
        tokens[name] = {"Authorization": f"Bearer {issue_token(store.people, user, 't').token}"}
    ada = store.people.user_by_email("ada@example.com")
    assert ada is not None
    job_id = uuid4().hex
    store.jobs.create(job_id, "analysis", ada.id, {"mono": True}, "call.wav", f"{job_id}.wav")
    seen = client.get(f"/v1/jobs/{job_id}", headers=tokens["ada"])
    assert seen.status_code == 200
    job = seen.json()
    assert job["status"] == "queued" and job["progress"] == 0 and "analysis" not in job
    assert job["filename"] == "call.wav" and job["error"] is None
    hidden = client.get(f"/v1/jobs/{job_id}", headers=tokens["ben"])
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    assert client.get(f"/v1/jobs/{job_id}").status_code == 401
    assert client.get(f"/v1/jobs/{uuid4().hex}", headers=tokens["ada"]).status_code == 404
