"""The model registry: assembly from the carrying packages, checksums, resolution, errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from praesent.asr import models
from praesent.asr.registry import REGISTRY
from praesent.errors import ModelError
from praesent.settings import Settings


def test_registry_lists_the_packaged_models(settings: Settings) -> None:
    statuses = {status.name: status for status in models.list_models(settings)}
    assert set(statuses) == {"base", "tiny.en"}
    assert statuses["base"].installed and statuses["base"].packages_present
    assert REGISTRY["base"].multilingual and not REGISTRY["tiny.en"].multilingual


def test_installed_models_verify(settings: Settings) -> None:
    assert models.verify(settings) == {"base": "ok", "tiny.en": "ok"}


def test_pull_assembles_the_split_base_model_with_its_checksum(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    directory = models.pull(settings, "base")
    joined = directory / "model.bin"
    assert joined.stat().st_size == 145_217_607
    assert hashlib.sha256(joined.read_bytes()).hexdigest() == REGISTRY["base"].files[0].sha256
    manifest = json.loads((directory / models.MANIFEST).read_text())
    assert manifest["name"] == "base"
    assert models.resolve_model_dir(settings) == directory
    # No staging directory is left behind.
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["base"]


def test_missing_model_names_the_command_that_fixes_it(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="praesent models pull base"):
        models.resolve_model_dir(Settings(data_dir=tmp_path))


def test_half_written_model_is_never_used(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    half = tmp_path / "models" / "base"
    half.mkdir(parents=True)
    (half / "model.bin").write_bytes(b"\0" * 1024)  # no manifest: an interrupted pull
    with pytest.raises(ModelError, match="not installed"):
        models.resolve_model_dir(settings)
    assert models.verify(settings, ["base"]) == {"base": "not installed"}


def test_damaged_model_fails_verify(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    directory = models.pull(settings, "tiny.en")
    with (directory / "config.json").open("a") as handle:
        handle.write(" ")
    assert models.verify(settings, ["tiny.en"]) == {"tiny.en": "damaged: config.json"}


def test_local_model_directory_is_accepted(settings: Settings, tmp_path: Path) -> None:
    installed = models.resolve_model_dir(settings, "tiny.en")
    assert models.resolve_model_dir(settings, str(installed)) == installed
    with pytest.raises(ModelError, match=r"no model\.bin"):
        models.resolve_model_dir(settings, str(tmp_path))
    with pytest.raises(ModelError, match="unknown model 'large-v9'"):
        models.resolve_model_dir(settings, "large-v9")
