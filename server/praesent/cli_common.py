"""What the ``praesent`` commands share: one-line errors, progress on a terminal, the output
file's checks, and the analysis of a recording with its options (``analyze`` and ``report FILE``
take the same ones, from here)."""

from __future__ import annotations

import logging
import os
import reprlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from praesent.errors import InputError, PraesentError
from praesent.settings import Settings

err = Console(stderr=True)
ProgressCallback = Callable[[float, float], None]


def fail(error: PraesentError) -> NoReturn:
    """One line on standard error (or the JSON log) and exit 2 for bad input, else 3."""
    from praesent import logs

    if logs.is_json():
        logging.getLogger("praesent").error(error.message)
    else:
        # Plain write: one line, never wrapped to the terminal's width.
        sys.stderr.write(f"praesent: error: {error.message}\n")
    bad_input = isinstance(error, InputError) or error.code in (
        "conflict",
        "not_found",
        "bad_record",
    )
    raise typer.Exit(2 if bad_input else 3)


@contextmanager
def reported() -> Iterator[None]:
    try:
        yield
    except PraesentError as error:
        fail(error)


def load_settings() -> Settings:
    """The settings from the environment; a bad ``PRAESENT_*`` value is one line naming it."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        if not first["loc"]:
            # A rule between settings (e.g. a compute type and its device): the message names them.
            fail(InputError(str(first["msg"]).removeprefix("Value error, ")))
        name = "PRAESENT_" + "_".join(str(part) for part in first["loc"][:1]).upper()
        message = str(first["msg"]).removeprefix("Value error, ")
        # reprlib: a value of a megabyte is shown as its first characters.
        fail(InputError(f"{name}: {message} (got {reprlib.repr(first.get('input'))})"))


def notice(message: str) -> None:
    """A word to whoever started the command: on the terminal, or a line of the JSON log."""
    from praesent import logs

    if logs.is_json():
        logging.getLogger("praesent").info(message)
    else:
        err.print(message, highlight=False, soft_wrap=True)


class _Seconds(ProgressColumn):
    """``12/80 s``; just the seconds done while the length is not known yet (rich keeps a
    task's total None until the first update)."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text(f"{task.completed:.0f} s")
        return Text(f"{task.completed:.0f}/{task.total:.0f} s")


@contextmanager
def progress(label: str) -> Iterator[ProgressCallback | None]:
    """A progress bar on a terminal (the callback takes seconds done and the total); on a pipe
    or in a file nothing, and the callback is None."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = (TextColumn(label), BarColumn(), _Seconds(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: float, total: float) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def check_output(path: Path | None) -> None:
    """A file to write can be written: checked before any long work, so a typo in the folder
    does not cost the analysis."""
    if path is None:
        return
    if path.is_dir():
        raise InputError(f"--output: {path} is a folder; name a file in it")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"--output: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"--output: {path} cannot be written (permission denied)")


def write_output(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise InputError(f"--output: {path} cannot be written ({error.strerror})") from None


# The options of a recording to analyse, the same in `praesent analyze` and `praesent report`.
ChannelsOption = Annotated[
    str, typer.Option(help="Role of each channel, e.g. seller,customer (- skips a channel).")
]
MonoOption = Annotated[
    bool, typer.Option(help="All voices on one channel: roles from speaker attribution.")
]
LanguageOption = Annotated[str | None, typer.Option(help="de, en, … or auto.")]
ModelOption = Annotated[str | None, typer.Option(help="Model name or directory.")]
SellerOption = Annotated[
    str | None,
    typer.Option(
        help="The seller: with --mono their voice profile finds them; with two channels "
        "their own channel adds to their profile."
    ),
]
SellerSpeakerOption = Annotated[
    str, typer.Option(help="With --mono and no profile: first, most or a speaker (S2).")
]
SpeakersOption = Annotated[
    int | None, typer.Option(help="With --mono: how many speakers (found if not given).")
]
DiarizerOption = Annotated[
    str | None, typer.Option(help="With --mono: embedded (default), pyannote or none.")
]
PipelineOption = Annotated[
    Path | None, typer.Option(help="A local pyannote.audio pipeline directory.")
]


@dataclass(frozen=True, slots=True)
class RecordingOptions:
    channels: str = "seller,customer"
    mono: bool = False
    language: str | None = None
    model: str | None = None
    seller: str | None = None
    seller_speaker: str = "first"
    speakers: int | None = None
    diarizer: str | None = None
    pipeline: Path | None = None


def analyse_recording(settings: Settings, file: Path, options: RecordingOptions) -> dict[str, Any]:
    """Analyse a recorded call: every option is checked before the model loads, progress shows
    on a terminal, a known seller's own channel adds to their voice profile."""
    from praesent.analysis import AnalysisRequest, analyse_file, parse_channels
    from praesent.asr.language_codes import language_setting
    from praesent.audio.decode import probe
    from praesent.engines import load_engines
    from praesent.speakers.setup import speaker_attribution
    from praesent.summaries_llm import options_from_settings, with_abstractive_summaries

    roles = () if options.mono else parse_channels(options.channels)
    if options.language is not None:
        language = language_setting(options.language, "--language")
    else:
        language = language_setting(settings.language, "PRAESENT_LANGUAGE")
    probe(file)  # a bad file fails before the model loads
    attribution = None
    if options.mono:
        attribution = speaker_attribution(
            settings,
            diarizer=options.diarizer,
            seller_id=options.seller,
            seller_rule=options.seller_speaker,
            num_speakers=options.speakers,
            pipeline=options.pipeline,
        )
    request = AnalysisRequest(
        channel_roles=roles, mono=options.mono, language=language, speakers=attribution
    )
    engines = load_engines(settings, options.model)
    with progress("analysing") as update:
        result = analyse_file(file, request, engines, update)
    if options.seller is not None and not options.mono:
        _learn_voice(settings, file, roles.index("seller"), result, options.seller)
    return with_abstractive_summaries(result, options_from_settings(settings))


def _learn_voice(
    settings: Settings, file: Path, channel: int, result: dict[str, Any], seller: str
) -> None:
    """A two-channel call of a known seller adds their own channel's voice to their profile."""
    from praesent.speakers.attribution import load_speaker_models
    from praesent.speakers.profiles import learn_seller_voice

    sample = learn_seller_voice(
        settings, load_speaker_models(settings), file, channel, result, seller
    )
    if sample is None:
        err.print(f"{seller}: too little speech of their own to add to the voice profile")
    else:
        err.print(f"{seller}: {sample.speech_s:.1f} s of speech added to the voice profile")
