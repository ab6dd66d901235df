"""What the agent remembers between calls: the seller's answer per app and per calendar series
("always coach Zoom", "never this series"), and where the overlay window was."""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Choice = Literal["always", "never"]
_KEY = re.compile(r"[\w.:@/ -]{1,200}")
_MAX_ENTRIES = 500


@dataclass(frozen=True, slots=True)
class Place:
    x: int
    y: int
    width: int
    height: int


@dataclass(slots=True)
class Memory:
    path: Path
    apps: dict[str, Choice] = field(default_factory=dict)
    series: dict[str, Choice] = field(default_factory=dict)
    window: Place | None = None
    # The window's events (the GUI thread) and the answers (the agent's loop) both save.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> Memory:
        memory = cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return memory  # none yet, or unreadable: start afresh
        if not isinstance(data, dict):
            return memory
        for name, target in (("apps", memory.apps), ("series", memory.series)):
            entries = data.get(name)
            if isinstance(entries, dict):
                for key, choice in list(entries.items())[:_MAX_ENTRIES]:
                    if (
                        isinstance(key, str)
                        and _KEY.fullmatch(key)
                        and choice in ("always", "never")
                    ):
                        target[key] = choice
        window = data.get("window")
        if isinstance(window, dict):
            try:
                x, y = int(window["x"]), int(window["y"])
                memory.window = Place(x, y, int(window["width"]), int(window["height"]))
            except (KeyError, TypeError, ValueError):
                memory.window = None
        return memory

    def choice(self, app: str, series: str | None) -> Choice | None:
        """A series' answer wins over the app's: a weekly customer call may be coached while
        internal Zoom calls are not."""
        if series is not None and series in self.series:
            return self.series[series]
        return self.apps.get(app)

    def remember(self, app: str, series: str | None, choice: Choice) -> None:
        if series is not None and _KEY.fullmatch(series):
            self.series[series] = choice
        else:
            self.apps[app] = choice
        self.save()

    def place_window(self, place: Place) -> None:
        self.window = place
        self.save()

    def save(self) -> None:
        with self._lock:
            self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data: dict[str, object] = {"apps": self.apps, "series": self.series}
        if self.window is not None:
            w = self.window
            data["window"] = {"x": w.x, "y": w.y, "width": w.width, "height": w.height}
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(partial, self.path)
