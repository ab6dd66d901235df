"""A pyannote.audio pipeline from the packaged weights, for machines without a hub account.

pyannote.audio's own ``SpeakerDiarization`` needs a segmentation model and an embedding model as
pyannote ``Model`` checkpoints. This builds both from what ``praesent models pull speakers``
assembled: segmentation-3.0's weights (read from the ONNX file) in pyannote's ``PyanNet``, and the
Resemblyzer voice encoder as a pyannote embedding model. Runs only where pyannote.audio and torch
are installed (``pip install 'praesent[pyannote]'``):

    python -m praesent.speakers.pyannote_models PIPELINE_DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pyannote.audio import Model
from pyannote.audio.core.task import Problem, Resolution, Specifications
from pyannote.audio.models.segmentation import PyanNet
from torch import nn

from praesent.settings import Settings
from praesent.speakers.encoder import mel_filterbank

# Clustering of pyannote's pipeline (centroid linkage, Euclidean on normalised embeddings): 0.5 is
# a cosine similarity of 0.875, between the phone call's two voices (0.85) and one voice (0.9+).
CLUSTERING_THRESHOLD = 0.5


class PackagedPyanNet(PyanNet):  # type: ignore[misc]
    """PyanNet with segmentation-3.0's learned sinc filters as a plain convolution: the ONNX file
    holds the filters themselves, not the band edges they were computed from."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sincnet.conv1d[0] = nn.Conv1d(1, 80, 251, stride=10, bias=False)


class ResemblyzerEmbedding(Model):  # type: ignore[misc]
    """The GE2E voice encoder of Resemblyzer as a pyannote embedding model: 1.6 s partials of
    the (masked) chunk, each through the LSTM, averaged and normalised."""

    def __init__(self, sample_rate: int = 16_000, num_channels: int = 1) -> None:
        super().__init__(sample_rate=sample_rate, num_channels=num_channels)
        self.lstm = nn.LSTM(40, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, 256)
        self.register_buffer("mel_filters", torch.from_numpy(mel_filterbank()))
        self.register_buffer("window", torch.hann_window(400, periodic=True))

    @property
    def dimension(self) -> int:
        return 256

    def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        rows = []
        for index in range(waveforms.shape[0]):
            audio = waveforms[index, 0]
            if weights is not None:
                # Only the speaker's own frames, back to back (as the encoder was trained).
                mask = torch.nn.functional.interpolate(
                    weights[index][None, None], size=audio.shape[0], mode="nearest"
                )[0, 0]
                audio = audio[mask > 0.5]
            rows.append(self._embed(audio))
        return torch.stack(rows)

    def _embed(self, audio: torch.Tensor) -> torch.Tensor:
        if audio.shape[0] < 400:
            audio = torch.nn.functional.pad(audio, (0, 400 - audio.shape[0]))
        rms = audio.pow(2).mean().sqrt().clamp(min=1e-6)
        audio = audio * torch.clamp(10 ** (-30 / 20) / rms, min=1.0)
        spec = torch.stft(audio, 400, 160, window=self.window, center=True, return_complex=True)
        mels = (spec.abs() ** 2).T @ self.mel_filters.T
        frames = max(160, mels.shape[0] // 160 * 160)
        if mels.shape[0] < frames:
            mels = torch.nn.functional.pad(mels, (0, 0, 0, frames - mels.shape[0]))
        partials = mels[:frames].reshape(frames // 160, 160, 40)
        _, (hidden, _) = self.lstm(partials)
        embedded = torch.relu(self.linear(hidden[-1]))
        embedded = embedded / embedded.norm(dim=1, keepdim=True).clamp(min=1e-9)
        mean = embedded.mean(dim=0)
        return mean / mean.norm().clamp(min=1e-9)


def _onnx_weights(path: Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    named = {n.op_type + ":" + n.name: list(n.input) for n in graph.node}
    lstm_inputs = [inputs for key, inputs in named.items() if key.startswith("LSTM:")]
    norms = [inputs for key, inputs in named.items() if key.startswith("InstanceNormalization:")]
    weights["__lstm__"] = np.array(lstm_inputs, dtype=object)
    weights["__norms__"] = np.array(norms, dtype=object)
    return weights


def _torch_gates(onnx_gates: np.ndarray) -> np.ndarray:
    """ONNX LSTM gates (input, output, forget, cell) -> PyTorch's (input, forget, cell, output)."""
    i, o, f, c = np.split(onnx_gates, 4, axis=0)
    return np.concatenate([i, f, c, o], axis=0)


def segmentation_model(onnx_path: Path) -> PackagedPyanNet:
    weights = _onnx_weights(onnx_path)
    model = PackagedPyanNet(
        sincnet={"stride": 10},
        lstm={"hidden_size": 128, "num_layers": 4, "bidirectional": True, "monolithic": True},
        linear={"hidden_size": 128, "num_layers": 2},
    )
    model.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=10.0,
        min_duration=None,
        warm_up=(0.0, 0.0),
        classes=["speaker#1", "speaker#2", "speaker#3"],
        powerset_max_classes=2,
        permutation_invariant=True,
    )
    model.build()
    state: dict[str, np.ndarray] = {}
    first_norm = weights["__norms__"][0]
    state["sincnet.wav_norm1d.weight"] = weights[first_norm[1]]
    state["sincnet.wav_norm1d.bias"] = weights[first_norm[2]]
    state["sincnet.conv1d.0.weight"] = weights["/sincnet/conv1d.0/Concat_2_output_0"]
    for name in (
        "sincnet.conv1d.1.weight",
        "sincnet.conv1d.1.bias",
        "sincnet.conv1d.2.weight",
        "sincnet.conv1d.2.bias",
        "sincnet.norm1d.0.weight",
        "sincnet.norm1d.0.bias",
        "sincnet.norm1d.1.weight",
        "sincnet.norm1d.1.bias",
        "sincnet.norm1d.2.weight",
        "sincnet.norm1d.2.bias",
        "linear.0.bias",
        "linear.1.bias",
    ):
        state[name] = weights[name]
    for layer, inputs in enumerate(weights["__lstm__"]):
        w, r, b = weights[inputs[1]], weights[inputs[2]], weights[inputs[3]]
        for direction, suffix in ((0, ""), (1, "_reverse")):
            state[f"lstm.weight_ih_l{layer}{suffix}"] = _torch_gates(w[direction])
            state[f"lstm.weight_hh_l{layer}{suffix}"] = _torch_gates(r[direction])
            state[f"lstm.bias_ih_l{layer}{suffix}"] = _torch_gates(b[direction][:512])
            state[f"lstm.bias_hh_l{layer}{suffix}"] = _torch_gates(b[direction][512:])
    matmuls = sorted(k for k in weights if k.startswith("onnx::MatMul_"))
    for name, key in zip(("linear.0", "linear.1", "classifier"), matmuls, strict=True):
        state[f"{name}.weight"] = weights[key].T
    [bias] = [k for k, v in weights.items() if getattr(v, "shape", None) == (7,)]
    state["classifier.bias"] = weights[bias]
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()})
    model.eval()
    return model


def embedding_model(checkpoint: Path) -> ResemblyzerEmbedding:
    from praesent.speakers.checkpoint import load_legacy_checkpoint

    state = load_legacy_checkpoint(checkpoint)["model_state"]
    model = ResemblyzerEmbedding()
    model.specifications = Specifications(
        problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=1.6
    )
    own = {k: torch.from_numpy(v) for k, v in state.items() if k.startswith(("lstm.", "linear."))}
    model.load_state_dict({**model.state_dict(), **own})
    model.eval()
    return model


def _save(model: Any, path: Path) -> None:
    import lightning

    checkpoint: dict[str, Any] = {
        "state_dict": model.state_dict(),
        "hyper_parameters": dict(model.hparams),
        "pytorch-lightning_version": lightning.__version__,
    }
    model.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, path)


def build_pipeline(directory: Path, settings: Settings | None = None) -> Path:
    """Write segmentation.ckpt, embedding.ckpt and config.yaml into ``directory``."""
    from praesent.asr.models import installed_model_dir

    source = installed_model_dir(settings or Settings(), "speakers")
    directory.mkdir(parents=True, exist_ok=True)
    _save(segmentation_model(source / "segmentation-3.0.onnx"), directory / "segmentation.ckpt")
    _save(embedding_model(source / "voice-encoder.pt"), directory / "embedding.ckpt")
    # pyannote.audio 4 loads a PLDA even where the clustering does not use it (only VBx does);
    # an identity transform satisfies the loader, the agglomerative clustering never reads it.
    plda = directory / "plda"
    plda.mkdir(exist_ok=True)
    dim = 256
    zeros, eye = np.zeros(dim), np.eye(dim)
    np.savez(plda / "xvec_transform.npz", mean1=zeros, mean2=zeros, lda=eye)
    np.savez(plda / "plda.npz", mu=zeros, tr=eye, psi=np.ones(dim))
    config = f"""pipeline:
  name: pyannote.audio.pipelines.SpeakerDiarization
  params:
    segmentation: {directory.resolve() / "segmentation.ckpt"}
    embedding: {directory.resolve() / "embedding.ckpt"}
    embedding_exclude_overlap: true
    plda: {directory.resolve() / "plda"}
    clustering: AgglomerativeClustering
    embedding_batch_size: 16
    segmentation_batch_size: 16
params:
  segmentation:
    min_duration_off: 0.0
  clustering:
    method: centroid
    min_cluster_size: 12
    threshold: {CLUSTERING_THRESHOLD}
"""
    (directory / "config.yaml").write_text(config, encoding="utf-8")
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description="Build a pyannote.audio pipeline directory.")
    parser.add_argument("directory", type=Path)
    # Through the module's own name: the checkpoints record where their classes live, and
    # ``python -m`` would record ``__main__``.
    from praesent.speakers import pyannote_models

    print(pyannote_models.build_pipeline(parser.parse_args().directory))


if __name__ == "__main__":
    main()
