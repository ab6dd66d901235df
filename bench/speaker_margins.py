"""How far the embedded diarizer's clustering threshold is from the decisions it makes.

For each recording: the average-linkage merge distances (cosine) of the embeddings the clustering
trains on, split at the threshold, and for every merge above it the groups it would join (their
embeddings and seconds of clean speech). A group of one embedding or under 3 s is joined to its
nearest speaker anyway (ClusteringOptions.min_cluster_size, min_cluster_s), so the margin that
counts is to the lowest merge above the threshold that joins two groups both larger than that.

    python bench/speaker_margins.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import linkage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _embeddings(path: Path) -> tuple[int, np.ndarray, np.ndarray]:
    """Speakers found, and the local speakers' embeddings with their seconds of clean speech."""
    from tests.support import read_wav

    from praesent.settings import Settings
    from praesent.speakers.attribution import load_speaker_models
    from praesent.speakers.diarizer import Diarizer

    models = load_speaker_models(Settings())
    diarizer = Diarizer(models.segmentation, models.encoder)
    audio = read_wav(path)[:, 0].astype(np.float32) / 32768
    for start in range(0, audio.shape[0], 8 * 16_000):
        diarizer.push(audio[start : start + 8 * 16_000])
    speakers = diarizer.finish().speakers
    # finish() keeps what it clustered; read here only, to measure.
    return speakers, np.stack(diarizer._embeddings), np.asarray(diarizer._speech_s)


def main() -> int:
    from tests.speakers.calls import three_speaker_call
    from tests.support import shared

    from praesent.speakers.clustering import ClusteringOptions

    options = ClusteringOptions()
    three, _ = three_speaker_call(Path(tempfile.mkdtemp(prefix="praesent-margins-")))
    recordings = [
        ("phone call (en-phonecall-2spk)", shared("en-phonecall-2spk/sample.wav")),
        ("three speakers (phone call + JFK)", three),
    ]
    print(f"threshold {options.threshold} (average linkage, cosine distance)")
    for label, path in recordings:
        speakers, embeddings, speech_s = _embeddings(path)
        train = speech_s >= options.train_min_s
        vectors = embeddings[train] / np.linalg.norm(embeddings[train], axis=1, keepdims=True)
        tree = linkage(vectors, method="average", metric="cosine")
        # Members (embedding count, speech seconds) of every node of the tree.
        members = [(1, float(s)) for s in speech_s[train]]
        for left, right, _, _ in tree:
            a, b = members[int(left)], members[int(right)]
            members.append((a[0] + b[0], a[1] + b[1]))
        print(f"{label}: {speakers} speakers, {vectors.shape[0]} embeddings")
        for left, right, height, _ in tree:
            a, b = members[int(left)], members[int(right)]
            side = "joined" if height <= options.threshold else "apart "
            print(
                f"  {side} {height:.3f}: {a[0]} embedding(s), {a[1]:.1f} s + "
                f"{b[0]} embedding(s), {b[1]:.1f} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
