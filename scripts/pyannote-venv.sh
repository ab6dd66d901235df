#!/bin/sh
# pyannote.audio's own virtual environment, for the pyannote backend's test (part of `make test`)
# and `make eval-speakers`: torch is large and stays out of .venv. Built with uv (UV=path; `make`
# passes .venv's), which takes seconds where pip took ~8 minutes on 2 cores. Built once and
# rebuilt from nothing only when this file or pyproject.toml changes: the stamp holds their
# SHA-256, and it is written last, so a build cut short is redone.
#
# torch 2.13.0 is the CPU build where pip is configured with a folder of wheels that holds one
# (its find-links; this project's machines have it there), else PyPI's. torchaudio is needed by
# pyannote.audio for its Python parts only (kaldi fbank, MFCC); its wheel's compiled extension
# is a CUDA build, so it is installed without dependencies and that extension is left out, which
# torchaudio supports (it loads the extension only if present). torchcodec (pyannote's file
# decoder) is left out: praesent hands pyannote the waveform.
set -eu
VENV=${1:-.cache/pyannote-venv}
UV=${UV:-uv}
PYTHON=${PYTHON:-python3}
# The system's certificate store, which pip uses too (uv's own list lacks a locally added CA).
export UV_NATIVE_TLS=${UV_NATIVE_TLS:-1}
STAMP=$VENV/.praesent-pyannote
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEY=$(cat "$0" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" = "$KEY" ]; then exit 0; fi
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$UV" venv --quiet --python "$PYTHON" "$VENV"
links=""
for folder in ${PIP_FIND_LINKS:-$("$PYTHON" -m pip config get global.find-links 2>/dev/null || true)}; do
    links="$links --find-links $folder"
done
# shellcheck disable=SC2086 # $links is a list of options
add() { "$UV" pip install --quiet --python "$VENV/bin/python" $links "$@"; }
add torch==2.13.0
add --no-deps torchaudio==2.11.1 pyannote.audio==4.0.7
rm -f "$VENV"/lib/python3*/site-packages/torchaudio/lib/*.so
echo "torch==2.13.0" > "$VENV/constraints.txt"
add -c "$VENV/constraints.txt" \
    asteroid-filterbanks==0.4.0 einops==0.8.2 huggingface-hub==2.4.0 lightning==2.6.6 \
    matplotlib==3.11.2 opentelemetry-api==1.45.2 opentelemetry-exporter-otlp==1.45.2 \
    opentelemetry-sdk==1.45.2 pyannote-core==6.1.0 pyannote-database==6.1.1 \
    pyannote-metrics==4.2.0 pyannote-pipeline==4.1.0 pyannoteai-sdk==0.4.0 \
    pytorch-metric-learning==2.9.0 rich==15.0.0 safetensors==0.8.0 \
    torch-audiomentations==0.12.0 torchmetrics==1.9.0 onnx==1.23.2
# praesent's own dependencies (not praesent itself: the tests put the checkout on PYTHONPATH),
# so that `praesent analyze --diarizer pyannote` runs here as after `pip install praesent[pyannote]`.
add -c "$VENV/constraints.txt" -r "$ROOT/pyproject.toml"
echo "$KEY" > "$STAMP"
