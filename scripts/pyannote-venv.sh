#!/bin/sh
# pyannote.audio's own virtual environment, for the pyannote backend's test (part of `make test`)
# and `make eval-speakers`: torch is large and stays out of .venv. Synced from uv.lock's pyannote
# extra (UV=path; `make` passes its own), so it holds the same bytes on every machine; rebuilt
# when the lock or this file changes: the stamp holds their SHA-256 and is written last, so a
# build cut short is redone.
#
# torch is the CPU build from this project's machines (pyproject.toml's [tool.uv.sources]).
# torchaudio is needed by pyannote.audio for its Python parts only (kaldi fbank, MFCC); its
# wheel's compiled extension is a CUDA build for another torch, so it is removed, which
# torchaudio supports (it loads the extension only if present). praesent itself is not installed:
# the tests put the checkout on PYTHONPATH.
set -eu
VENV=${1:-.cache/pyannote-venv}
UV=${UV:-uv}
PYTHON=${PYTHON:-python3}
STAMP=$VENV/.praesent-pyannote
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEY=$(cat "$0" "$ROOT/uv.lock" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" = "$KEY" ]; then exit 0; fi
rm -f "$STAMP"
UV_PROJECT_ENVIRONMENT=$VENV "$UV" sync --quiet --frozen --no-install-project --python "$PYTHON" \
    --project "$ROOT" --extra pyannote
rm -f "$VENV"/lib/python3*/site-packages/torchaudio/lib/*.so
echo "$KEY" > "$STAMP"
