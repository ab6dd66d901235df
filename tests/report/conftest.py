from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.engines import Engines


@pytest.fixture(scope="session")
def phonecall_analysis(engines: Engines, phonecall_stereo: Path) -> dict[str, Any]:
    """The real analysis of the two-channel phone call (the real model, the real core)."""
    result = analyse_file(phonecall_stereo, AnalysisRequest(language="en"), engines)
    return json.loads(json.dumps(result))
