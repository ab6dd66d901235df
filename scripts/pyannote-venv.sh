#!/bin/sh
# A separate virtual environment with pyannote.audio for the pyannote backend's test
# (`make test-pyannote`): torch is large and stays out of .venv. Takes ~8 minutes on 2 cores.
#
# torch 2.13.0 is the CPU build (pip takes it from this machine's disk where one lies there).
# torchaudio is needed by pyannote.audio for its Python parts only (kaldi fbank, MFCC); its
# wheel's compiled extension is a CUDA build, so it is installed without dependencies and that
# extension is left out, which torchaudio supports (it loads the extension only if present).
set -eu
VENV=${1:-.cache/pyannote-venv}
PY=$VENV/bin/python
if [ -f "$VENV/.praesent-pyannote" ]; then exit 0; fi
python3 -m venv "$VENV"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet torch==2.13.0
"$PY" -m pip install --quiet --no-deps torchaudio==2.11.1 pyannote.audio==4.0.7
rm -f "$VENV"/lib/python3*/site-packages/torchaudio/lib/*.so
echo "torch==2.13.0" > "$VENV/constraints.txt"
"$PY" -m pip install --quiet -c "$VENV/constraints.txt" \
    asteroid-filterbanks einops huggingface-hub lightning matplotlib opentelemetry-api \
    opentelemetry-exporter-otlp opentelemetry-sdk pyannote-core pyannote-database \
    pyannote-metrics pyannote-pipeline pyannoteai-sdk pytorch-metric-learning rich safetensors \
    torch-audiomentations torchmetrics onnx
# praesent's own dependencies that the backend imports (not the Whisper side).
"$PY" -m pip install --quiet -c "$VENV/constraints.txt" \
    numpy scipy onnxruntime threadpoolctl pydantic-settings platformdirs av
touch "$VENV/.praesent-pyannote"
