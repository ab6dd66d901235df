from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.helpers import shared_file


@pytest.fixture(scope="session")
def phonecall_rttm() -> Path:
    return shared_file("en-phonecall-2spk/sample.rttm")


@pytest.fixture(scope="session")
def phonecall_stm() -> Path:
    return shared_file("en-phonecall-2spk/sample.stm")
