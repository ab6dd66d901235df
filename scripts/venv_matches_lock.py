"""Check that a virtual environment holds exactly what uv.lock pins for the given extras.

    python scripts/venv_matches_lock.py VENV [--extra NAME ...]

The lock's packages for these extras come from `uv export` (the same uv the Makefile installs),
with their markers evaluated for VENV's interpreter; the installed ones are read from VENV's own
metadata. Any package missing, extra or at another version is listed, and the exit code is 1.
praesent itself (installed editable from the checkout) is not compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".cache" / "uv-tool" / "bin" / "uv"

# Reads the installed distributions and the marker environment inside VENV's interpreter.
_PROBE = """
import json, platform, sys, os
from importlib.metadata import distributions
env = {
    "implementation_name": sys.implementation.name,
    "implementation_version": platform.python_version(),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_python_implementation": platform.python_implementation(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
dists = {d.metadata["Name"]: d.version for d in distributions()}
print(json.dumps({"env": env, "dists": dists}))
"""


def locked(extras: list[str], env: dict[str, str]) -> dict[str, str]:
    """name -> version that uv.lock pins for these extras on this interpreter."""
    command = [str(UV), "export", "--frozen", "--no-hashes", "--no-header", "--no-emit-project"]
    command += ["--no-annotate", "--format", "requirements-txt", *extras]
    lines = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    pins: dict[str, str] = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate(env):
            continue
        if requirement.startswith("file://"):  # a wheel on disk (the CPU torch)
            wheel = parse_wheel_filename(Path(requirement.strip()).name)
            name, version = str(wheel[0]), str(wheel[1])
        else:
            name, _, version = requirement.partition("==")
        pins[canonicalize_name(name.strip())] = version.strip()
    return pins


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    venv, extras = Path(argv[0]), argv[1:]
    python = venv / "bin" / "python"
    if not python.is_file():
        print(f"error: {venv} is no virtual environment (no bin/python)", file=sys.stderr)
        return 2
    probe = subprocess.run(
        [str(python), "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    seen = json.loads(probe.stdout)
    installed: dict[str, str] = {canonicalize_name(n): v for n, v in seen["dists"].items()}
    installed.pop("praesent", None)
    pins = locked(extras, seen["env"])
    problems = [f"missing: {n}=={v}" for n, v in sorted(pins.items()) if n not in installed]
    problems += [f"not locked: {n}=={v}" for n, v in sorted(installed.items()) if n not in pins]
    problems += [
        f"other version: {n} {installed[n]} installed, {v} locked"
        for n, v in sorted(pins.items())
        if n in installed and installed[n] != v
    ]
    if problems:
        print(f"{venv} differs from uv.lock ({' '.join(extras)}):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print("run 'make install-dev' (or delete the venv) to sync it again", file=sys.stderr)
        return 1
    print(f"{venv}: {len(installed)} packages, all as uv.lock pins them")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
