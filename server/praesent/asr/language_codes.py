"""A call's language as a user writes it (``--language``, ``PRAESENT_LANGUAGE``): checked and
turned into Whisper's code before any model loads, so a typo is one line and not Whisper's
ValueError halfway through a call."""

from __future__ import annotations

from faster_whisper.tokenizer import _LANGUAGE_CODES

from praesent.errors import InputError

# The two languages praesent coaches in, by the names people type for them.
_ALIASES = {
    "english": "en",
    "englisch": "en",
    "german": "de",
    "deutsch": "de",
}
WHISPER_CODES: frozenset[str] = frozenset(str(code) for code in _LANGUAGE_CODES)


def language_setting(text: str, source: str = "--language") -> str:
    """``auto``, or a language code Whisper knows (``english`` and ``deutsch`` are read as
    ``en`` and ``de``); ``source`` names where the value came from in the error."""
    value = text.strip().lower()
    value = _ALIASES.get(value, value)
    if value == "auto" or value in WHISPER_CODES:
        return value
    raise InputError(
        f"{source}: unknown language {text!r} (use auto, de or en; or another of Whisper's "
        "codes: fr, es, it, nl, …)"
    )
