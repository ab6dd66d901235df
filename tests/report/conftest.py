from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from praesent.analysis import AnalysisRequest
from tests.analyses import Analyses


@pytest.fixture(scope="session")
def phonecall_analysis(analyses: Analyses, phonecall_stereo: Path) -> dict[str, Any]:
    """The real analysis of the two-channel phone call (the real model, the real core)."""
    result = analyses(phonecall_stereo, AnalysisRequest(language="en"))
    return json.loads(json.dumps(result))
