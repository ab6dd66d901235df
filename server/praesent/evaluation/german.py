"""German word error rate: praesent against plain faster-whisper, the same model, the same files.

Every German recording (``de-*/*.wav`` with its ``.txt``) is analysed by praesent as a one-channel
call with language ``auto`` (and, with ``--prior de``, with German as the seller's saved
language), and transcribed by faster-whisper's own ``transcribe`` with its defaults (language
detected, beam size as praesent's). The words of all files are pooled, lower-cased and without
punctuation on both sides, so that no single short sentence decides the figure.

    python -m praesent.evaluation.german [--data ../shared/data] [--prior de]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.engines import load_engines
from praesent.errors import PraesentError
from praesent.evaluation.corpus import read_audio
from praesent.evaluation.scoring import word_error_rate
from praesent.settings import Settings


def german_files(data: Path) -> list[Path]:
    return sorted(path for path in data.glob("de-*/*.wav") if path.with_suffix(".txt").exists())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m praesent.evaluation.german", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--prior", choices=("de", "en"), help="the seller's saved language")
    args = parser.parse_args(argv)
    files = german_files(args.data)
    if not files:
        print(f"praesent: error: no German recordings in {args.data}", file=sys.stderr)
        return 2
    try:
        settings = Settings()
        engines = load_engines(settings)
    except PraesentError as error:
        print(f"praesent: error: {error}", file=sys.stderr)
        return 2
    from faster_whisper import WhisperModel

    plain = WhisperModel(
        str(engines.transcriber.model_dir),
        device="cpu",
        compute_type=settings.compute_type,
        cpu_threads=settings.cpu_threads,
        local_files_only=True,
    )
    request = AnalysisRequest(channel_roles=(), mono=True, language_prior=args.prior)
    references, ours, theirs = [], [], []
    for path in files:
        result = analyse_file(path, request, engines)
        audio = read_audio(path).mean(axis=0)
        segments, info = plain.transcribe(audio, beam_size=settings.beam_size)
        plain_text = " ".join(segment.text for segment in segments)
        references.append(path.with_suffix(".txt").read_text(encoding="utf-8"))
        ours.append(" ".join(str(u["text"]) for u in result["utterances"]))
        theirs.append(plain_text)
        speech_s = sum(float(u["end_s"]) - float(u["start_s"]) for u in result["utterances"])
        print(
            f"{path.parent.name}/{path.name}: praesent {result['language']} "
            f"({speech_s:.1f} s of speech), faster-whisper {info.language} "
            f"({info.language_probability:.2f})",
            flush=True,
        )
    praesent_wer = word_error_rate(references, ours) or 0.0
    plain_wer = word_error_rate(references, theirs) or 0.0
    words = sum(len(r.split()) for r in references)
    print(f"German WER over {len(files)} files ({words} words), pooled:")
    print(f"  praesent        {praesent_wer * 100:.1f} %")
    print(f"  faster-whisper  {plain_wer * 100:.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
