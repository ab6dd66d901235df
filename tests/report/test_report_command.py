"""``praesent report FILE`` on a one-channel call: speaker attribution as in ``praesent analyze``
(the same options), the roles in the report, and where the file went."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from praesent.settings import Settings
from tests.llm_stand_in import StandIn, stand_in
from tests.support import shared

__all__ = ["stand_in"]  # the fixture

CALL = "en-phonecall-2spk/sample.wav"


def _command() -> tuple[str, ...]:
    return (sys.executable, "-m", "praesent", "report", str(shared(CALL)), "--mono")


def _report(tmp_path: Path, *args: str) -> tuple[dict[str, Any], str]:
    target = tmp_path / "report.json"
    result = subprocess.run(
        [*_command(), "--format", "json", "--output", str(target), *args],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PRAESENT_DIARIZER"},
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    report: dict[str, Any] = json.loads(target.read_text())
    return report, result.stderr


@pytest.mark.slow
def test_a_one_channel_call_gets_its_roles(tmp_path: Path) -> None:
    report, stderr = _report(tmp_path)
    assert report["status"] == "ok"
    talk = report["talk"]
    # Who speaks first is the seller (the default rule), as `praesent analyze --mono` says.
    assert abs(talk["seller_s"] - 12.6) <= 0.5 and abs(talk["customer_s"] - 11.5) <= 0.5, talk
    assert {span["role"] for span in report["timeline"]["spans"]} == {"seller", "customer"}
    assert {line["role"] for line in report["transcript"]["lines"]} == {"seller", "customer"}
    size = (tmp_path / "report.json").stat().st_size
    assert stderr == f"report written to {tmp_path / 'report.json'} ({size / 1000:.0f} kB)\n"


@pytest.mark.slow
def test_the_attribution_options_of_analyze(tmp_path: Path) -> None:
    first, _ = _report(tmp_path)
    other, _ = _report(tmp_path, "--seller-speaker", "S2", "--speakers", "2")
    # The other speaker is the seller now: the two sides' talk times swap.
    assert other["talk"]["seller_s"] == first["talk"]["customer_s"]
    assert other["talk"]["customer_s"] == first["talk"]["seller_s"]


def test_a_bad_diarizer_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [*_command(), "--diarizer", "bogus", "--output", str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "praesent: error: --diarizer must be one of embedded, pyannote, none, not 'bogus'\n"
    )


def test_a_one_channel_analysis_with_roles_is_a_full_report() -> None:
    from praesent.report import build_report
    from tests.report.helpers import synthetic_analysis

    analysis = {**synthetic_analysis(3), "mode": "mono", "roles_from": "attribution"}
    report = build_report(analysis, language="en")
    assert report.status == "ok"
    # Talk times over a minute are shown in whole seconds.
    assert abs(report.talk.seller_s - analysis["roles"]["seller"]["talk_s"]) <= 0.5


@pytest.mark.slow
def test_report_of_a_file_through_the_cli_skips_a_channel(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    phonecall_stereo: Path,
    phonecall_analysis: dict[str, Any],
    stand_in: StandIn,
    settings: Settings,
) -> None:
    """``praesent report FILE --channels seller,-,customer --output``, run by the real app: the
    middle channel (the whole call, both voices) is skipped, so the figures are the two-channel
    call's; with an LLM endpoint set, its summaries are the report's."""
    from typer.testing import CliRunner

    from praesent.cli import app
    from praesent.report import build_report
    from tests.support import read_wav, write_wav

    monkeypatch.setenv("PRAESENT_DATA_DIR", str(tmp_path / "data"))
    # The installed models, which a data folder of its own would not hold.
    monkeypatch.setenv("PRAESENT_MODELS_DIR", str(settings.model_root))
    monkeypatch.setenv("PRAESENT_LLM_BASE_URL", stand_in.url)
    monkeypatch.setenv("PRAESENT_LLM_MODEL", "stand-in")
    stereo = read_wav(phonecall_stereo)
    mixed = stereo.astype(np.int32).sum(axis=1).clip(-32768, 32767).astype(np.int16)
    three = write_wav(tmp_path / "three.wav", np.stack([stereo[:, 0], mixed, stereo[:, 1]], 1))
    target = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(three),
            "--channels",
            "seller,-,customer",
            "--language",
            "en",
            "--format",
            "json",
            "--output",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"report written to {target}" in result.stderr
    report = json.loads(target.read_text())
    expected = build_report(phonecall_analysis, language="en").talk
    assert report["talk"]["seller_s"] == expected.seller_s
    assert report["talk"]["customer_s"] == expected.customer_s
    assert {line["role"] for line in report["transcript"]["lines"]} == {"seller", "customer"}
    # Each topic of the call asked the endpoint once, with the customer's words of the topic.
    topics = phonecall_analysis["topics"]
    assert topics and len(stand_in.requests) == len(topics)
    assert stand_in.requests[0]["model"] == "stand-in"
    assert "Customer: " in stand_in.requests[0]["messages"][1]["content"]
    assert [t["summary"] for t in report["topics"]] == [
        ["Invoices are written by hand in spreadsheets.", "About 2000 a month."]
    ] * len(topics)
