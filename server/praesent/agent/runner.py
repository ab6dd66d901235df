"""The agent's loop: watch the sound server, ask the seller when a call starts, capture the call
while they said yes, finalise the session when the app closes the microphone.

Every few hundred milliseconds the platform's watcher takes a snapshot of the streams; the pure
:class:`CallDetector` says when a call starts or ends. Capture reuses ``praesent capture``'s
streaming (``run_capture``): the microphone as the seller, the call app's own sound as the
customer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from praesent.agent.detect import CallApp, CallDetector, CallEnded, CallStarted, Snapshot, call_apps
from praesent.agent.memory import Choice, Memory
from praesent.agent.prompt import Answer, PromptRequest, PromptServer
from praesent.agent.tray_menu import AgentStatus
from praesent.capture.client import CaptureOptions, run_capture
from praesent.capture.sources import Reader, Source

POLL_S = 0.25  # how often the streams are listed: a call's end is seen within this


class Watcher(Protocol):
    def snapshot(self) -> Snapshot: ...
    def close(self) -> None: ...


class Platform(Protocol):
    """What differs per operating system: how streams are seen, how the app's sound is read."""

    def watcher(self) -> Watcher: ...
    def app_output(self, app: CallApp) -> Reader: ...
    def microphone(self, device: str | None) -> Reader: ...


class Display(Protocol):
    """The prompt and the overlay window (a web view), or nothing on a computer without one."""

    def show_prompt(self, url: str) -> None: ...
    def close_prompt(self) -> None: ...
    def show_overlay(self, url: str) -> None: ...


@dataclass(frozen=True, slots=True)
class CallContext:
    """What the calendar knows of the call now on; the prompt and the session show it."""

    title: str | None = None
    customer: str | None = None
    company: str | None = None
    series: str | None = None  # a calendar series' id: its answer is remembered


# The calendar's seam: given the app that started a call, what meeting is it (None: unknown).
class CallCalendar(Protocol):
    """What the seller's calendar says (``agent/calendar_context.py``)."""

    def context(self, app: CallApp) -> CallContext | None:
        """The event a call of ``app`` starting now belongs to, if any."""

    def armed(self) -> bool:
        """Whether a meeting with a call link is on now: the call is then taken at once."""


@dataclass(frozen=True, slots=True)
class AgentOptions:
    url: str = "ws://127.0.0.1:8000"
    token: str | None = None
    language: str | None = None
    transcribe: bool = True
    # The seller's setting: the consent box starts ticked (it is still asked for every call).
    informed_default: bool = False
    extra_apps: dict[str, str] = field(default_factory=dict)
    memory_path: Path = Path("agent.json")
    mic: str | None = None
    seller: str | None = None
    poll_s: float = POLL_S


def emit(event: dict[str, Any]) -> None:
    """One JSON line per thing that happened, for scripts and the tests."""
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    sys.stderr.write(f"praesent agent: {message}\n")
    sys.stderr.flush()


@dataclass(slots=True)
class _Call:
    app: CallApp
    context: CallContext
    prompt_id: str
    answer: asyncio.Future[Answer]
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    coached: bool = False


class Agent:
    def __init__(
        self,
        options: AgentOptions,
        platform: Platform,
        display: Display,
        calendar: CallCalendar | None = None,
        memory: Memory | None = None,
        on_status: Callable[[AgentStatus], None] | None = None,
    ) -> None:
        self.options = options
        self.platform = platform
        self.display = display
        self.calendar = calendar
        # One memory for the agent and its window: each save writes the whole file.
        self.memory = memory or Memory.load(options.memory_path)
        self._call: _Call | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The tray's view of the agent, told on each change (from the agent's loop).
        self._on_status = on_status or (lambda status: None)
        self._paused = False
        self._last_report: str | None = None

    def set_paused(self, paused: bool) -> None:
        """From any thread (the tray's): while paused, a call that starts is not prompted for."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._pause, paused)

    def _pause(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            emit({"type": "paused" if paused else "resumed"})
            self._publish()

    def _publish(self) -> None:
        call = self._call
        self._on_status(
            AgentStatus(
                paused=self._paused,
                call=call.app.label if call is not None else None,
                coaching=call is not None and call.coached,
                last_report=self._last_report,
            )
        )

    def _answered(self, prompt_id: str, answer: Answer) -> bool:
        """From the prompt server's thread: hand the answer to the loop if the call still waits."""
        call, loop = self._call, self._loop
        if call is None or loop is None or call.prompt_id != prompt_id or call.answer.done():
            return False

        def settle() -> None:
            if not call.answer.done():
                call.answer.set_result(answer)

        loop.call_soon_threadsafe(settle)
        return True

    async def run(self, stopping: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        prompts = PromptServer(self._answered).start()
        watcher = self.platform.watcher()
        detector = CallDetector(call_apps(self.options.extra_apps))
        emit({"type": "watching", "apps": [app.key for app in detector.apps]})
        self._publish()
        unprompted: set[str] = set()  # calls that started while paused
        try:
            while not stopping.is_set():
                snapshot = await asyncio.to_thread(watcher.snapshot)
                armed = self.calendar is not None and await asyncio.to_thread(self.calendar.armed)
                for change in detector.update(time.monotonic(), snapshot, armed):
                    if isinstance(change, CallStarted) and self._paused:
                        # Paused: the call is seen but not prompted for, now or later.
                        unprompted.add(change.app.key)
                        emit({"type": "call_started", "app": change.app.key, "title": None})
                        emit({"type": "skipped", "app": change.app.key, "reason": "paused"})
                    elif isinstance(change, CallStarted) and self._call is None:
                        self._call = await self._started(change.app, prompts)
                        self._publish()
                    elif isinstance(change, CallEnded) and change.app.key in unprompted:
                        unprompted.discard(change.app.key)
                        emit({"type": "call_ended", "app": change.app.key})
                    elif isinstance(change, CallEnded):
                        await self._ended(change.app, prompts)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.options.poll_s)
        finally:
            if self._call is not None:
                await self._ended(self._call.app, prompts)
            watcher.close()
            prompts.stop()

    async def _started(self, app: CallApp, prompts: PromptServer) -> _Call | None:
        # The calendar may be a server (up to its timeout): read off the loop, as ``armed`` is.
        found = (
            await asyncio.to_thread(self.calendar.context, app)
            if self.calendar is not None
            else None
        )
        context = found or CallContext()
        emit({"type": "call_started", "app": app.key, "title": context.title})
        remembered = self.memory.choice(app.key, context.series)
        if remembered == "never":
            emit({"type": "skipped", "app": app.key, "reason": "remembered: never"})
            return None
        assert self._loop is not None
        call = _Call(app, context, secrets.token_hex(8), self._loop.create_future())
        request = PromptRequest(
            prompt_id=call.prompt_id,
            app_label=app.label,
            title=context.title,
            customer=context.customer,
            informed_default=self.options.informed_default,
            series=context.series,
            company=context.company,
        )
        url = prompts.open(request)
        emit({"type": "prompt", "app": app.key, "url": url})
        self.display.show_prompt(url)
        call.task = asyncio.create_task(self._coach(call))
        return call

    async def _coach(self, call: _Call) -> None:
        answer = await call.answer
        self.display.close_prompt()
        if answer.remember:
            choice: Choice = "always" if answer.coach else "never"
            self.memory.remember(call.app.key, call.context.series, choice)
        emit(
            {"type": "answer", "coach": answer.coach, "customer_informed": answer.customer_informed}
        )
        if not answer.coach:
            return
        call.coached = True
        self._publish()
        sources = {
            "seller": Source("microphone", lambda: self.platform.microphone(self.options.mic), say),
            "customer": Source("call audio", lambda: self.platform.app_output(call.app), say),
        }
        for source in sources.values():
            source.start()
        options = CaptureOptions(
            url=self.options.url,
            token=self.options.token,
            language=self.options.language,
            title=call.context.title or f"{call.app.label} call",
            customer_informed=answer.customer_informed,
            transcribe=self.options.transcribe,
            seller=self.options.seller,
        )
        try:
            final = await run_capture(options, sources, self._on_event, call.stopping)
        except OSError as error:
            say(f"cannot reach praesent at {self.options.url}: {error}")
            final = None
        finally:
            for source in sources.values():
                source.stop()
        if final is not None:
            report = _report(final)
            emit({"type": "final", "session_id": final.get("session_id"), **report})
            self._last_report = report.get("report_url", self._last_report)
            self._publish()

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "ready":
            page = self.options.url.replace("ws", "http", 1).rstrip("/")
            overlay = f"{page}/?session={event['session_id']}"
            emit({"type": "ready", "session_id": event["session_id"], "overlay": overlay})
            self.display.show_overlay(overlay)
        elif event.get("type") == "warning" and event.get("kind") == "echo" and event.get("active"):
            say("your microphone hears the call (echo): use a headset")
        elif (
            event.get("type") == "warning" and event.get("kind") == "voices" and event.get("active")
        ):
            say("your microphone hears people talking around you: your talk time may read high")

    async def _ended(self, app: CallApp, prompts: PromptServer) -> None:
        call = self._call
        if call is None or call.app.key != app.key:
            return
        self._call = None
        prompts.close(call.prompt_id)
        if not call.answer.done():
            call.answer.cancel()  # the call ended unanswered: nothing was captured
            self.display.close_prompt()
        call.stopping.set()
        emit({"type": "call_ended", "app": app.key})
        self._publish()
        if call.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await call.task


def _report(final: dict[str, Any]) -> dict[str, Any]:
    report = final.get("report_url") or final.get("analysis_url")
    return {"report_url": report} if isinstance(report, str) else {}
