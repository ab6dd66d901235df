"""The ``praesent capture`` command (typer); also ``python -m praesent.capture``."""

from __future__ import annotations

from typing import Annotated

import typer

from praesent.capture.client import CaptureOptions, capture_main, list_devices


def capture(
    url: Annotated[
        str, typer.Option(help="The server's live socket base.")
    ] = "ws://127.0.0.1:8000",
    mic: Annotated[
        str | None, typer.Option(help="Microphone (seller): a name or index from --list-devices.")
    ] = None,
    call: Annotated[
        str | None,
        typer.Option(help="Call audio (customer): a loopback/monitor name; default speaker."),
    ] = None,
    no_mic: Annotated[bool, typer.Option("--no-mic", help="Capture the call audio only.")] = False,
    no_call: Annotated[
        bool, typer.Option("--no-call", help="Capture the microphone only.")
    ] = False,
    language: Annotated[
        str | None, typer.Option(help="de, en or auto (default: your setting, else the server's).")
    ] = None,
    title: Annotated[str, typer.Option(help="A title for the session.")] = "",
    customer_informed: Annotated[
        # One name only: "--no-customer-informed" (the default) would be cut off in the help.
        bool,
        typer.Option("--customer-informed", help="The customer was told the call is analysed."),
    ] = False,
    transcribe: Annotated[bool, typer.Option(help="Speech-to-text on or off.")] = True,
    seller: Annotated[
        str | None,
        typer.Option(help="The seller (a server without accounts): adds to their voice profile."),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: Ctrl-C).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar=["PRAESENT_TOKEN", "PRAESENT_API_TOKEN"],
            help="Your personal access token (or the server's token on a laptop).",
        ),
    ] = None,
    devices: Annotated[
        bool, typer.Option("--list-devices", help="List the audio devices and exit.")
    ] = False,
) -> None:
    """Capture the call on this computer and stream it to praesent.

    The microphone is you, the system audio is the customer. Open the overlay page it prints to
    see the cues."""
    if devices:
        typer.echo(list_devices())
        return
    options = CaptureOptions(
        url=url,
        token=token,
        mic=mic,
        call=call,
        use_mic=not no_mic,
        use_call=not no_call,
        language=language,
        title=title,
        customer_informed=customer_informed,
        transcribe=transcribe,
        seller=seller,
        duration_s=duration,
    )
    raise typer.Exit(capture_main(options))
