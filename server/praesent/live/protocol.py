"""The live socket's client messages and their validation, sans I/O.

A client sends one JSON ``start`` message, then binary frames of interleaved 16-bit PCM
(20-100 ms each), then a JSON ``stop``. ``Ingest`` checks that order and every frame and turns
frames into float samples per role at 16 kHz; every violation is a ``ProtocolError`` that carries
the close code the transport uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import av
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from praesent.audio import SAMPLE_RATE
from praesent.core.facts import Role
from praesent.errors import PraesentError
from praesent.store.models import SELLER_ID_MAX

# RFC 6455 close codes, as the protocol uses them.
CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_SERVICE_RESTART = 1012  # the call goes on in another process: reconnect
CLOSE_TRY_AGAIN = 1013

SUPPORTED_RATES = (8_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000)
MAX_FRAME_MS = 100
LANGUAGE_PATTERN = r"^(auto|[a-z]{2,3})$"
# Clients' timers jitter; a frame may run somewhat over the documented 100 ms.
_FRAME_SLACK = 2


class ProtocolError(PraesentError):
    """A client broke the protocol; ``close_code`` says how the socket closes."""

    def __init__(self, code: str, message: str, close_code: int) -> None:
        super().__init__(message)
        self.code = code
        self.close_code = close_code


def _both_roles() -> list[Role]:
    return ["seller", "customer"]


RESUME_MAX_AUDIO_S = 86_400.0


class ResumeRequest(BaseModel):
    """A client whose connection dropped carries on with the same call."""

    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(min_length=1, max_length=64)
    # The last event the client saw: it is sent every logged event after it.
    after_seq: int = Field(ge=0)
    # The audio time of the first frame the client sends now; audio the server did not hear
    # before it is a gap. Finite and at most a day: Infinity or 1e308 overflowed the sample
    # arithmetic and left the session stuck live.
    audio_s: float = Field(ge=0, le=RESUME_MAX_AUDIO_S, allow_inf_nan=False)


class StartMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["start"]
    sample_rate: int = SAMPLE_RATE
    sample_format: str = "s16le"
    # The role of each interleaved channel, in order.
    channels: list[Role] = Field(default_factory=_both_roles, min_length=1, max_length=2)
    # "auto", "de", "en" (or another language Whisper knows). Left out: the seller's setting,
    # else the server's default.
    language: str | None = Field(default=None, pattern=LANGUAGE_PATTERN)
    title: str = Field(default="", max_length=200)
    # The seller confirms the customer was told the call is analysed.
    customer_informed: bool = False
    # False: talk balance, interruptions and cues only, no speech-to-text.
    transcribe: bool = True
    # The seller's id on a server without accounts (with accounts it is the socket's user): the
    # call adds their own channel's speech to their voice profile.
    seller: str | None = Field(default=None, min_length=1, max_length=SELLER_ID_MAX)
    # Carry on with a session after a dropped connection or a restarted server.
    resume: ResumeRequest | None = None


class LanguageMessage(BaseModel):
    """The seller pins the call's language mid-call, for what follows ("auto": detect again)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["language"]
    language: str = Field(pattern=LANGUAGE_PATTERN)


class StopMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["stop"]


class FocusMessage(BaseModel):
    """The overlay reports whether the seller's call window has focus."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["focus"]
    focused: bool


AnyClientMessage = StartMessage | StopMessage | FocusMessage | LanguageMessage
ClientMessage = Annotated[AnyClientMessage, Field(discriminator="type")]
_client_message: TypeAdapter[AnyClientMessage] = TypeAdapter(ClientMessage)


def client_message_schema() -> dict[str, Any]:
    return _client_message.json_schema()


def parse_text(text: str) -> AnyClientMessage:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ProtocolError(
            "invalid_json", "a text message must be JSON", CLOSE_INVALID_DATA
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("invalid_message", "a message needs a 'type'", CLOSE_INVALID_DATA)
    if data["type"] not in ("start", "stop", "focus", "language"):
        raise ProtocolError("unknown_type", f"unknown message type {data['type']!r}", CLOSE_POLICY)
    try:
        return _client_message.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "message"
        raise ProtocolError(
            "invalid_message", f"{data['type']}: {where}: {first['msg']}", CLOSE_INVALID_DATA
        ) from None


Samples = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class StreamFormat:
    sample_rate: int
    channels: tuple[Role, ...]

    @property
    def bytes_per_frame(self) -> int:
        return 2 * len(self.channels)

    @property
    def max_frame_bytes(self) -> int:
        return self.sample_rate * MAX_FRAME_MS // 1000 * self.bytes_per_frame * _FRAME_SLACK


def check_start(message: StartMessage) -> StreamFormat:
    if message.sample_format != "s16le":
        raise ProtocolError(
            "unsupported_format",
            f"sample format {message.sample_format!r} is not supported (use s16le)",
            CLOSE_UNSUPPORTED,
        )
    if message.sample_rate not in SUPPORTED_RATES:
        raise ProtocolError(
            "unsupported_rate",
            f"sample rate {message.sample_rate} is not supported ({SUPPORTED_RATES})",
            CLOSE_UNSUPPORTED,
        )
    if len(set(message.channels)) != len(message.channels):
        raise ProtocolError("bad_channels", "each role may be named once", CLOSE_INVALID_DATA)
    return StreamFormat(message.sample_rate, tuple(message.channels))


class Resampler:
    """Streaming conversion of one channel to 16 kHz (a no-op when it already is)."""

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._resampler = (
            None
            if rate == SAMPLE_RATE
            else av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        )

    def convert(self, samples: Samples) -> Samples:
        if self._resampler is None:
            return samples
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = self._rate
        converted = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(converted) if converted else np.zeros(0, np.float32)


def check_frame(data: bytes, stream: StreamFormat) -> None:
    """A message of interleaved s16le audio must hold whole samples, and not too many."""
    if len(data) > stream.max_frame_bytes:
        raise ProtocolError(
            "frame_too_big",
            f"a frame of {len(data)} bytes is over the limit of {stream.max_frame_bytes}",
            CLOSE_TOO_BIG,
        )
    if len(data) % stream.bytes_per_frame:
        raise ProtocolError(
            "bad_frame",
            f"a frame must hold whole samples of {len(stream.channels)} channel(s) "
            f"({stream.bytes_per_frame} bytes each); got {len(data)} bytes",
            CLOSE_INVALID_DATA,
        )


def split_pcm(data: bytes, channels: int) -> list[Samples]:
    """Interleaved s16le bytes (whole samples) -> one float array per channel (not yet
    resampled)."""
    pcm = np.frombuffer(data, dtype="<i2").reshape(-1, channels)
    floats = pcm.astype(np.float32) / 32768.0
    return [np.ascontiguousarray(floats[:, index]) for index in range(channels)]


class ProtocolState:
    """The order of a live socket's messages: start, frames, stop. Fed data, returns data."""

    def __init__(self) -> None:
        self.stream: StreamFormat | None = None
        self.start: StartMessage | None = None
        self.stopped = False

    def on_text(self, text: str) -> AnyClientMessage:
        message = parse_text(text)
        if isinstance(message, StartMessage):
            if self.stream is not None:
                raise ProtocolError("already_started", "the session has started", CLOSE_POLICY)
            self.stream, self.start = check_start(message), message
        elif self.stream is None:
            raise ProtocolError("not_started", "send a start message first", CLOSE_POLICY)
        elif isinstance(message, StopMessage):
            self.stopped = True
        return message

    def on_bytes(self, data: bytes) -> StreamFormat:
        """Checks a message of audio; the stream it belongs to."""
        if self.stream is None:
            raise ProtocolError("not_started", "audio before the start message", CLOSE_POLICY)
        if self.stopped:
            raise ProtocolError("stopped", "audio after the stop message", CLOSE_POLICY)
        check_frame(data, self.stream)
        return self.stream
