from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

# Whisper's threads (CTranslate2's OpenMP pool) spin for a while after each step by default:
# with two test workers, their servers and CLI runs on two cores, that spinning takes the CPU
# the others need (measured: 13 % of a live test file's CPU). Set before any model loads, and
# inherited by every process the tests start.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from praesent.analysis import AnalysisRequest
from praesent.engines import Engines, load_engines
from praesent.settings import Settings
from tests.analyses import Analyses, run_folder
from tests.support import Figure, shared, two_channel_call


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def engines(settings: Settings) -> Engines:
    """The real default model (base, int8), loaded once for the whole run."""
    return load_engines(settings)


@pytest.fixture(scope="session")
def analyses(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Analyses:
    """``analyse_file`` with the real models, computed once per run for the same audio and
    request, whichever worker asks first (tests/analyses.py)."""
    return Analyses(engines, run_folder(tmp_path_factory))


@pytest.fixture(scope="session")
def phonecall_stereo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The phone call as a two-channel call: speaker90 (seller) left, speaker91 (customer) right."""
    target = tmp_path_factory.mktemp("calls") / "phonecall-2ch.wav"
    return two_channel_call(
        shared("en-phonecall-2spk/sample.wav"),
        shared("en-phonecall-2spk/sample.rttm"),
        "speaker90",
        "speaker91",
        target,
    )


@pytest.fixture(scope="session")
def phonecall_stereo_analysis(analyses: Analyses, phonecall_stereo: Path) -> dict[str, Any]:
    """What the CLI's core (``praesent analyze``) makes of the two-channel phone call, computed
    once per run; tests must not change it."""
    return analyses(phonecall_stereo, AnalysisRequest(("seller", "customer")))


# Accuracy figures measured by this run, printed at the end so every CI log carries them. A test
# records them as user properties, which pytest-xdist's workers send with their reports.
_FIGURES: dict[str, str] = {}


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Figure:
    """Record a measured figure (name, value, bar) for the run's summary."""

    def record(name: str, value: float, bar: str) -> None:
        request.node.user_properties.append(("figure", (name, f"{value:.3f} (bar {bar})")))

    return record


# What each test file cost: wall time and CPU time (the worker's and its finished child
# processes': servers, CLI runs), set-up and tear-down included, to see where CI's time goes.
_COST: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
_STARTED = pytest.StashKey[tuple[float, float]]()


def _cpu_s() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _lower_priority(item)
    item.stash[_STARTED] = (time.monotonic(), _cpu_s())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    if call.when == "teardown" and _STARTED in item.stash:
        wall, cpu = item.stash[_STARTED]
        item.user_properties.append(("cost", (time.monotonic() - wall, _cpu_s() - cpu)))
    return (yield)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "teardown":
        return
    for key, value in report.user_properties:
        if key == "figure":
            name, text = value
            _FIGURES[str(name)] = str(text)
        elif key == "cost":
            cost = _COST[report.nodeid.split("::")[0]]
            cost[0] += value[0]
            cost[1] += value[1]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("accuracy figures measured in this run")
        for name, text in sorted(_FIGURES.items()):
            terminalreporter.write_line(f"{name:40} {text}")
    if _COST:
        terminalreporter.section("the costliest test files (wall s, CPU s)")
        for path, (wall, cpu) in sorted(_COST.items(), key=lambda kv: -kv[1][0])[:25]:
            terminalreporter.write_line(f"{wall:7.1f} {cpu:7.1f}  {path}")


# Files that play audio in real time through a browser's capture or PulseAudio, with tolerances
# on what was heard: they run together on one worker, ahead of the rest, and the other workers
# lower their own priority (nice 10, inherited by their servers and CLI runs), so Whisper-bound
# work never takes the CPU those real-time processes need (with three workers and no such rule,
# they missed their tolerances in two of three runs).
_REAL_TIME = ("tests/overlay/", "tests/agent/")
_NICE = 10

# The longest other files (over 20 s each, wall time of a fresh-clone `make test`, as the run's
# last table prints it) start first, so that the workers do not end on one long file while the
# others sit idle.
_LONGEST_FIRST = (
    "tests/test_live.py",
    "tests/jobs/test_workers.py",
    "tests/robustness/test_live_language.py",
    "tests/test_failover.py",
    "tests/robustness/test_with_whisper.py",
    "tests/test_analysis.py",
    "tests/test_replicas.py",
    "tests/test_cli_terminal.py",
    "tests/test_speech_to_text.py",
    "tests/test_packing.py",
    "tests/speakers/test_pyannote_backend.py",
    "tests/report/test_report_command.py",
    "tests/test_cli.py",
    "tests/speakers/test_mono_calls.py",
    "tests/test_operations.py",
    "tests/team/test_schemathesis.py",
)


def _file(nodeid: str) -> str:
    return nodeid.split("::")[0]


def _real_time(nodeid: str) -> bool:
    return _file(nodeid).startswith(_REAL_TIME)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        if _real_time(item.nodeid):
            return -1
        path = _file(item.nodeid)
        return _LONGEST_FIRST.index(path) if path in _LONGEST_FIRST else len(_LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within a file and among the others is kept


class _FilesAndRealTime(LoadScopeScheduling):
    """``--dist loadfile``, with the real-time files as one unit, in collection order (xdist
    would otherwise start the units with the most tests first)."""

    def _split_scope(self, nodeid: str) -> str:
        return "real-time" if _real_time(nodeid) else _file(nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    if config.getoption("dist") != "loadfile":
        return None
    config.option.loadscopereorder = False
    return _FilesAndRealTime(config, log)


def _lower_priority(item: pytest.Item) -> None:
    """On an xdist worker, before its first test that is not real-time."""
    if (
        "PYTEST_XDIST_WORKER" in os.environ
        and not _real_time(item.nodeid)
        and os.getpriority(os.PRIO_PROCESS, 0) < _NICE
    ):
        os.setpriority(os.PRIO_PROCESS, 0, _NICE)
