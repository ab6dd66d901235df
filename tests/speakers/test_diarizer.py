"""The embedded diarizer on real recordings: speakers found, DER and talk time against RTTM."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from praesent.speakers.attribution import SpeakerModels
from praesent.speakers.diarizer import Diarization
from praesent.speakers.reconstruction import WindowActivity, speaker_frames, turns_from_frames
from praesent.speakers.roles import choose_seller, speaker_name
from praesent.speakers.segmentation import powerset_to_speakers
from tests.speakers.conftest import diarize
from tests.speakers.scoring import der, hypothesis, mapping, reference, talk_s
from tests.support import Figure, rttm_turns, shared

# Measured: DER 0.0 % on the phone call (collar ±0.25 s, overlap scored), 0.1 % on the
# three-speaker call; the bars are the issue's.
DER_BAR = 0.15
# Measured: 0.12 s and 0.39 s; bar 1.0 s.
TALK_ERROR_BAR_S = 1.0


def test_phone_call_two_speakers_der_and_talk_time(
    phonecall_diarization: Diarization, figure: Figure
) -> None:
    turns = rttm_turns(shared("en-phonecall-2spk/sample.rttm"))
    assert phonecall_diarization.speakers == 2
    value = der(phonecall_diarization, turns)
    figure("DER phone call mono (embedded)", value, f"<= {DER_BAR}")
    assert value <= DER_BAR, f"DER {value:.3f}"
    found = mapping(phonecall_diarization, turns)
    hyp, ref = hypothesis(phonecall_diarization), reference(turns)
    for speaker in ("speaker90", "speaker91"):
        error = abs(talk_s(hyp, found[speaker]) - talk_s(ref, speaker))
        figure(f"talk time error {speaker} mono", error, f"<= {TALK_ERROR_BAR_S}")
        assert error <= TALK_ERROR_BAR_S, f"{speaker}: talk time off by {error:.2f} s"


def test_regression_seller_rules_without_profile_on_the_phone_call(
    phonecall_diarization: Diarization,
) -> None:
    """Regression guard, not a reference: it pins what the code does, which for `first` is
    WRONG by the RTTM. What the README says of `--seller-speaker` on the phone call: Diane
    (speaker90) opens it with "Hello?" (6.69-7.12 s), but that 0.43 s is attributed to Sheila's
    voice, so the first speaker found, `first`'s choice, is Sheila, while by the RTTM the first
    speaker is Diane; she also talks most (12.5 s to 11.85 s), which is right by the RTTM."""
    turns = rttm_turns(shared("en-phonecall-2spk/sample.rttm"))
    found = mapping(phonecall_diarization, turns)
    # The reference: who opens the call and who talks most, by the RTTM alone.
    said: dict[str, float] = {}
    for speaker, start, end in turns:
        said[speaker] = said.get(speaker, 0.0) + end - start
    assert min(turns, key=lambda turn: turn[1])[0] == "speaker90"
    assert max(said, key=lambda speaker: said[speaker]) == "speaker91"
    opening = phonecall_diarization.turns[0]
    assert abs(opening.start_sample / 16_000 - 6.69) <= 0.1 and opening.speaker == 0
    talk = [0.0] * phonecall_diarization.speakers
    for turn in phonecall_diarization.turns:
        talk[turn.speaker] += (turn.end_sample - turn.start_sample) / 16_000
    # `most` agrees with the RTTM; `first` picks Sheila, not the RTTM's opener (the known
    # error the README documents, pinned here so that a change to it is seen).
    for rule in ("first", "most"):
        seller = choose_seller(phonecall_diarization.centroids, talk, rule).seller
        assert seller is not None and speaker_name(seller) == found["speaker91"], rule
    # The first speaker whose turn lasts 1 s or more is Diane.
    opener = next(t for t in phonecall_diarization.turns if t.end_sample - t.start_sample >= 16_000)
    assert speaker_name(opener.speaker) == found["speaker90"]


def test_three_speakers_are_found(
    speaker_models: SpeakerModels, speaker_files: Path, figure: Figure
) -> None:
    diarization = diarize(speaker_models, speaker_files / "three-speakers.wav")
    turns = rttm_turns(speaker_files / "three-speakers.rttm")
    assert diarization.speakers == 3
    value = der(diarization, turns)
    figure("DER three-speaker call mono (embedded)", value, f"<= {DER_BAR}")
    assert value <= DER_BAR, f"DER {value:.3f}"
    assert len(set(mapping(diarization, turns).values())) == 3


def test_speaker_count_hint(speaker_models: SpeakerModels, speaker_files: Path) -> None:
    assert diarize(speaker_models, speaker_files / "three-speakers.wav", 2).speakers == 2


def test_one_voice_is_one_speaker(speaker_models: SpeakerModels) -> None:
    assert diarize(speaker_models, shared("de-read-1spk/test_de.wav")).speakers == 1


def test_powerset_decoding() -> None:
    log_probs = np.log(np.full((4, 7), 0.01))
    for frame, cls in enumerate([0, 1, 5, 6]):
        log_probs[frame, cls] = 0.0
    decoded = powerset_to_speakers(log_probs)
    assert decoded.tolist() == [
        [False, False, False],
        [True, False, False],
        [True, False, True],
        [False, True, True],
    ]


def test_reconstruction_counts_overlap_and_maps_local_speakers() -> None:
    # Two windows of 6 frames, overlapping by 3; local speaker 0 of the first window is local
    # speaker 1 of the second. Frames 2-3 hold two voices.
    first = np.zeros((6, 3), bool)
    first[0:4, 0] = True
    first[2:6, 1] = True
    second = np.zeros((6, 3), bool)
    second[0:1, 1] = True
    second[0:3, 0] = True
    windows = [WindowActivity(0, first, 6), WindowActivity(3, second, 6)]
    frames = speaker_frames(windows, [[0, 1, -1], [1, 0, -1]], 2, 9)
    assert frames[:, 0].tolist() == [True] * 4 + [False] * 5
    assert frames[:, 1].tolist() == [False, False, True, True, True, True, False, False, False]
    turns = turns_from_frames(frames, 0, 0)
    assert [(t.speaker, t.start_sample) for t in turns] == [(0, 0), (1, 2 * 270 + 225)]
