# The two commands: `make run` and `make test`. Everything installs from uv.lock into .venv, with
# uv (pinned by hash in scripts/uv-requirements.txt) in .cache/uv-tool: only Python 3.11+ is needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP_RUN := $(VENV)/.praesent-run
STAMP_DEV := $(VENV)/.praesent-dev

UV_VERSION := 0.13.9
UV_TOOL := .cache/uv-tool
UV := $(UV_TOOL)/bin/uv
# uv's settings for every call below: the project's venv, the system's certificate store (which pip
# uses too; uv's own list lacks a locally added CA), and no Python downloaded behind one's back.
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_SYSTEM_CERTS := 1
export UV_PYTHON_DOWNLOADS := never
# Installed packages come with their bytecode: where PYTHONDONTWRITEBYTECODE is set (as on some CI
# machines) every process would otherwise compile each module it imports again (a server start
# 7.6 -> 4.7 CPU s, `praesent --help` 1.5 -> 0.6 s).
export UV_COMPILE_BYTECODE := 1
RUN_EXTRAS := --extra base --extra tiny-en --extra speakers --extra docs
DEV_EXTRAS := $(RUN_EXTRAS) --extra eval --extra dev --extra capture --extra agent --extra queue --extra oidc
# Says the fix when pyproject.toml changed and uv.lock was not refreshed.
LOCK_STALE := uv.lock does not match pyproject.toml: run 'make lock' (or '$(UV) lock' to change only what the edit needs) and commit uv.lock

.PHONY: run test test-pyannote pyannote-venv eval eval-speakers lint typecheck bench soak install \
	install-dev lock lock-check venv-check docs clean

$(UV): scripts/uv-requirements.txt
	$(PYTHON) -m venv $(UV_TOOL)
	$(UV_TOOL)/bin/python -m pip install --quiet --require-hashes --no-deps -r scripts/uv-requirements.txt
	touch $@

# Needs the CPU torch file the lock names (on this project's machines), so `make run` skips it.
lock-check: | $(UV)
	@$(UV) lock --check || { echo "error: $(LOCK_STALE)" >&2; exit 1; }

# --frozen: exactly the lock, checked by `make test`; --inexact: `make run` after `make test`
# keeps the test tools.
$(STAMP_RUN): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --inexact --python $(PYTHON) $(RUN_EXTRAS)
	$(BIN)/praesent models pull base
	$(BIN)/praesent models pull tiny.en
	$(BIN)/praesent models pull speakers
	touch $@

$(STAMP_DEV): pyproject.toml uv.lock | $(UV)
	@$(MAKE) --no-print-directory lock-check
	sh scripts/install-system-deps.sh
	$(UV) sync --frozen --python $(PYTHON) $(DEV_EXTRAS)
	$(BIN)/praesent models pull base
	$(BIN)/praesent models pull tiny.en
	$(BIN)/praesent models pull speakers
	touch $(STAMP_RUN) $@

# The newest versions pyproject.toml's ranges allow, then every check on them.
lock: | $(UV)
	$(UV) lock --upgrade
	{ echo "# uv, which installs uv.lock, pinned with the hashes of all its files (make lock)."; \
	  echo "uv==$(UV_VERSION)" | $(UV) pip compile --quiet --generate-hashes --universal \
		--no-header -; } > scripts/uv-requirements.txt
	$(MAKE) test

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)

# The manual: docs/ and mkdocs.yml built into the package, where `praesent serve` serves it at
# /help; --strict fails on a broken link, anchor or image. Rebuilt when a page or image changes.
HELP_SITE := server/praesent/help_site
$(HELP_SITE)/index.html: mkdocs.yml SECURITY.md $(shell find docs -type f) | $(STAMP_RUN)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -d $(HELP_SITE)
	touch $@
docs: $(HELP_SITE)/index.html

run: $(STAMP_RUN) docs
	$(BIN)/praesent serve --host $(HOST) --port $(PORT)

lint: $(STAMP_DEV)
	$(BIN)/ruff check server tests bench scripts
	$(BIN)/ruff format --check server tests bench scripts

typecheck: $(STAMP_DEV)
	$(BIN)/mypy
	$(BIN)/mypy --strict scripts

# pyannote.audio's own pipeline as the speaker backend runs in its own venv (torch), synced from
# the same uv.lock (the pyannote extra) and kept until the lock changes; its test is part of
# `make test`.
PYANNOTE_VENV := .cache/pyannote-venv
PYANNOTE_PYTHON := $(CURDIR)/$(PYANNOTE_VENV)/bin/python
pyannote-venv: $(STAMP_DEV)
	UV=$(UV) PYTHON=$(PYTHON) sh scripts/pyannote-venv.sh $(PYANNOTE_VENV)

# Both venvs hold exactly what uv.lock pins for them: no package more, none less, no other version.
venv-check: pyannote-venv
	$(BIN)/python scripts/venv_matches_lock.py $(VENV) $(DEV_EXTRAS)
	$(BIN)/python scripts/venv_matches_lock.py $(PYANNOTE_VENV) --extra pyannote

# Test files run on TEST_WORKERS processes (pytest-xdist; a file stays on one worker, since its
# tests share servers and a Redis database), the longest first in tests/conftest.py's order (xdist
# would otherwise start the files with the most tests first). A third of the suite's time is
# spent waiting on real-time calls, servers and browsers, so a third worker fills it; the files
# that play audio in real time run together on one worker at normal priority while the others
# lower theirs (tests/conftest.py), so they keep their tolerances on two busy cores.
TEST_WORKERS ?= 3
# With every core busy, each of the suite's processes computes on one thread (Whisper's and
# OpenBLAS's): a second only adds wake-ups. glibc keeps freed memory instead of handing it back
# (as praesent/launch.py sets it up for the `praesent` command; pytest's own processes need it here):
# CTranslate2 frees and takes its attention buffers at every step, and each new mapping costs a
# page fault per 4 KiB. Measured on `praesent analyze` of the phone call: 12.0 CPU s before,
# 8.9 after, the same wall time, 40 MB more at its peak.
TEST_ENV := PRAESENT_CPU_THREADS=1 OPENBLAS_NUM_THREADS=1 \
	MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=2000000000 MALLOC_TRIM_THRESHOLD_=2000000000
test: lock-check lint typecheck venv-check docs
	sh scripts/install-system-deps.sh
	$(BIN)/python -m compileall -q -j 0 server tests
	$(TEST_ENV) PRAESENT_PYANNOTE_PYTHON=$(PYANNOTE_PYTHON) \
	  $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

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
# The live bench again with its server pinned to one core (taskset -c 0): a machine about half as
# fast, measured on any machine. Short (1-minute calls, a few levels, no peer) to fit beside the rest.
BENCH_LIVE_PINNED ?= --pin-server 0 --minutes 1 --transcribe-levels 1,2,4 --transcribe-start 2 \
	--analytics-levels 25,50,100 --analytics-start 50 --skip-peer
bench: $(STAMP_DEV)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_topics.py
	$(BIN)/python bench/bench_analyze.py --baseline $(BENCH_BASELINE)
	$(BIN)/python bench/bench_steps.py
	$(BIN)/python bench/bench_live.py --each-step
	$(BIN)/python bench/bench_live.py $(BENCH_LIVE_PINNED)
	$(BIN)/python bench/bench_live_audio.py --baseline a8f7c42
	$(BIN)/python bench/bench_live_audio.py --baseline 841aecb --echo
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
	rm -rf $(VENV) $(UV_TOOL) .cache/pyannote-venv $(HELP_SITE) .pytest_cache .mypy_cache .ruff_cache
