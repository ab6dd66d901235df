"""DER and talk time of a diarization against reference turns (pyannote.metrics)."""

from __future__ import annotations

from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

from praesent.speakers.diarizer import Diarization

SAMPLE_RATE = 16_000


def hypothesis(diarization: Diarization) -> Annotation:
    annotation = Annotation()
    for n, turn in enumerate(diarization.turns):
        segment = Segment(turn.start_sample / SAMPLE_RATE, turn.end_sample / SAMPLE_RATE)
        annotation[segment, n] = f"S{turn.speaker + 1}"
    return annotation


def reference(turns: list[tuple[str, float, float]]) -> Annotation:
    annotation = Annotation()
    for n, (speaker, start, end) in enumerate(turns):
        annotation[Segment(start, end), n] = speaker
    return annotation


def der(diarization: Diarization, turns: list[tuple[str, float, float]]) -> float:
    """Collar ±0.25 s (pyannote's ``collar=0.5``), overlapped speech scored."""
    metric = DiarizationErrorRate(collar=0.5, skip_overlap=False)
    end = diarization.duration_samples / SAMPLE_RATE
    return float(metric(reference(turns), hypothesis(diarization), uem=Segment(0, end)))


def mapping(diarization: Diarization, turns: list[tuple[str, float, float]]) -> dict[str, str]:
    """Reference speaker -> found speaker, the optimal one-to-one match."""
    metric = DiarizationErrorRate()
    found = metric.optimal_mapping(reference(turns), hypothesis(diarization))
    return {str(ref): str(hyp) for hyp, ref in found.items()}


def talk_s(annotation: Annotation, label: str) -> float:
    return float(annotation.label_timeline(label).support().duration())
