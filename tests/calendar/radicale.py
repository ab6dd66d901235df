"""A real CalDAV server (Radicale) on 127.0.0.1 in its own process, with one account."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import caldav
import httpx

from tests.live_server import free_port

USER = "ada"
PASSWORD = "radicale secret 7"


@dataclass(frozen=True)
class Radicale:
    base: str

    @property
    def calendar_url(self) -> str:
        return f"{self.base}/{USER}/work/"

    def client(self) -> caldav.DAVClient:
        return caldav.DAVClient(self.base, username=USER, password=PASSWORD)

    def add_events(self, *ics: str) -> None:
        """Create the account's calendar "work" (once) and store these VCALENDAR texts in it."""
        with self.client() as client:
            try:
                calendar = client.calendar(url=self.calendar_url)  # type: ignore[no-untyped-call]
                calendar.events()
            except caldav.lib.error.DAVError:
                principal = client.principal()  # type: ignore[no-untyped-call]
                calendar = principal.make_calendar(name="Work", cal_id="work")
            for text in ics:
                calendar.save_event(text)


@contextmanager
def running_radicale(folder: Path) -> Iterator[Radicale]:
    """Radicale with a plain-text htpasswd account (``USER``/``PASSWORD``), each user seeing
    only their own calendars; stopped at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    users = folder / "users"
    users.write_text(f"{USER}:{PASSWORD}\n")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(users),
            "--auth-htpasswd-encryption",
            "plain",
            "--rights-type",
            "owner_only",
            # Wrong passwords are answered at once (a test tries one).
            "--auth-delay",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "radicale.log").open("wb"),
        stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError((folder / "radicale.log").read_text()[-2000:])
            try:
                httpx.get(f"{base}/.web/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield Radicale(base)
    finally:
        process.terminate()
        process.wait(timeout=10)
