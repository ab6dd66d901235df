"""The model registry: assembly from the carrying packages, checksums, resolution, errors."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from praesent.asr import models
from praesent.asr.registry import REGISTRY_FILE, registry
from praesent.errors import ModelError
from praesent.settings import Settings


def test_registry_lists_the_packaged_models(settings: Settings) -> None:
    statuses = {status.name: status for status in models.list_models(settings)}
    assert set(statuses) == {"base", "tiny.en", "speakers"}
    assert statuses["base"].installed and statuses["base"].packages_present
    assert registry()["base"].multilingual and not registry()["tiny.en"].multilingual


def test_installed_models_verify(settings: Settings) -> None:
    assert models.verify(settings) == {"base": "ok", "tiny.en": "ok", "speakers": "ok"}


def test_pull_assembles_the_split_base_model_with_its_checksum(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    directory = models.pull(settings, "base")
    joined = directory / "model.bin"
    assert joined.stat().st_size == 145_217_607
    assert hashlib.sha256(joined.read_bytes()).hexdigest() == registry()["base"].files[0].sha256
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


def _models_list(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "praesent", "models", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _without_model(text: str, name: str) -> str:
    """The registry text with every table of one model cut out."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        header = re.match(r"^\[\[?models\.(\"[^\"]+\"|[\w-]+)", line)
        if header:
            skipping = header.group(1).strip('"') == name
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def test_the_registry_is_data_in_models_and_a_deleted_entry_disappears(tmp_path: Path) -> None:
    assert REGISTRY_FILE.resolve().parent.name == "models", "registry.toml lives in models/"
    listed = _models_list({})
    assert re.search(r"^base\s", listed, re.M) and re.search(r"^tiny\.en\s", listed, re.M)
    assert "150 MB" in listed and "MIT (OpenAI Whisper)" in listed
    edited = tmp_path / "registry.toml"
    edited.write_text(_without_model(REGISTRY_FILE.read_text(), "tiny.en"))
    listed = _models_list({"PRAESENT_MODEL_REGISTRY": str(edited)})
    assert re.search(r"^base\s", listed, re.M)
    assert "tiny.en" not in listed


def test_a_malformed_registry_is_a_one_line_error(tmp_path: Path) -> None:
    broken = tmp_path / "registry.toml"
    broken.write_text('[models.base]\nkind = "whisper"\n')
    with pytest.raises(ModelError, match="entry 'base' is malformed"):
        models.list_models(Settings(model_registry=broken))


def test_models_are_assembled_in_the_checkout_unless_the_data_dir_is_set(tmp_path: Path) -> None:
    assert Settings().model_root == REGISTRY_FILE.resolve().parent
    assert Settings(data_dir=tmp_path).model_root == tmp_path / "models"
