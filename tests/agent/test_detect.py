"""The call detector as a state machine fed with snapshots and times (no sound server)."""

from __future__ import annotations

from praesent.agent.detect import (
    ARMED_MIC_S,
    END_GRACE_S,
    MIN_CALL_MIC_S,
    CallDetector,
    CallEnded,
    CallStarted,
    Snapshot,
    Stream,
    call_apps,
)

ZOOM = Stream(("ZOOM VoiceEngine", "zoom"), handle="7")
CHROME = Stream(("Google Chrome", "chrome"), handle="9")
RECORDER = Stream(("Sound Recorder", "gnome-sound-recorder"))
MUSIC = Stream(("Spotify", "spotify"), handle="3")


def _run(detector: CallDetector, timeline: list[tuple[float, Snapshot]]) -> list[object]:
    changes: list[object] = []
    for at, snapshot in timeline:
        changes += detector.update(at, snapshot)
    return changes


def _steps(start: float, end: float, snapshot: Snapshot) -> list[tuple[float, Snapshot]]:
    count = round((end - start) / 0.25)
    return [(start + i * 0.25, snapshot) for i in range(count + 1)]


def test_a_known_app_recording_while_playing_is_a_call_that_ends_with_its_microphone() -> None:
    detector = CallDetector()
    call = Snapshot(recording=(ZOOM,), playing=(ZOOM,))
    changes = _run(detector, [*_steps(0, 10, call), *_steps(10.25, 12, Snapshot())])
    assert len(changes) == 2
    started, ended = changes
    assert isinstance(started, CallStarted) and started.app.key == "zoom"
    assert started.at_s == MIN_CALL_MIC_S and started.playing == (ZOOM,)
    assert isinstance(ended, CallEnded) and ended.at_s == 10.25


def test_a_voice_message_an_unknown_app_and_a_silent_call_start_nothing() -> None:
    detector = CallDetector()
    short = Snapshot(recording=(ZOOM,), playing=(ZOOM,))
    timeline = [
        *_steps(0, MIN_CALL_MIC_S - 0.5, short),
        *_steps(3, 6, Snapshot()),
        *_steps(6, 20, Snapshot(recording=(RECORDER,), playing=(MUSIC,))),
        # The microphone open with nothing playing: a dictation, not a call.
        *_steps(20, 30, Snapshot(recording=(CHROME,))),
    ]
    assert _run(detector, timeline) == []


def test_a_headset_switch_within_the_grace_keeps_the_call() -> None:
    detector = CallDetector()
    call = Snapshot(recording=(CHROME,), playing=(MUSIC,))
    gap = END_GRACE_S / 2
    timeline = [*_steps(0, 5, call), (5.1, Snapshot()), (5.1 + gap, call), *_steps(6, 8, call)]
    changes = _run(detector, timeline)
    assert [type(change) for change in changes] == [CallStarted]
    assert detector.in_call() == ["browser"]


def test_the_sellers_own_apps_join_the_list() -> None:
    detector = CallDetector(call_apps({"pexip": r"pexip.*"}))
    app = Stream(("Pexip Infinity Connect",))
    changes = _run(detector, _steps(0, 4, Snapshot(recording=(app,), playing=(app,))))
    assert [change.app.key for change in changes if isinstance(change, CallStarted)] == ["pexip"]


def test_an_armed_detector_takes_a_silent_call_after_a_second() -> None:
    """While the calendar says a meeting with a call link is on, the waiting room (microphone
    open, nothing playing yet) is the call after ARMED_MIC_S; unarmed it would be a dictation."""
    waiting_room = Snapshot(recording=(ZOOM,))
    armed = CallDetector()
    changes = [c for at, s in _steps(0, 5, waiting_room) for c in armed.update(at, s, armed=True)]
    assert len(changes) == 1 and isinstance(changes[0], CallStarted)
    assert changes[0].at_s == ARMED_MIC_S and changes[0].playing == ()
    assert _run(CallDetector(), _steps(0, 5, waiting_room)) == []
    # Armed or not, an unknown app is no call, and a click shorter than ARMED_MIC_S neither.
    other = CallDetector()
    recorder = _steps(0, 5, Snapshot(recording=(RECORDER,)))
    assert [c for at, s in recorder for c in other.update(at, s, armed=True)] == []
    click = _steps(0, ARMED_MIC_S - 0.25, waiting_room)
    assert [c for at, s in click for c in CallDetector().update(at, s, armed=True)] == []
