"""JSON Schemas of the live protocol: the client's messages (from their pydantic models) and
the server's events (from the core's event dataclasses, named as ``to_dict`` names them)."""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from typing import Any, Literal, get_args, get_origin

from praesent.core.event_log import event_classes
from praesent.live.protocol import client_message_schema

_TRANSPORT_EVENTS: dict[str, dict[str, Any]] = {
    "ready": {
        "session_id": {"type": "string"},
        "resumed": {
            "type": "boolean",
            "description": "after a resume: true when the same session goes on, false when a "
            "new session continues the lost one's log",
        },
        "language": {
            "type": ["string", "null"],
            "description": "the call's language; null while it is still being detected",
        },
        "language_setting": {"type": "string", "description": "auto, or the pinned language"},
        "title": {
            "type": "string",
            "description": "only when the seller's calendar named the call: the event's title",
        },
        "customer": {
            "type": ["object", "null"],
            "properties": {
                "name": {"type": ["string", "null"]},
                "email": {"type": ["string", "null"]},
                "company": {"type": ["string", "null"]},
            },
            "description": "only when the seller's calendar named the call: whom it is with",
        },
    },
    "language": {
        "language": {
            "type": ["string", "null"],
            "description": "the call's language from at_s on (null: auto before any decision)",
        },
        "previous": {"type": ["string", "null"]},
        "source": {
            "enum": ["detected", "corrected", "pinned", "auto"],
            "description": "detected from enough speech, corrected by confident later speech, "
            "pinned by the seller, or handed back to detection",
        },
        "speech_s": {"type": "number", "description": "speech heard when it was decided"},
        "revises": {
            "type": "array",
            "items": {"type": "integer"},
            "description": "corrected, or detected other than the guess the first words were "
            "sent in: the seqs of the provisional transcripts in another language (they are not "
            "sent again)",
        },
    },
    "gap": {
        "from_s": {"type": "number"},
        "to_s": {"type": "number"},
        "gap_s": {"type": "number", "description": "audio of the call the server never heard"},
        "resumed_from": {"type": "string", "description": "the lost session this one continues"},
    },
    "transcript_partial": {"role": {"enum": ["seller", "customer"]}, "text": {"type": "string"}},
    "warning": {
        "kind": {
            "enum": ["echo", "voices"],
            "description": "echo: the seller's microphone hears the call; voices: it hears "
            "people talking around the seller (their talk time may read high)",
        },
        "active": {"type": "boolean", "description": "true when it begins, false when it ends"},
        "delay_ms": {"type": "number", "description": "how late the microphone hears the call"},
    },
    "finishing": {
        "utterances_left": {
            "type": "integer",
            "description": "after the audio ended: utterances still waiting for speech-to-text",
        },
        "speech_left_s": {"type": "number", "description": "the speech in them, in seconds"},
    },
    "error": {"code": {"type": "string"}, "message": {"type": "string"}},
    "final": {
        "status": {"enum": ["finished", "interrupted"]},
        "session_id": {"type": "string"},
        "analysis_url": {"type": "string"},
        "report_url": {"type": "string"},
    },
}
_COMMON = {
    "seq": {"type": ["integer", "null"], "description": "position in the session's log"},
    "at_s": {"type": "number", "description": "audio time in seconds from the session start"},
    "heard_s": {"type": "number", "description": "audio the server had heard when it decided"},
}
_BALANCE_EXTRA = {
    "asr_lag_s": {"type": "number", "description": "how far speech-to-text is behind"},
    "asr_queued": {"type": "integer", "description": "utterances waiting for speech-to-text"},
}
_TRANSCRIPT_EXTRA = {
    "provisional": {
        "type": "boolean",
        "description": "in a language not settled yet: the best guess before the decision, or "
        "a detected language that a later detection may still correct",
    },
}
_WORD = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "start_s": {"type": "number"},
        "end_s": {"type": "number"},
        "probability": {"type": "number"},
    },
}


def _json_type(annotation: Any) -> dict[str, Any]:
    if isinstance(annotation, str):
        annotation = {"int": int, "float": float, "str": str, "bool": bool}.get(annotation, Any)
    origin = get_origin(annotation)
    if origin is Literal:
        return {"enum": list(get_args(annotation))}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_json_type(arg) for arg in get_args(annotation)]}
    if annotation is type(None):
        return {"type": "null"}
    if origin is tuple:
        return {"type": "array", "items": _json_type(get_args(annotation)[0])}
    simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
    if annotation in simple:
        return {"type": simple[annotation]}
    return {}


def _event_schema(cls: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {"type": {"const": cls.type}, **_COMMON}
    for field in fields(cls):
        if field.name == "sample":
            properties["sample"] = {"type": "integer", "description": "at_s in samples"}
        elif field.name == "words":
            properties["words"] = {"type": "array", "items": _WORD}
        elif field.name.endswith("_sample"):
            properties[field.name[: -len("_sample")] + "_s"] = {"type": ["number", "null"]}
        else:
            properties[field.name] = _json_type(hints[field.name])
    if isinstance(getattr(cls, "duration_s", None), property):
        properties["duration_s"] = {"type": "number"}
    if cls.type == "balance":
        properties |= _BALANCE_EXTRA
    if cls.type == "transcript":
        properties |= _TRANSCRIPT_EXTRA
    return {"type": "object", "properties": properties, "required": ["type", "seq", "at_s"]}


def live_protocol_schema() -> dict[str, Any]:
    events = {cls.type: _event_schema(cls) for cls in event_classes()}
    for name, extra in _TRANSPORT_EVENTS.items():
        events[name] = {
            "type": "object",
            "properties": {"type": {"const": name}, **_COMMON, **extra},
            "required": ["type", "seq"],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "praesent live protocol",
        "client_messages": client_message_schema(),
        "client_audio": "binary frames of interleaved signed 16-bit little-endian PCM, "
        "20-100 ms each, channels in the order of the start message",
        "server_events": events,
    }
