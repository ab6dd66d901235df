"""The ``praesent agent`` command (typer); also ``python -m praesent.agent``."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from praesent.agent.runner import Agent, AgentOptions, CallCalendar, Display, Platform, say

_APP_OPTION = re.compile(r"([a-z0-9_-]{1,40})=(.{1,200})")


class NoWindow:
    """No web view (a server, a test, --no-window): the prompt's address is printed instead."""

    def show_prompt(self, url: str) -> None:
        say(f"a call started: answer at {url}")

    def close_prompt(self) -> None:
        return None

    def show_overlay(self, url: str) -> None:
        say(f"coaching; the overlay: {url}")


def platform_for_this_os() -> Platform:
    if sys.platform == "win32":  # pragma: no cover - not tested on this machine
        from praesent.agent.windows import WindowsPlatform

        return WindowsPlatform()
    if sys.platform == "darwin":  # pragma: no cover - not tested on this machine
        from praesent.agent.macos import MacPlatform

        return MacPlatform()
    from praesent.agent.pulse import LinuxPlatform

    return LinuxPlatform()


def _extra_apps(values: list[str]) -> dict[str, str]:
    apps: dict[str, str] = {}
    for value in values:
        match = _APP_OPTION.fullmatch(value)
        if match is None:
            raise typer.BadParameter(
                f"{value!r}: use KEY=PATTERN, e.g. jitsi=jitsi.*", param_hint="--app"
            )
        try:
            re.compile(match[2])
        except re.error as error:
            raise typer.BadParameter(f"{value!r}: {error}", param_hint="--app") from None
        apps[match[1]] = match[2]
    return apps


def agent(
    url: Annotated[
        str, typer.Option(help="The server's live socket base.")
    ] = "ws://127.0.0.1:8000",
    token: Annotated[
        str | None,
        typer.Option(
            envvar=["PRAESENT_TOKEN", "PRAESENT_API_TOKEN"],
            help="Your personal access token (or the server's token on a laptop).",
        ),
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="de, en or auto (default: your setting, else the server's).")
    ] = None,
    transcribe: Annotated[bool, typer.Option(help="Speech-to-text on or off.")] = True,
    informed: Annotated[
        bool,
        typer.Option(
            "--informed-default",
            help="Tick 'the customer knows the call is analysed' in each prompt by default.",
        ),
    ] = False,
    app: Annotated[
        list[str] | None,
        typer.Option(
            "--app", help="Another call app: KEY=PATTERN (its name, a regex); repeatable."
        ),
    ] = None,
    mic: Annotated[
        str | None,
        typer.Option(
            help="Microphone (seller): on Linux a source from `pactl list short sources`, "
            "elsewhere a name or index from `praesent capture --list-devices`."
        ),
    ] = None,
    window: Annotated[
        bool | None,
        typer.Option(
            "--window/--no-window",
            help="Show the prompt and overlay in a window (default: when there is a display).",
        ),
    ] = None,
    state: Annotated[
        Path | None, typer.Option(help="Where the agent remembers answers and the window's place.")
    ] = None,
    install_autostart: Annotated[
        bool, typer.Option("--install-autostart", help="Start the agent at login, then exit.")
    ] = False,
    remove_autostart: Annotated[
        bool, typer.Option("--remove-autostart", help="Stop starting it at login, then exit.")
    ] = False,
) -> None:
    """Watch for calls and offer to coach each one.

    When a call app (Zoom, Teams, Meet in a browser, Webex, Slack, softphones) keeps the microphone
    open while audio plays, a prompt asks whether to coach the call. Nothing is captured before you
    say yes; the session is finalised when the app closes the microphone."""
    from praesent.agent import autostart

    if install_autostart:
        typer.echo(f"installed: {autostart.install()}")
        return
    if remove_autostart:
        removed = autostart.remove()
        typer.echo(f"removed: {removed}" if removed else "no autostart entry was installed")
        return
    import platformdirs

    state_dir = state or Path(platformdirs.user_state_dir("praesent"))
    options = AgentOptions(
        url=url,
        token=token,
        language=language,
        transcribe=transcribe,
        informed_default=informed,
        extra_apps=_extra_apps(app or []),
        memory_path=state_dir / "agent.json",
        mic=mic,
    )
    from praesent.agent.calendar_context import calendar_watch
    from praesent.cli_common import load_settings

    calendar = calendar_watch(load_settings())
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or (
        sys.platform in ("win32", "darwin")
    )
    try:
        platform = platform_for_this_os()
        platform.watcher().close()
    except Exception as error:  # noqa: BLE001 - no sound server, no library: say so, no traceback
        say(f"cannot watch the sound server: {error}")
        raise typer.Exit(2) from None
    if window if window is not None else has_display:
        try:
            import webview  # noqa: F401 - the agent extra's web view

            from praesent.agent.window import run_with_windows
        except ImportError as error:
            say(f"no window ({error}): the prompt's address is printed instead")
        else:
            raise typer.Exit(run_with_windows(options, platform, calendar))
    raise typer.Exit(run_headless(options, platform, NoWindow(), calendar))


def run_headless(
    options: AgentOptions,
    platform: Platform,
    display: Display,
    calendar: CallCalendar | None = None,
) -> int:
    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stopping.set)
        await Agent(options, platform, display, calendar).run(stopping)

    asyncio.run(main())
    return 0
