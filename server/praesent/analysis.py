"""Analysis of a recorded call: decode -> voice activity per channel -> transcription of the
speech spans -> the conversation core. The live path uses the same parts, fed frame by frame."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from praesent.asr.language import CallLanguage, Detection
from praesent.asr.transcriber import AsrStats, Span, TimedWord, Transcriber
from praesent.audio import SAMPLE_RATE
from praesent.audio.channel import ChannelListener
from praesent.audio.decode import check_duration, iter_blocks, probe
from praesent.audio.echo import EchoGate
from praesent.audio.vad import SpeechEdge, VadOptions
from praesent.core.conversation import Conversation
from praesent.core.events import Activity, Event, Transcript, word_dict
from praesent.core.facts import Fact, Role, Utterance, Word
from praesent.core.summary import summarise
from praesent.engines import Engines
from praesent.errors import ChannelError
from praesent.live.merger import ActivityMerger
from praesent.speakers.attribution import SpeakerAttribution

ChannelRole = Role | None
Progress = Callable[[float, float], None]  # (seconds done, seconds in all)

_ROLE_NAMES: dict[str, ChannelRole] = {"seller": "seller", "customer": "customer", "-": None}
_TICK_SAMPLES = SAMPLE_RATE // 2


@dataclass(frozen=True, slots=True)
class AnalysisRequest:
    # Role per file channel (``None`` ignores a channel); empty means "one voice channel, no roles".
    channel_roles: tuple[ChannelRole, ...] = ("seller", "customer")
    mono: bool = False
    language: str = "auto"
    # The seller's saved language, where ``language`` is "auto": what a call with too little
    # speech for a confident detection is taken to speak.
    language_prior: str | None = None
    vad: VadOptions = field(default_factory=VadOptions)
    # With ``mono``: starts the speaker attribution that gives the one channel's speech roles.
    speakers: Callable[[], SpeakerAttribution] | None = None
    # Remove each role channel's echo of the other before voice activity (two roles only).
    remove_echo: bool = True
    # More audio than this is refused: by the header before decoding, else once decoded.
    max_duration_s: float | None = None


def parse_channels(text: str) -> tuple[ChannelRole, ...]:
    """``"seller,customer"`` -> roles per channel; ``-`` skips a channel."""
    names = [name.strip().lower() for name in text.split(",")]
    unknown = [name for name in names if name not in _ROLE_NAMES]
    if unknown:
        raise ChannelError(f"--channels: unknown role {unknown[0]!r} (use seller, customer or -)")
    roles = tuple(_ROLE_NAMES[name] for name in names)
    for role in ("seller", "customer"):
        if roles.count(role) != 1:
            raise ChannelError(f"--channels must name {role} exactly once")
    return roles


@dataclass(slots=True)
class _Utterance:
    role: ChannelRole
    span: Span
    words: list[TimedWord]
    language: str


class _Channel:
    def __init__(self, index: int, role: ChannelRole, engines: Engines, vad: VadOptions) -> None:
        self.index = index
        self.role = role
        self.listener = ChannelListener(
            engines.vad, vad, fused=engines.fused, background_voices=role == "seller"
        )
        self.edges: list[SpeechEdge] = []
        self.queued: list[Span] = []
        self.queued_language = ""


def _check_channels(path: Path, request: AnalysisRequest, channels: int) -> None:
    if request.mono:
        return
    if len(request.channel_roles) != channels:
        raise ChannelError(
            f"{path.name} has {channels} channel(s) but --channels names "
            f"{len(request.channel_roles)}; name every channel (- skips one) or use --mono"
        )


class _Transcription:
    """Packs finished spans per channel and transcribes them in the call's language
    (``CallLanguage``): with ``auto`` the spans are held until it is decided from enough speech,
    and a confident later detection changes it for the spans that follow."""

    def __init__(self, transcriber: Transcriber, language: str, prior: str | None = None) -> None:
        self._transcriber = transcriber
        self.call = CallLanguage(language, prior=prior)
        self._held: list[tuple[_Channel, Span]] = []
        self.utterances: list[_Utterance] = []
        self.rejected = 0
        self.stats = AsrStats()

    @property
    def language(self) -> str | None:
        return self.call.language

    def add(self, finished: list[tuple[_Channel, Span]]) -> None:
        """Spans that just ended, of every channel."""
        for channel, span in sorted(finished, key=lambda item: item[1].end_sample):
            self._detect(self.call.listen(span.audio, span.end_sample))
            if self.call.language is None:
                self._held.append((channel, span))
            else:
                self._release()
                self._queue(channel, span, self.call.language)

    def _detect(self, detection: Detection | None) -> None:
        if detection is not None:
            probabilities = self._transcriber.language_probabilities(detection.audio, self.stats)
            self.call.add(probabilities, detection.speech_s, detection.sample)

    def finish(self, channels: list[_Channel], end_sample: int) -> None:
        if self._held:
            self._detect(self.call.pending(end_sample))
            self.call.finish(end_sample)
            self._release()
        for channel in channels:
            self._flush(channel)

    def _release(self) -> None:
        held, self._held = self._held, []
        for channel, span in held:
            assert self.call.language is not None
            self._queue(channel, span, self.call.language)

    def _flush(self, channel: _Channel, room: int = 0) -> None:
        """Decodes the channel's queued spans a window at a time until at most ``room``
        samples of them are left: the spans a window's text did not reach stay queued, to be
        packed with the spans that follow."""
        language = channel.queued_language
        while channel.queued and sum(s.audio.shape[0] for s in channel.queued) > room:
            decoded = self._transcriber.transcribe_window(
                channel.queued, language, self.stats, last=room == 0
            )
            for span, result in zip(channel.queued, decoded, strict=False):
                self.rejected += result.rejected
                self.utterances.append(_Utterance(channel.role, span, result.words, language))
            channel.queued = channel.queued[len(decoded) :]

    def _queue(self, channel: _Channel, span: Span, language: str) -> None:
        # A pack is decoded in one language: a changed language starts a new one.
        if language != channel.queued_language:
            self._flush(channel)
        limit = round(self._transcriber.options.pack_max_s * SAMPLE_RATE)
        self._flush(channel, room=limit - span.audio.shape[0])
        channel.queued.append(span)
        channel.queued_language = language


def analyse_file(
    path: Path,
    request: AnalysisRequest,
    engines: Engines,
    progress: Progress | None = None,
) -> dict[str, Any]:
    info = probe(path)
    check_duration(info, request.max_duration_s)
    _check_channels(path, request, info.channels)
    roles: Sequence[ChannelRole] = (None,) if request.mono else request.channel_roles
    channels = [
        _Channel(index, role, engines, request.vad)
        for index, role in enumerate(roles)
        if role is not None or request.mono
    ]
    transcription = _Transcription(engines.transcriber, request.language, request.language_prior)
    gate = EchoGate() if request.remove_echo and len(channels) == 2 else None
    total_s = info.declared_duration_s or 0.0
    samples = 0
    attribution = request.speakers() if request.mono and request.speakers else None

    def listen(audio: list[npt.NDArray[np.float32]], final: bool) -> None:
        if gate is not None:
            audio = gate.finish() if final else gate.push(audio)
        finished: list[tuple[_Channel, Span]] = []
        for channel, samples_ in zip(channels, audio, strict=True):
            if samples_.shape[0]:
                channel.edges += channel.listener.push(samples_)
            if final:
                channel.edges += channel.listener.finish()
            finished += [(channel, span) for span in channel.listener.pop_spans()]
        transcription.add(finished)
        if final:
            transcription.finish(channels, samples)

    for block in iter_blocks(path, max_s=request.max_duration_s):
        listen(
            [
                np.ascontiguousarray(
                    block.mean(axis=0) if request.mono else block[channel.index], dtype=np.float32
                )
                for channel in channels
            ],
            final=False,
        )
        if attribution is not None:
            attribution.push(np.ascontiguousarray(block.mean(axis=0), dtype=np.float32))
        samples += block.shape[1]
        if progress is not None:
            progress(samples / SAMPLE_RATE, max(total_s, samples / SAMPLE_RATE))
    listen([np.zeros(0, np.float32) for _ in channels], final=True)
    changes = transcription.call.changes
    # The core starts in the call's first language; each transcript carries its own.
    first = next((c.language for c in changes if c.language), None)
    language = CallLanguages(first or "unknown", transcription.language or "unknown")
    duration_s = samples / SAMPLE_RATE
    if attribution is not None:
        result = _attributed_result(attribution, transcription.utterances, duration_s, language)
    else:
        result = _result(
            channels, transcription.utterances, duration_s, language, request.mono, samples
        )
    result["language_changes"] = [change.to_dict() for change in changes]
    # As a live call's warnings: the stretches the seller's channel heard voices around them.
    changes_heard = [
        {"kind": "voices", "at_s": at_s, "active": heard}
        for channel in channels
        if channel.listener.voices is not None
        for at_s, heard in channel.listener.voices.changes
    ]
    result["warnings"] = warning_spans(changes_heard, round(duration_s, 3))
    result["asr_rejected"] = transcription.rejected
    result["asr"] = transcription.stats.as_dict()
    return result


@dataclass(frozen=True, slots=True)
class CallLanguages:
    """The language a call's conversation starts in, and the one it ends in (the result's)."""

    first: str
    last: str


def _attributed_result(
    attribution: SpeakerAttribution,
    utterances: list[_Utterance],
    duration_s: float,
    language: CallLanguages,
) -> dict[str, Any]:
    """A one-channel call analysed like a two-channel one, with roles from speaker attribution."""
    call = attribution.finish()
    end_sample = round(duration_s * SAMPLE_RATE)
    ordered = sorted(utterances, key=lambda u: u.span.start_sample)
    pieces = [
        (role, span, words, u.language)
        for u in ordered
        for role, span, words in call.split_utterances([(u.span, u.words)])
    ]
    facts = call_facts(call.role_edges(), pieces, end_sample)
    conversation = Conversation(language=language.first)
    events = conversation.feed_many(facts) + conversation.finish(end_sample)
    return call.annotate(analysis_from_events(events, duration_s, language.last))


def _seconds(sample: int) -> float:
    return round(sample / SAMPLE_RATE, 3)


def _segments(channels: list[_Channel]) -> list[dict[str, Any]]:
    segments: list[dict[str, Any]] = []
    for channel in channels:
        starts = [e.sample for e in channel.edges if e.kind == "start"]
        stops = [e.sample for e in channel.edges if e.kind == "stop"]
        for start, stop in zip(starts, stops, strict=True):
            segments.append(
                {"role": channel.role, "start_s": _seconds(start), "end_s": _seconds(stop)}
            )
    return sorted(segments, key=lambda s: (s["start_s"], s["role"] or ""))


def _utterance_dict(utterance: _Utterance) -> dict[str, Any]:
    return {
        "role": utterance.role,
        "start_s": _seconds(utterance.span.start_sample),
        "end_s": _seconds(utterance.span.end_sample),
        "text": " ".join(w.text for w in utterance.words),
        "words": [
            {
                "text": w.text,
                "start_s": _seconds(w.start_sample),
                "end_s": _seconds(w.end_sample),
                "probability": round(w.probability, 3),
            }
            for w in utterance.words
        ],
    }


def call_facts(
    channels_edges: Sequence[tuple[Role, Sequence[SpeechEdge]]],
    utterances: Sequence[tuple[Role, Span, Sequence[TimedWord], str]],
    end_sample: int,
) -> list[Fact]:
    """Facts as a live call would deliver them: activity in time order with ticks (the same
    merger the live path uses), each utterance once its speech has ended."""
    merger = ActivityMerger([role for role, _ in channels_edges], _TICK_SAMPLES)
    for role, edges in channels_edges:
        merger.push(role, edges, 0)
    activity = merger.finish(end_sample)
    keyed: list[tuple[int, int, Fact]] = [
        (_fact_sample(fact), index, fact) for index, fact in enumerate(activity)
    ]
    for role, span, words, language in utterances:
        # Known once its speech has ended: the same rule the live path follows with its lag.
        utterance = utterance_fact(role, span, words, language, known_sample=span.end_sample)
        if utterance is not None:
            keyed.append((span.end_sample, len(activity), utterance))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [fact for _, _, fact in keyed]


def utterance_fact(
    role: Role,
    span: Span,
    words: Sequence[TimedWord],
    language: str | None = None,
    known_sample: int | None = None,
) -> Utterance | None:
    """The core's fact for a transcribed span; None when speech-to-text heard no words."""
    if not words:
        return None
    return Utterance(
        role,
        span.start_sample,
        span.end_sample,
        " ".join(w.text for w in words),
        tuple(Word(w.text, w.start_sample, w.end_sample, w.probability) for w in words),
        language,
        known_sample,
    )


def _fact_sample(fact: Fact) -> int:
    return fact.end_sample if isinstance(fact, Utterance) else fact.sample


def analysis_from_events(
    events: Sequence[Event], duration_s: float, language: str
) -> dict[str, Any]:
    """The analysis of a two-role call as a pure function of its event log (live or file)."""
    result: dict[str, Any] = {
        "duration_s": round(duration_s, 3),
        "language": language,
        "mode": "channels",
        "roles_from": "channels",
    }
    result |= summarise(events, duration_s).to_dict()
    open_starts: dict[str, int] = {}
    segments: list[dict[str, Any]] = []
    utterances: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, Activity):
            if event.speaking:
                open_starts[event.role] = event.sample
            elif event.role in open_starts:
                start = open_starts.pop(event.role)
                segments.append(
                    {"role": event.role, "start_s": _seconds(start), "end_s": event.at_s}
                )
        elif isinstance(event, Transcript):
            utterances.append(
                {
                    "role": event.role,
                    "start_s": _seconds(event.sample),
                    "end_s": _seconds(event.end_sample),
                    "text": event.text,
                    "words": [word_dict(word) for word in event.words],
                }
            )
    result["segments"] = sorted(segments, key=lambda s: (s["start_s"], s["role"]))
    result["utterances"] = sorted(utterances, key=lambda u: (u["start_s"], u["role"]))
    return result


def _result(
    channels: list[_Channel],
    utterances: list[_Utterance],
    duration_s: float,
    language: CallLanguages,
    mono: bool,
    end_sample: int,
) -> dict[str, Any]:
    ordered = sorted(utterances, key=lambda u: (u.span.start_sample, u.role or ""))
    if not mono:
        facts = call_facts(
            [(c.role, c.edges) for c in channels if c.role is not None],
            [(u.role, u.span, u.words, u.language) for u in ordered if u.role is not None],
            end_sample,
        )
        conversation = Conversation(language=language.first)
        events = conversation.feed_many(facts) + conversation.finish(end_sample)
        return analysis_from_events(events, duration_s, language.last)
    edges = channels[0].edges
    talk = sum(
        stop.sample - start.sample for start, stop in zip(edges[::2], edges[1::2], strict=True)
    )
    return {
        "duration_s": round(duration_s, 3),
        "language": language.last,
        "mode": "mono",
        "roles_from": None,
        "note": "one channel holds both voices: speech activity and transcript have no roles "
        "until speaker attribution is applied",
        "speech_s": _seconds(talk),
        "segments": _segments(channels),
        "utterances": [_utterance_dict(u) for u in ordered if u.words],
    }


def warning_spans(warnings: Sequence[Mapping[str, Any]], end_s: float) -> list[dict[str, Any]]:
    """Each stretch a warning held (echo, voices around the seller), from ``warning`` events
    (``kind``, ``at_s``, ``active``; a live call's log, or a file's detector changes): from the
    one that raised it to the one that took it back, or to ``end_s``."""
    spans: list[dict[str, Any]] = []
    open_at: dict[str, float] = {}
    for event in warnings:
        kind = str(event.get("kind"))
        if event.get("active") and kind not in open_at:
            open_at[kind] = float(event["at_s"])
        elif not event.get("active") and kind in open_at:
            spans.append({"kind": kind, "from_s": open_at.pop(kind), "to_s": float(event["at_s"])})
    spans += [{"kind": kind, "from_s": at_s, "to_s": end_s} for kind, at_s in open_at.items()]
    return sorted(spans, key=lambda span: span["from_s"])
