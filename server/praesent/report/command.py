"""``praesent report SESSION_ID|FILE``: the coaching report of a stored session or a recording.

Registered in ``praesent.cli`` with ``app.command("report")(report_command)``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from praesent.cli_common import (
    ChannelsOption,
    DiarizerOption,
    LanguageOption,
    ModelOption,
    MonoOption,
    PipelineOption,
    RecordingOptions,
    SellerOption,
    SellerSpeakerOption,
    SpeakersOption,
    analyse_recording,
    check_output,
    err,
    load_settings,
    notice,
    reported,
    write_output,
)
from praesent.errors import InputError


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"


class ReportLang(StrEnum):
    de = "de"
    en = "en"


class UnknownSessionError(InputError):
    code = "not_found"


def _session_of_store(session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A stored session's analysis (with its ``session``) and the same seller's earlier calls."""
    from praesent.report.sessions import session_with_history
    from praesent.store import EventStore, migrate

    url = load_settings().effective_database_url
    migrate(url)
    with EventStore(url) as store:
        found = session_with_history(store, session_id)
    if found is None:
        raise UnknownSessionError(f"{session_id} is neither a file nor a stored session")
    return found


def report_command(
    target: Annotated[
        str, typer.Argument(help="A session id from the store, or a recording to analyse.")
    ],
    output_format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.html,
    lang: Annotated[
        ReportLang | None, typer.Option(help="de or en (default: the call's language, else en).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    channels: ChannelsOption = "seller,customer",
    mono: MonoOption = False,
    language: LanguageOption = None,
    model: ModelOption = None,
    seller: SellerOption = None,
    seller_speaker: SellerSpeakerOption = "first",
    speakers: SpeakersOption = None,
    diarizer: DiarizerOption = None,
    pipeline: PipelineOption = None,
) -> None:
    """Write the coaching report of a stored session or of a recording (HTML, PDF or JSON).

    A recording takes the options of `praesent analyze`."""
    from praesent.report import build_report, to_html, to_json, to_pdf

    options = RecordingOptions(
        channels, mono, language, model, seller, seller_speaker, speakers, diarizer, pipeline
    )
    with reported():
        check_output(output)
        if output is None and output_format is ReportFormat.pdf and sys.stdout.isatty():
            raise InputError("a PDF does not belong on a terminal; use --output")
        path = Path(target)
        history: list[dict[str, Any]] = []
        if path.is_file():
            analysis = analyse_recording(load_settings(), path, options)
        else:
            analysis, history = _session_of_store(target)
        chosen = lang.value if lang else ("de" if analysis.get("language") == "de" else "en")
        report = build_report(analysis, language=chosen, history=history)  # type: ignore[arg-type]
        data: bytes
        if output_format is ReportFormat.pdf:
            with _step("rendering the PDF"):
                data = to_pdf(report)
        elif output_format is ReportFormat.json:
            data = to_json(report).encode("utf-8")
        else:
            data = to_html(report).encode("utf-8")
        if output is not None:
            write_output(output, data)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        notice(f"report written to {output} ({len(data) / 1000:.0f} kB)")


@contextmanager
def _step(label: str) -> Iterator[None]:
    """A spinner on a terminal while a step without a measure of its progress runs."""
    if not err.is_terminal:
        yield
        return
    with err.status(label):
        yield


__all__ = ["ReportFormat", "ReportLang", "report_command"]
