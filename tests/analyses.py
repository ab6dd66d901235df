"""File analyses shared by the whole test run: several test files compare praesent to ``praesent
analyze`` of the same recording with the same request, and each of those analyses costs tens of
seconds of Whisper. The first test to ask computes it with the real models; pytest-xdist's other
workers wait for it (a file lock) and read the same JSON. Each caller gets its own copy."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.engines import Engines


class Analyses:
    def __init__(self, engines: Engines, folder: Path) -> None:
        self.engines = engines
        self.folder = folder

    def __call__(self, path: Path, request: AnalysisRequest) -> dict[str, Any]:
        """``analyse_file(path, request, engines)``, computed once per run for the same audio
        bytes, request and models."""
        if request.speakers is not None:
            # A speaker attribution factory has no stable identity to key on.
            return analyse_file(path, request, self.engines)
        key = self._key(path, request)
        stored = self.folder / f"{key}.json"
        with _locked(self.folder / f"{key}.lock"):
            if not stored.exists():
                result = analyse_file(path, request, self.engines)
                partial = stored.with_suffix(".part")
                partial.write_text(json.dumps(result))
                partial.replace(stored)
        loaded: dict[str, Any] = json.loads(stored.read_text())
        return loaded

    def _key(self, path: Path, request: AnalysisRequest) -> str:
        digest = hashlib.sha256(path.read_bytes())
        transcriber = self.engines.transcriber
        for part in (repr(request), str(transcriber.model_dir), repr(transcriber.options)):
            digest.update(part.encode())
        return digest.hexdigest()[:32]


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder all of this run's workers share (pytest-xdist gives each its own base temp)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "shared-analyses"
    folder.mkdir(exist_ok=True)
    return folder


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
