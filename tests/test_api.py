"""POST /v1/analyses on the real app with the real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.settings import Settings
from tests.local_client import LocalClient
from tests.support import shared, wer


@pytest.fixture(scope="module")
def client(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        models_dir=Settings().model_root,
        max_upload_mb=3,
    )
    app = create_app(settings, load=lambda _settings: engines)
    with LocalClient(app) as test_client:
        yield test_client


def _post(client: TestClient, path: Path, **form: str) -> tuple[int, dict[str, object]]:
    with path.open("rb") as handle:
        response = client.post(
            "/v1/analyses", files={"file": (path.name, handle, "audio/wav")}, data=form
        )
    return response.status_code, response.json()


def test_upload_gives_the_same_analysis_as_the_cli_core(
    client: TestClient, phonecall_stereo: Path, phonecall_stereo_analysis: dict[str, Any]
) -> None:
    status, body = _post(client, phonecall_stereo, channels="seller,customer")
    assert status == 200
    roles = body["roles"]
    assert isinstance(roles, dict)
    assert roles["seller"]["talk_s"] > 5 and roles["customer"]["talk_s"] > 5
    assert any("Sheila" in u["text"] for u in body["utterances"])  # type: ignore[union-attr]
    # The same file through the CLI's core: the same figures, within a VAD frame or two.
    core = phonecall_stereo_analysis
    assert body["language"] == core["language"]
    assert body["duration_s"] == pytest.approx(core["duration_s"], abs=0.01)
    for role in ("seller", "customer"):
        assert roles[role]["talk_s"] == pytest.approx(core["roles"][role]["talk_s"], abs=0.05)
    assert body["seller_share"] == pytest.approx(core["seller_share"], abs=0.005)
    assert body["monologue_longest_s"] == pytest.approx(core["monologue_longest_s"], abs=0.1)
    for kind in ("interruptions", "backchannels", "early_starts"):
        events: Any = body[kind]
        found = [(e["by"], e["at_s"]) for e in events]
        expected = [(e["by"], e["at_s"]) for e in core[kind]]
        assert [by for by, _ in found] == [by for by, _ in expected], (kind, found, expected)
        for (_, at), (_, core_at) in zip(found, expected, strict=True):
            assert at == pytest.approx(core_at, abs=0.1), (kind, found, expected)
    utterances: Any = body["utterances"]
    assert len(utterances) == len(core["utterances"])
    spoken = " ".join(u["text"] for u in utterances)
    assert wer(" ".join(u["text"] for u in core["utterances"]), spoken) <= 0.05, spoken


def test_bad_uploads_get_json_errors_and_the_server_keeps_serving(
    client: TestClient, tmp_path: Path
) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not audio\n" * 100)
    status, body = _post(client, text)
    assert status == 422
    assert body["error"]["code"] == "bad_audio"  # type: ignore[index]

    status, body = _post(client, shared("de-read-1spk/test_de.wav"), channels="seller,boss")
    assert status == 422 and body["error"]["code"] == "bad_channels"  # type: ignore[index]

    # One channel cannot carry two roles.
    status, body = _post(client, shared("en-phonecall-2spk/sample.wav"))
    assert status == 422 and "has 1 channel" in body["error"]["message"]  # type: ignore[index]

    big = tmp_path / "big.wav"
    big.write_bytes(shared("en-phonecall-2spk/sample.wav").read_bytes() * 4)
    status, body = _post(client, big, mono="true")
    assert status == 413 and body["error"]["code"] == "too_large"  # type: ignore[index]

    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    status, body = _post(client, empty, mono="true")
    assert status == 422 and "empty" in body["error"]["message"]  # type: ignore[index]

    assert client.get("/healthz").json()["status"] == "ok"
    status, body = _post(client, shared("de-read-1spk/test_de.wav"), mono="true")
    assert status == 200 and body["language"] == "de"
