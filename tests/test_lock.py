"""uv.lock and pyproject.toml: a range edited without re-locking stops `make test` with the fix."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UV_TOOL = ROOT / ".cache" / "uv-tool"


def _checkout(tmp_path: Path) -> Path:
    """What `make lock-check` reads, copied, with the uv that `make` installed."""
    copy = tmp_path / "checkout"
    (copy / "scripts").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copy(ROOT / "scripts" / "uv-requirements.txt", copy / "scripts")
    shutil.copytree(ROOT / "server" / "praesent", copy / "server" / "praesent", symlinks=True)
    (copy / ".cache").mkdir()
    (copy / ".cache" / "uv-tool").symlink_to(UV_TOOL)
    return copy


def _lock_check(checkout: Path) -> subprocess.CompletedProcess[str]:
    # -o: the uv tool is there already; make must not try to rebuild it from the copied pin.
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".cache/uv-tool/bin/uv", "lock-check"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_the_committed_lock_matches_pyproject(tmp_path: Path) -> None:
    result = _lock_check(_checkout(tmp_path))
    assert result.returncode == 0, result.stderr


def test_a_range_edited_without_relocking_fails_and_names_the_fix(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    pyproject = checkout / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert '"rich>=13",' in text
    pyproject.write_text(text.replace('"rich>=13",', '"rich>=13.1",'), encoding="utf-8")
    result = _lock_check(checkout)
    assert result.returncode != 0
    assert "uv.lock does not match pyproject.toml: run 'make lock'" in result.stderr
    # The lock itself is left as it was: the check never rewrites it.
    assert (checkout / "uv.lock").read_bytes() == (ROOT / "uv.lock").read_bytes()
