"""A live call of a known seller adds their own channel's speech to their voice profile: the
two-channel phone call streamed into a real server, then matched in the mono recording."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.api.app import create_app
from praesent.asr.transcriber import Span
from praesent.engines import Engines
from praesent.live.player import stream_file
from praesent.settings import Settings
from praesent.speakers.attribution import SpeakerModels
from praesent.speakers.diarizer import Diarization
from praesent.speakers.own_speech import OwnSpeech, without_overlap
from praesent.speakers.profiles import MIN_ENROLMENT_SPEECH_S, open_profiles, sample_from_clip
from praesent.speakers.roles import PROFILE_THRESHOLD, choose_seller
from praesent.speakers.setup import speaker_attribution
from praesent.store import EventStore
from tests.live_server import ServerProcess
from tests.local_client import LocalClient
from tests.speakers.scoring import mapping
from tests.support import SAMPLE_RATE, Figure, read_wav, rttm_turns, shared
from tests.team.world import World

ROLES = ("seller", "customer")
# Speaker90's reference turns add up to 11.85 s; less is heard once the customer's is cut out.
SELLER_TURNS_S = 11.85
# How far the live profile's similarity to the seller may lie from an enrolment's.
SIMILARITY_TOLERANCE = 0.03


def _settings(data_dir: Path, **values: Any) -> Settings:
    return Settings(data_dir=data_dir, models_dir=Settings().model_root, **values)


def _profiles(settings: Settings) -> list[tuple[str, int, float]]:
    with open_profiles(settings) as profiles:
        return [(seller, n, speech) for seller, _, n, speech, _ in profiles.list_profiles()]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A laptop server: no accounts, the seller named in the start message."""
    process = ServerProcess(tmp_path_factory.mktemp("live-voice")).start()
    yield process
    process.stop()


def test_live_call_teaches_the_sellers_voice(
    server: ServerProcess,
    phonecall_stereo: Path,
    engines: Engines,
    speaker_models: SpeakerModels,
    speaker_files: Path,
    phonecall_diarization: Diarization,
    figure: Figure,
) -> None:
    events: list[dict[str, Any]] = []
    final = asyncio.run(
        stream_file(
            phonecall_stereo,
            ROLES,
            server.ws,
            speed=0,
            language="en",
            seller="diane",
            on_event=events.append,
        )
    )
    assert final["status"] == "finished"
    assert not [e for e in events if e["type"] == "error"]
    settings = _settings(server.data_dir)
    [(seller, samples, speech_s)] = _profiles(settings)
    assert seller == "diane" and samples == 1
    figure("live voice sample seller speech s", speech_s, f"{MIN_ENROLMENT_SPEECH_S}..11.85")
    assert MIN_ENROLMENT_SPEECH_S <= speech_s <= SELLER_TURNS_S, speech_s

    # `praesent analyze sample.wav --mono --seller diane`: the recording the call was made of.
    request = AnalysisRequest(
        channel_roles=(),
        mono=True,
        language="en",
        speakers=speaker_attribution(settings, seller_id="diane"),
    )
    result = analyse_file(shared("en-phonecall-2spk/sample.wav"), request, engines)
    assert result["seller_from"] == "profile" and result["seller_id"] == "diane"
    [found] = [s for s in result["speakers"] if s["role"] == "seller"]
    turns = rttm_turns(shared("en-phonecall-2spk/sample.rttm"))
    diane = [(start, end) for who, start, end in turns if who == "speaker90"]
    heard = sum(
        max(0.0, min(end, segment["end_s"]) - max(start, segment["start_s"]))
        for segment in result["segments"]
        if segment["speaker"] == found["speaker"]
        for start, end in diane
    )
    assert heard >= 0.8 * sum(end - start for start, end in diane), heard

    # An enrolment from the same channel: the seller's reference turns, silences left out.
    enrolled = sample_from_clip(speaker_models, speaker_files / "diane.wav")
    index = int(mapping(phonecall_diarization, turns)["speaker90"][1:]) - 1
    choice = choose_seller(
        phonecall_diarization.centroids, [1.0, 1.0], "first", np.asarray(enrolled.embedding)
    )
    assert choice.similarities is not None
    reference = choice.similarities[index]
    similarity = found["profile_similarity"]
    figure("live voice profile similarity", similarity, f"enrolment {reference:.3f} ± 0.03")
    assert similarity >= PROFILE_THRESHOLD
    assert similarity == pytest.approx(reference, abs=SIMILARITY_TOLERANCE)
    [other] = [s for s in result["speakers"] if s["role"] == "customer"]
    assert other["profile_similarity"] < PROFILE_THRESHOLD, result["speakers"]


def _pcm_frames(path: Path, seconds: float | None = None) -> Iterator[bytes]:
    """The call's interleaved 16-bit frames of 100 ms, as a client sends them."""
    pcm = read_wav(path)
    if seconds is not None:
        pcm = pcm[: round(seconds * SAMPLE_RATE)]
    step = SAMPLE_RATE // 10
    for offset in range(0, pcm.shape[0], step):
        yield pcm[offset : offset + step].astype("<i2").tobytes()


def _call(
    socket: WebSocketTestSession, path: Path, start: dict[str, Any], seconds: float | None = None
) -> list[dict[str, Any]]:
    """One live call on the socket: start, every frame, stop; the events up to the final."""
    socket.send_json({"type": "start", "channels": list(ROLES), "transcribe": False, **start})
    events = [socket.receive_json()]
    for frame in _pcm_frames(path, seconds):
        socket.send_bytes(frame)
    socket.send_json({"type": "stop"})
    while events[-1]["type"] != "final":
        events.append(socket.receive_json())
    return events


@pytest.fixture(scope="module")
def team(
    engines: Engines, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, World]]:
    app = create_app(_settings(tmp_path_factory.mktemp("team-voice")), load=lambda _s: engines)
    with LocalClient(app) as client:
        store: EventStore = app.state.praesent.sessions.store
        yield client, World.build(store, {})


def test_with_accounts_the_profile_is_the_socket_users(
    team: tuple[TestClient, World], phonecall_stereo: Path
) -> None:
    client, world = team
    settings = client.app.state.praesent.settings  # type: ignore[attr-defined]
    ada, ben = world.users["ada"], world.users["ben"]
    with client.websocket_connect(f"/v1/live?token={world.tokens['ada']}") as socket:
        # The start message cannot name another seller on a server with accounts.
        events = _call(socket, phonecall_stereo, {"seller": ben.id})
    assert events[-1]["status"] == "finished"
    [(seller, samples, speech_s)] = _profiles(settings)
    assert seller == ada.id and samples == 1 and speech_s >= MIN_ENROLMENT_SPEECH_S
    listed = client.get("/v1/voice-profiles", headers=world.headers("ada")).json()
    assert [p["seller_id"] for p in listed] == [ada.id]
    assert client.get("/v1/voice-profiles", headers=world.headers("ben")).json() == []


def test_too_little_seller_speech_adds_nothing(
    team: tuple[TestClient, World], phonecall_stereo: Path
) -> None:
    client, world = team
    settings = client.app.state.praesent.settings  # type: ignore[attr-defined]
    # The first 8 s: the seller says "Hello?" (0.4 s) and starts her next turn.
    with client.websocket_connect(f"/v1/live?token={world.tokens['dan']}") as socket:
        events = _call(socket, phonecall_stereo, {}, seconds=8.0)
    assert events[-1]["status"] == "finished"
    assert not [e for e in events if e["type"] == "error"]
    assert world.users["dan"].id not in [seller for seller, _, _ in _profiles(settings)]


def test_the_setting_turns_it_off(engines: Engines, phonecall_stereo: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, live_voice_profiles=False)
    with LocalClient(create_app(settings, load=lambda _s: engines)) as client:
        with client.websocket_connect("/v1/live") as socket:
            events = _call(socket, phonecall_stereo, {"seller": "diane"})
        assert events[-1]["status"] == "finished"
    assert _profiles(settings) == []


def _span(start: int, end: int) -> Span:
    # Each sample's value is its index: what was kept shows where it came from.
    context = 2
    audio = np.arange(start - context, end + context, dtype=np.float32)
    return Span(start, end, audio, start - context)


def test_a_seller_utterance_waits_until_no_customer_speech_can_overlap_it() -> None:
    collected = OwnSpeech(limit=25)
    collected.add([_span(0, 10)], [])
    # The customer's channel has an utterance open since sample 8: it may overlap.
    collected.settle(others_from=8, own_from=12)
    assert collected.samples == 0
    collected.add([_span(20, 30)], [_span(8, 22)])
    collected.settle(others_from=40, own_from=40)
    pieces = collected.take()
    assert [(int(p[0]), int(p[-1])) for p in pieces] == [(0, 7), (22, 29)]
    assert collected.take() == []
    # At most the limit, the rest dropped.
    collected.add([_span(100, 120), _span(130, 150)], [])
    collected.settle(None, None)
    assert sum(p.shape[0] for p in collected.take()) == 25
    # The same rule as the two-channel recordings.
    assert without_overlap([(0.0, 10.0), (20.0, 30.0)], [(8.0, 22.0)]) == [
        (0.0, 8.0),
        (22.0, 30.0),
    ]
