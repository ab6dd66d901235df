"""When is a call on? A pure state machine fed with snapshots of the sound server and times.

Each operating system's watcher (``pulse.py``, ``windows.py``, ``macos.py``) turns what its sound
server reports into a :class:`Snapshot`: which apps hold a recording stream (the microphone) and
which play audio. :class:`CallDetector` knows no clocks: the watcher passes the time with each
snapshot, so a test feeds it any timeline.

A call is a known call app that keeps the microphone open for at least ``MIN_CALL_MIC_S`` while
audio plays (the app's own or any other app's: a softphone may play through a helper process).
A shorter microphone use (a voice message, a dictation) starts nothing. The call ends once the app
has closed its microphone for ``END_GRACE_S`` (apps reopen the stream when the seller switches
headsets).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# A recording stream open this long, while audio plays, is a call; shorter is a voice message.
MIN_CALL_MIC_S = 3.0
# A microphone closed this long ends the call (a switch of headset reopens it within this).
END_GRACE_S = 1.0
# While the calendar says a meeting with a call link runs ("armed"), a call app holding the
# microphone this long is the call, whether or not audio plays yet (a waiting room is silent).
ARMED_MIC_S = 1.0


@dataclass(frozen=True, slots=True)
class CallApp:
    """A known call app: ``key`` names it in settings and memory; ``label`` is shown."""

    key: str
    label: str
    # Matched (case-insensitive, whole string) against a stream's app name or process binary.
    patterns: tuple[str, ...]

    def matches(self, names: Iterable[str]) -> bool:
        return any(
            re.fullmatch(pattern, name, re.IGNORECASE)
            for pattern in self.patterns
            for name in names
        )


# Apps as their streams name themselves on Linux (application.name / application.process.binary),
# Windows (the session's process image) and macOS (the bundle's executable).
KNOWN_APPS: tuple[CallApp, ...] = (
    CallApp("zoom", "Zoom", (r"zoom(\.us)?", r"zoom( meetings?| workplace)?", r"zoom\.exe")),
    CallApp(
        "teams", "Microsoft Teams", (r"(ms-)?teams2?(\.exe)?", r"microsoft teams.*", r"msteams")
    ),
    CallApp("webex", "Webex", (r"webex.*", r"cisco webex.*", r"atmgr(\.exe)?", r"ciscocollabhost")),
    CallApp("slack", "Slack (huddle)", (r"slack(\.exe)?", r"slackmacgap")),
    # Meet, Teams or Zoom in a browser tab: the browser is the app that holds the microphone.
    CallApp(
        "browser",
        "A call in the browser (Meet, Teams, Zoom)",
        (
            r"(google )?chrome(\.exe)?",
            r"chromium(-browser)?",
            r"firefox(-esr)?(\.exe)?",
            r"(microsoft )?edge|msedge(\.exe)?",
            r"brave(-browser)?",
        ),
    ),
    CallApp(
        "softphone",
        "A softphone",
        (r"linphone", r"zoiper\d*(\.exe)?", r"microsip(\.exe)?", r"3cx.*", r"bria.*", r"jitsi.*"),
    ),
)


def call_apps(extra: Mapping[str, str] | None = None) -> tuple[CallApp, ...]:
    """The known apps plus the seller's own (key -> a regular expression for its name)."""
    added = tuple(CallApp(key, key, (pattern,)) for key, pattern in (extra or {}).items())
    return KNOWN_APPS + added


@dataclass(frozen=True, slots=True)
class Stream:
    """One recording or playback stream as the sound server reports it."""

    names: tuple[str, ...]  # the app's name and its process binary, as far as known
    pid: int | None = None
    # The sound server's id of a playback stream (a PulseAudio sink-input index): what the
    # capture records to take only this app's sound.
    handle: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    recording: tuple[Stream, ...] = ()
    playing: tuple[Stream, ...] = ()


@dataclass(frozen=True, slots=True)
class CallStarted:
    app: CallApp
    at_s: float
    # The app's playback streams when the call was recognised (the call's sound).
    playing: tuple[Stream, ...]


@dataclass(frozen=True, slots=True)
class CallEnded:
    app: CallApp
    at_s: float


Change = CallStarted | CallEnded


@dataclass(slots=True)
class _Watch:
    mic_since: float | None = None  # the app holds the microphone since then
    mic_closed_at: float | None = None
    in_call: bool = False


@dataclass(slots=True)
class CallDetector:
    apps: tuple[CallApp, ...] = KNOWN_APPS
    min_call_mic_s: float = MIN_CALL_MIC_S
    end_grace_s: float = END_GRACE_S
    armed_mic_s: float = ARMED_MIC_S
    _watches: dict[str, _Watch] = field(default_factory=dict)

    def app_of(self, stream: Stream) -> CallApp | None:
        return next((app for app in self.apps if app.matches(stream.names)), None)

    def in_call(self) -> list[str]:
        return [key for key, watch in self._watches.items() if watch.in_call]

    def update(self, now_s: float, snapshot: Snapshot, armed: bool = False) -> list[Change]:
        """What changed with this snapshot at ``now_s`` (seconds, any monotonic origin);
        ``armed``: a meeting with a call link is on now (see ``ARMED_MIC_S``)."""
        hold_s = self.armed_mic_s if armed else self.min_call_mic_s
        recording = {app.key for s in snapshot.recording if (app := self.app_of(s)) is not None}
        changes: list[Change] = []
        for app in self.apps:
            watch = self._watches.setdefault(app.key, _Watch())
            if app.key in recording:
                watch.mic_closed_at = None
                if watch.mic_since is None:
                    watch.mic_since = now_s
                own = tuple(s for s in snapshot.playing if self.app_of(s) == app)
                long_enough = now_s - watch.mic_since >= hold_s
                if not watch.in_call and long_enough and (snapshot.playing or armed):
                    watch.in_call = True
                    changes.append(CallStarted(app, now_s, own))
                continue
            if watch.mic_since is not None and watch.mic_closed_at is None:
                watch.mic_closed_at = now_s
            closed_at = watch.mic_closed_at
            if closed_at is not None and now_s - closed_at >= self.end_grace_s:
                if watch.in_call:
                    changes.append(CallEnded(app, closed_at))
                self._watches[app.key] = _Watch()
        return changes
