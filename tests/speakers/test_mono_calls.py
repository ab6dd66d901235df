"""One-channel calls end to end with the real Whisper model: roles from attribution, every
coaching fact from them, the seller by voice profile, and the command line around it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.engines import Engines
from praesent.evaluation.references import parse_roles
from praesent.evaluation.scoring import run_eval
from praesent.settings import Settings
from praesent.speakers.attribution import AttributionOptions, SpeakerAttribution, SpeakerModels
from praesent.speakers.profiles import sample_from_clip
from tests.support import Figure, one_line, shared

DER_BAR = 0.15


@pytest.fixture(scope="module")
def diane_profile(speaker_models: SpeakerModels, speaker_files: Path) -> tuple[float, ...]:
    return sample_from_clip(speaker_models, speaker_files / "diane.wav").embedding


def _analyse(
    path: Path, engines: Engines, models: SpeakerModels, options: AttributionOptions
) -> dict[str, Any]:
    request = AnalysisRequest(
        channel_roles=(),
        mono=True,
        speakers=lambda: SpeakerAttribution.embedded(models, options),
    )
    return analyse_file(path, request, engines)


def _seller_speaker(result: dict[str, Any]) -> str:
    [seller] = [s["speaker"] for s in result["speakers"] if s["role"] == "seller"]
    return str(seller)


def _speaker_overlap(
    result: dict[str, Any], speaker: str, turns: list[tuple[float, float]]
) -> float:
    """Seconds of ``speaker``'s segments inside the given reference turns."""
    total = 0.0
    for segment in result["segments"]:
        if segment["speaker"] == speaker:
            for start, end in turns:
                total += max(0.0, min(end, segment["end_s"]) - max(start, segment["start_s"]))
    return total


def _turns(rttm: Path, who: str) -> list[tuple[float, float]]:
    spans = []
    for line in rttm.read_text().splitlines():
        fields = line.split()
        if fields[7] == who:
            spans.append((float(fields[3]), float(fields[3]) + float(fields[4])))
    return spans


def test_three_speakers_seller_by_profile_and_two_customers(
    engines: Engines,
    speaker_models: SpeakerModels,
    speaker_files: Path,
    diane_profile: tuple[float, ...],
) -> None:
    rttm = speaker_files / "three-speakers.rttm"
    result = _analyse(
        speaker_files / "three-speakers.wav",
        engines,
        speaker_models,
        AttributionOptions(seller_id="diane", profile=diane_profile),
    )
    assert result["roles_from"] == "attribution" and result["seller_from"] == "profile"
    assert len(result["speakers"]) == 3
    assert [s["role"] for s in result["speakers"]].count("customer") == 2
    seller = _seller_speaker(result)
    diane = _turns(rttm, "speaker90")
    assert _speaker_overlap(result, seller, diane) >= 0.8 * sum(e - s for s, e in diane)
    customers = " ".join(u["text"] for u in result["utterances"] if u["role"] == "customer")
    sellers = " ".join(u["text"] for u in result["utterances"] if u["role"] == "seller")
    assert "country" in customers and "Yankee" in customers, customers
    assert "Diane" in sellers, sellers
    assert all(u["speaker"].startswith("S") for u in result["utterances"])
    assert result["roles"]["customer"]["talk_s"] > result["roles"]["seller"]["talk_s"] > 0


def test_phone_call_seller_by_profile_with_der_in_eval(
    engines: Engines,
    speaker_models: SpeakerModels,
    diane_profile: tuple[float, ...],
    tmp_path: Path,
    figure: Figure,
) -> None:
    rttm = shared("en-phonecall-2spk/sample.rttm")
    result = _analyse(
        shared("en-phonecall-2spk/sample.wav"),
        engines,
        speaker_models,
        AttributionOptions(seller_id="diane", profile=diane_profile),
    )
    assert result["seller_from"] == "profile" and len(result["speakers"]) == 2
    seller = _seller_speaker(result)
    assert _speaker_overlap(result, seller, _turns(rttm, "speaker90")) > 10.0
    run = tmp_path / "run.json"
    run.write_text(json.dumps(result))
    scores = run_eval(run, rttm, None, parse_roles("speaker90=seller,speaker91=customer"))
    assert scores.der is not None
    figure("DER phone call mono via praesent eval", scores.der, f"<= {DER_BAR}")
    assert scores.der <= DER_BAR, f"DER {scores.der:.3f}"
    for role in ("seller", "customer"):
        error = scores.talk[role].error_s
        figure(f"talk time error {role} mono (roles)", error, "<= 1.0")
        assert error <= 1.0, f"{role}: {error:.2f} s"
    # The core's facts follow from the roles as in a two-channel call.
    assert result["interruptions"] and result["seller_share"] is not None


def _praesent(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRAESENT_DATA_DIR": str(data_dir),
        "PRAESENT_MODELS_DIR": str(Settings().model_root),
    }
    return subprocess.run(
        [sys.executable, "-m", "praesent", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )


def test_voice_commands_and_analyze_flags(speaker_files: Path, tmp_path: Path) -> None:
    call = str(shared("en-phonecall-2spk/sample.wav"))
    missing = _praesent(tmp_path, "analyze", call, "--mono", "--seller", "diane")
    assert missing.returncode == 2 and one_line(missing.stderr)
    assert "praesent voice enroll --seller diane" in missing.stderr
    two_voices = _praesent(tmp_path, "voice", "enroll", "--seller", "diane", call)
    assert two_voices.returncode == 2 and "2 voices" in two_voices.stderr
    assert one_line(two_voices.stderr)
    enrolled = _praesent(
        tmp_path, "voice", "enroll", "--seller", "diane", str(speaker_files / "diane.wav")
    )
    assert enrolled.returncode == 0, enrolled.stderr
    listed = _praesent(tmp_path, "voice", "list")
    assert listed.stdout.startswith("diane") and "1 sample(s)" in listed.stdout
    analysed = _praesent(
        tmp_path, "analyze", call, "--mono", "--seller", "diane", "--language", "en"
    )
    assert analysed.returncode == 0, analysed.stderr
    result = json.loads(analysed.stdout)
    assert result["seller_from"] == "profile" and result["seller_id"] == "diane"
    deleted = _praesent(tmp_path, "voice", "delete", "--seller", "diane")
    assert "deleted 1 voice sample(s)" in deleted.stdout
    assert _praesent(tmp_path, "voice", "list").stdout == ""
