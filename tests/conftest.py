from __future__ import annotations

from pathlib import Path

import pytest

from praesent.engines import Engines, load_engines
from praesent.settings import Settings
from tests.support import shared, two_channel_call


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def engines(settings: Settings) -> Engines:
    """The real default model (base, int8), loaded once for the whole run."""
    return load_engines(settings)


@pytest.fixture(scope="session")
def phonecall_stereo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The phone call as a two-channel call: speaker90 (seller) left, speaker91 (customer) right."""
    target = tmp_path_factory.mktemp("calls") / "phonecall-2ch.wav"
    return two_channel_call(
        shared("en-phonecall-2spk/sample.wav"),
        shared("en-phonecall-2spk/sample.rttm"),
        "speaker90",
        "speaker91",
        target,
    )
