"""Speaker attribution against reference turns: DER and speaker-count error per recording.

Every multi-speaker recording with reference turns in ``../shared/data`` (the phone call), and
the three-speaker call the tests build from it (JFK's address inserted in a pause). DER with a
collar of ±0.25 s (pyannote.metrics ``collar=0.5``), overlapped speech scored. With
``--pyannote-python`` (a Python that has pyannote.audio) and ``--pipeline DIR``, pyannote.audio's
own pipeline is scored beside the embedded diarizer in the same run.

    python bench/eval_speakers.py
    python bench/eval_speakers.py --pyannote-python /path/venv/bin/python --pipeline DIR
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


GOAL_MEAN_DER = 0.20


def _turns_json(path: Path, backend: str, pipeline: Path | None) -> list[tuple[int, int, int]]:
    """Diarize in this process (embedded) and return (speaker, start, end) sample triples."""
    from praesent.settings import Settings
    from praesent.speakers.attribution import load_speaker_models
    from praesent.speakers.diarizer import Diarizer

    models = load_speaker_models(Settings())
    with wave.open(str(path)) as handle:
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    audio = pcm.astype(np.float32) / 32768
    if backend == "pyannote":
        from praesent.speakers.pyannote_backend import PyannoteBackend

        assert pipeline is not None
        call = PyannoteBackend.load(pipeline, models.encoder).start()
        call.push(audio)
        result = call.finish()
    else:
        diarizer = Diarizer(models.segmentation, models.encoder)
        for start in range(0, audio.shape[0], 8 * 16_000):
            diarizer.push(audio[start : start + 8 * 16_000])
        result = diarizer.finish()
    return [(t.speaker, t.start_sample, t.end_sample) for t in result.turns]


def _score(path: Path, rttm: Path, triples: list[tuple[int, int, int]]) -> tuple[float, int, int]:
    from tests.speakers.scoring import der
    from tests.support import read_wav, rttm_turns

    from praesent.speakers.diarizer import Diarization
    from praesent.speakers.reconstruction import SpeakerTurn

    turns = tuple(SpeakerTurn(s, a, b) for s, a, b in triples)
    speakers = len({s for s, _, _ in triples})
    length = read_wav(path).shape[0]
    diarization = Diarization(turns, np.zeros((speakers, 1)), length)
    reference = rttm_turns(rttm)
    return der(diarization, reference), speakers, len({who for who, _, _ in reference})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pyannote-python", type=Path, help="a Python with pyannote.audio")
    parser.add_argument("--pipeline", type=Path, help="a local pyannote.audio pipeline")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        path, backend, pipeline = args.worker
        triples = _turns_json(Path(path), backend, Path(pipeline) if pipeline else None)
        sys.stdout.write(json.dumps(triples) + "\n")
        return 0
    from tests.speakers.calls import three_speaker_call
    from tests.support import shared

    folder = Path(tempfile.mkdtemp(prefix="praesent-eval-speakers-"))
    three, three_rttm = three_speaker_call(folder)
    recordings = [
        (
            "phone call (en-phonecall-2spk)",
            shared("en-phonecall-2spk/sample.wav"),
            shared("en-phonecall-2spk/sample.rttm"),
        ),
        ("three speakers (phone call + JFK)", three, three_rttm),
    ]
    backends = [("embedded", Path(sys.executable))]
    if args.pyannote_python is not None and args.pipeline is not None:
        backends.append(("pyannote", args.pyannote_python))
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'server'}{os.pathsep}{ROOT}"}
    print(f"{'recording':36} {'backend':9} {'DER':>7} {'speakers':>9} {'count error':>12}")
    ders: dict[str, list[float]] = {name: [] for name, _ in backends}
    for label, path, rttm in recordings:
        for name, python in backends:
            worker = [str(python), __file__, "--worker", str(path), name, str(args.pipeline or "")]
            done = subprocess.run(worker, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                sys.stderr.write(done.stderr[-2000:])
                return 1
            value, found, expected = _score(path, rttm, json.loads(done.stdout))
            ders[name].append(value)
            print(
                f"{label:36} {name:9} {value * 100:6.1f}% {found:>4} of {expected:<3} "
                f"{found - expected:>+12d}"
            )
    for name, values in ders.items():
        mean = float(np.mean(values))
        verdict = "met" if mean <= GOAL_MEAN_DER else "missed"
        print(
            f"mean DER {name}: {mean * 100:.1f} %  (goal <= {GOAL_MEAN_DER * 100:.0f} %: {verdict})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
