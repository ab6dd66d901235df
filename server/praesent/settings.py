"""All settings in one place: read from the environment (prefix ``PRAESENT_``) once, passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from praesent.asr.device import DeviceSetting, compute_type_problem


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("praesent", appauthor=False))


def _checkout_models_dir() -> Path | None:
    """The top-level ``models/`` of a source checkout, where models are assembled by default."""
    folder = Path(__file__).resolve().parents[2] / "models"
    return folder if (folder / "registry.toml").is_file() else None


class Settings(BaseSettings):
    """Runtime configuration. Every field can be set as ``PRAESENT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PRAESENT_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Field(default_factory=_default_data_dir)
    # A registry name (see `praesent models list`) or a local CTranslate2 model directory.
    model: str = "base"
    # Where Whisper runs (the server's live calls and uploads, and every worker): "cpu", "cuda"
    # (an NVIDIA GPU; CUDA 12 and cuDNN 9 installed) or "auto" (cuda where CTranslate2 sees a
    # GPU, else cpu). Voice activity always runs on the CPU.
    device: DeviceSetting = "cpu"
    # CTranslate2's compute type; None: int8 on cpu, float16 on cuda (int8_float16 needs half
    # the GPU memory).
    compute_type: str | None = None
    cpu_threads: int = 2
    # Voice activity per channel: "silero" (Silero VAD alone) or "fused" (Silero and pyannote's
    # segmentation-3.0 together, from the speaker models; decides up to 0.75 s later, costs
    # more CPU and hears speech in room noise better: docs/accuracy.md).
    vad: Literal["silero", "fused"] = "silero"
    beam_size: int = 5
    # "auto" detects the language once per call.
    language: str = "auto"
    database_url: str | None = None
    max_upload_mb: int = 500
    # An upload may hold at most this much audio (its header says, or decoding stops there):
    # a few hundred KB of FLAC can hold days of silence.
    max_upload_hours: float = Field(default=4.0, gt=0, le=48)
    # Per user on a server with accounts: live calls at once, and uploads queued or running in
    # the job queue at once (more answer 429).
    max_live_sessions: int = Field(default=3, ge=1)
    max_queued_jobs: int = Field(default=3, ge=1)
    # Concurrent speech-to-text jobs shared by all sessions of the process.
    asr_workers: int = 1
    # Live calls: finished utterances of different calls decoded together in one pass.
    live_batch: bool = True
    # Live calls: an utterance's decode starts when its speech stops, on a free worker.
    live_speculate: bool = True
    # Live calls: the shortest audio Whisper's encoder sees for a final or a preview, in seconds;
    # a window's audio is rounded up to 5 s and at least this long (30: Whisper's whole window,
    # as file analyses always use).
    live_encoder_min_s: float = Field(default=20.0, ge=5, le=30)
    # Live finals in these languages (Whisper's codes, comma-separated; "" for none) are decoded
    # greedily, sooner and cheaper; the others, and every file analysis, with ``beam_size``.
    live_greedy_languages: str = "en"
    # Live previews of English calls with this cheaper English-only model where it is
    # installed ("" for none: previews with the call's model); finals always use ``model``.
    preview_model: str = "tiny.en"
    # Required on every route and socket when set; a non-local bind without one gets a random
    # token, printed at start.
    api_token: str | None = None
    # How long a browser sign-in lasts.
    session_hours: float = 12.0
    # A team's sessions are deleted this many days after they start, unless the team sets its
    # own period; sessions of the local owner (no accounts) are kept.
    retention_days: int = 90
    # How often the retention job runs in `praesent serve`.
    retention_interval_s: float = 3600.0
    # OpenID Connect sign-in with a company's identity provider (all three set to turn it on).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid email groups"
    # The ID token claim whose values name teams; users join the existing teams it names.
    oidc_teams_claim: str = "groups"
    # The role of a person who signs in through the provider for the first time.
    oidc_default_role: str = "seller"
    # How long an invitation link stays valid.
    invitation_hours: float = 72.0
    # The address people reach the server by (e.g. https://praesent.example.com): invitation
    # links, the OpenID Connect redirect_uri and the report links in webhooks are built from it,
    # never from a request's Host header. None: from the request (a laptop, a test), and
    # http://host:port in webhooks.
    public_url: str | None = None
    # A new personal access token expires after this many days unless its creator chooses
    # otherwise (0: tokens never expire by default).
    token_days: int = Field(default=90, ge=0, le=3650)
    # Browser origins allowed on the sockets besides the server's own address; their host
    # names are allowed in the Host header too.
    allowed_origins: list[str] = Field(default_factory=list)
    # Host names (no port) the server answers to besides loopback names, IP addresses and the
    # hosts of ``allowed_origins``: the names it is reached by (a LAN name, a proxy's public
    # name). Any other Host header is refused with 421, against DNS rebinding.
    allowed_hosts: list[str] = Field(default_factory=list)
    # A live client that sends nothing for this long is cut off and its session finalised.
    live_idle_timeout_s: float = 15.0
    # How long a live session whose client vanished waits for the client to resume it.
    live_resume_grace_s: float = 30.0
    # How often the server looks for calls that no server runs any more (finalised once they
    # have waited ``live_resume_grace_s``).
    live_sweep_s: float = 5.0
    # On SIGTERM: how long open connections get before the server stops (live calls are closed
    # with 1012 at once and go on in another replica, or here after a restart).
    shutdown_timeout_s: float = 20.0
    # A live call without transcripts decides on its audio once per this many ms rather than
    # per message (0: per message): the same events, at most this much later, for less CPU.
    live_tick_ms: int = 200
    # Ticked calls that are due together step all their channels' voice activity in one
    # inference (false: each call per channel, as before; the same events either way).
    live_vad_batch: bool = True
    # A live call of a known seller (the socket's user; without accounts the start message's
    # ``seller``) adds the seller's own speech to their voice profile (an embedding, never audio).
    live_voice_profiles: bool = True
    # Events an observer may fall behind by before it is cut off (it can resume by seq).
    observer_queue_size: int = 2048
    # Optional abstractive topic summaries after the call from an OpenAI-compatible chat
    # endpoint (e.g. a local Ollama at http://127.0.0.1:11434/v1); None keeps them extractive.
    llm_base_url: str | None = None
    llm_model: str = "llama3.2"
    llm_api_key: str | None = None
    llm_timeout_s: float = 30.0
    # Speaker attribution of one-channel calls: "embedded" (packaged models), "pyannote"
    # (pyannote.audio's pipeline from ``pyannote_pipeline``, a local directory) or "none".
    diarizer: str = "embedded"
    pyannote_pipeline: Path | None = None
    # Background jobs (`praesent worker`): the Redis that carries the job queue. None: no queue,
    # `praesent serve` is the single process it always was and POST /v1/jobs answers 503.
    redis_url: str | None = None
    # A worker that sends no heartbeat for this long counts as dead: its unfinished jobs go back
    # to the queue for another worker.
    queue_heartbeat_s: float = 60.0
    # A job that fails for a passing reason (database, object store) is tried again this many
    # times, after an exponential backoff between the two bounds.
    job_retries: int = 3
    job_min_backoff_s: float = 5.0
    job_max_backoff_s: float = 300.0
    # One analysis job may run this long; then it fails.
    job_time_limit_s: float = 7200.0
    # Keep an uploaded recording after its analysis (the session records that it was kept).
    keep_audio: bool = False
    # Where uploads wait for a worker: this directory (default: data_dir/uploads; shared by all
    # processes on one machine) or, with ``s3_bucket`` set, an S3-compatible object store.
    uploads_dir: Path | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = "uploads/"
    # Prometheus scrapes /metrics with this bearer token (admins may read it with their own
    # credentials); None: admins only.
    metrics_token: str | None = None
    # How long /readyz waits for each dependency (database, Redis) before it counts as down.
    readiness_timeout_s: float = 2.0
    # Webhook endpoints that resolve to loopback, private or link-local addresses are refused
    # unless this is on (a receiver inside the company's network).
    webhooks_allow_private: bool = False
    # Webhook endpoints must be https unless this is on.
    webhooks_allow_http: bool = False
    # One webhook request may take this long; at most ``webhook_response_kb`` of the answer
    # is read.
    webhook_timeout_s: float = 10.0
    webhook_response_kb: int = 64
    # A failed delivery is tried again after an exponential backoff between the two bounds,
    # for this long after its event; then it counts as failed ("send again" in the API).
    webhook_min_backoff_s: float = 5.0
    webhook_max_backoff_s: float = 3600.0
    webhook_retry_for_s: float = 86400.0
    # How often each `praesent serve` and `praesent worker` looks for deliveries that are due.
    webhook_poll_s: float = 2.0
    # CRM notes (docs/crm.md): HubSpot's API address (its own host; another only for a test
    # server), the Salesforce REST API version, and a CA bundle for a CRM reached through a
    # company proxy that presents its own certificate (None: the system's).
    hubspot_api_url: str = "https://api.hubapi.com"
    salesforce_api_version: str = Field(default="62.0", pattern=r"^\d{2,3}\.0$")
    crm_ca_bundle: Path | None = None
    # The log of `praesent serve` and `praesent worker`: "text", or "json" (one object per line,
    # with the session or job each line is about) for a log collector.
    log_format: Literal["text", "json"] = "text"
    # The calendar that names the calls without accounts (a laptop): an ICS file or URL, or a
    # CalDAV URL with its user name and password. On the team server each seller sets their own
    # (PUT /v1/me/calendar). See docs/calendar.md.
    calendar_url: str | None = None
    calendar_user: str | None = None
    calendar_password: str | None = None
    # "auto": a file, webcal:// or a URL ending in .ics is ICS; another URL is CalDAV.
    calendar_kind: Literal["auto", "ics", "caldav"] = "auto"
    # The seller's own addresses, comma-separated (without accounts; a user's is their
    # account's): their domains are colleagues, every other attendee a customer.
    calendar_email: str = ""
    # A call waits at most this long for the calendar before it goes on without it.
    calendar_timeout_s: float = Field(default=3.0, gt=0, le=30)
    # Sellers' calendar URLs that resolve to loopback, private or link-local addresses (or are
    # plain http) are refused unless this is on (a CalDAV server inside the company's network).
    calendar_allow_private: bool = False

    @field_validator("compute_type", mode="before")
    @classmethod
    def _empty_compute_type_is_default(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _compute_type_on_its_device(self) -> Settings:
        # "auto" is checked once the device is known (when the models load).
        if self.compute_type is not None and self.device != "auto":
            problem = compute_type_problem(self.device, self.compute_type)
            if problem is not None:
                raise ValueError(f"{problem}; set PRAESENT_DEVICE or PRAESENT_COMPUTE_TYPE")
        return self

    @field_validator("live_greedy_languages")
    @classmethod
    def _known_languages(cls, value: str) -> str:
        # Imported here: faster-whisper's tokenizer is slow to import, the default is not checked.
        from praesent.asr.language_codes import WHISPER_CODES

        codes = [code.strip().lower() for code in value.split(",") if code.strip()]
        unknown = [code for code in codes if code not in WHISPER_CODES]
        if unknown:
            raise ValueError(f"unknown language {unknown[0][:20]!r} (Whisper's codes: en, de, …)")
        return ",".join(codes)

    @property
    def live_greedy(self) -> frozenset[str]:
        return frozenset(filter(None, self.live_greedy_languages.split(",")))

    @field_validator("public_url")
    @classmethod
    def _a_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("PRAESENT_PUBLIC_URL is an http(s) address, e.g. https://host")
        return value.strip().rstrip("/")

    @field_validator(
        "api_token",
        "metrics_token",
        "llm_api_key",
        "calendar_url",
        "calendar_user",
        "calendar_password",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `PRAESENT_API_TOKEN=` (as in deploy/.env.example) means no token, never the empty one.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def public_address(self, request_base: str) -> str:
        """The server's address for links (no trailing slash): the configured public URL, else
        the address the request came to."""
        return self.public_url or request_base.rstrip("/")

    @property
    def local_only(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1")

    # Where assembled models live: the checkout's models/ in a source checkout, else inside the
    # data directory; an explicit PRAESENT_DATA_DIR or PRAESENT_MODELS_DIR wins.
    models_dir: Path | None = None
    # Another model registry file instead of the packaged models/registry.toml.
    model_registry: Path | None = None

    @property
    def model_root(self) -> Path:
        if self.models_dir is not None:
            return self.models_dir
        checkout = _checkout_models_dir()
        if checkout is not None and "data_dir" not in self.model_fields_set:
            return checkout
        return self.data_dir / "models"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'praesent.db'}"

    @property
    def links(self) -> str:
        """The server's public address, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def effective_uploads_dir(self) -> Path:
        return self.uploads_dir or self.data_dir / "uploads"
