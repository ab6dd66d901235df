"""``praesent report SESSION_ID|FILE``: the coaching report of a stored session or a recording.

Registered in ``praesent.cli`` with ``app.command("report")(report_command)``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from praesent.errors import InputError, PraesentError
from praesent.settings import Settings


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"


class ReportLang(StrEnum):
    de = "de"
    en = "en"


class UnknownSessionError(InputError):
    code = "not_found"


def _analysis_of_file(
    file: Path, channels: str, mono: bool, language: str | None, model: str | None
) -> dict[str, Any]:
    from praesent.analysis import AnalysisRequest, analyse_file, parse_channels
    from praesent.audio.decode import probe
    from praesent.engines import load_engines

    settings = Settings()
    roles = () if mono else parse_channels(channels)
    probe(file)  # a bad file fails before the model loads
    request = AnalysisRequest(
        channel_roles=roles, mono=mono, language=language or settings.language
    )
    return analyse_file(file, request, load_engines(settings, model))


def _session_of_store(session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A stored session's analysis (with its ``session``) and the same seller's earlier calls."""
    from praesent.report.sessions import session_with_history
    from praesent.store import EventStore, migrate

    url = Settings().effective_database_url
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
    channels: Annotated[
        str, typer.Option(help="For a FILE: role of each channel, e.g. seller,customer.")
    ] = "seller,customer",
    mono: Annotated[bool, typer.Option(help="For a FILE: both voices on one channel.")] = False,
    language: Annotated[str | None, typer.Option(help="For a FILE: de, en, … or auto.")] = None,
    model: Annotated[str | None, typer.Option(help="For a FILE: model name or directory.")] = None,
) -> None:
    """Write the coaching report of a stored session or of a recording (HTML, PDF or JSON)."""
    from praesent.report import build_report, to_html, to_json, to_pdf

    try:
        path = Path(target)
        history: list[dict[str, Any]] = []
        if path.is_file():
            analysis = _analysis_of_file(path, channels, mono, language, model)
        else:
            analysis, history = _session_of_store(target)
        chosen = lang.value if lang else ("de" if analysis.get("language") == "de" else "en")
        report = build_report(analysis, language=chosen, history=history)  # type: ignore[arg-type]
        data: bytes
        if output_format is ReportFormat.pdf:
            data = to_pdf(report)
        elif output_format is ReportFormat.json:
            data = to_json(report).encode("utf-8")
        else:
            data = to_html(report).encode("utf-8")
    except PraesentError as error:
        sys.stderr.write(f"praesent: error: {error.message}\n")
        raise typer.Exit(2 if isinstance(error, InputError) else 3) from None
    if output is None:
        if output_format is ReportFormat.pdf and sys.stdout.isatty():
            sys.stderr.write("praesent: error: a PDF does not belong on a terminal; use --output\n")
            raise typer.Exit(2)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)


__all__ = ["ReportFormat", "ReportLang", "report_command"]
