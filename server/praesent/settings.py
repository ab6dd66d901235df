"""All settings in one place, read from the environment (prefix ``PRAESENT_``) once and passed in."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("praesent", appauthor=False))


class Settings(BaseSettings):
    """Runtime configuration. Every field can be set as ``PRAESENT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PRAESENT_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Field(default_factory=_default_data_dir)
    # A registry name (see `praesent models list`) or a local CTranslate2 model directory.
    model: str = "base"
    compute_type: str = "int8"
    cpu_threads: int = 2
    # "auto" detects the language once per call.
    language: str = "auto"
    database_url: str | None = None
    max_upload_mb: int = 500
    # Concurrent speech-to-text jobs shared by all sessions of the process.
    asr_workers: int = 1

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'praesent.db'}"
