"""Keep secrets out of the server's log: tokens in a socket's query string and invitation links
appear in uvicorn's access lines otherwise.

The names are judged after percent-decoding (#22 item 15), as the server itself reads them:
``?%74oken=…`` is ``?token=…`` and ``/v1/invitation%73/…`` is an invitation link, so they are
redacted too. Decoding repeats until nothing changes, so a doubly encoded name is caught as well
(redacting a little too much is harmless).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, unquote_plus

# A query parameter (its name and value) and a path (its segments), as they appear in a line.
_PARAMETER = re.compile(r"([?&;])([^=&;\s\"'#?]+)=([^&;\s\"'#]*)")
_PATH = re.compile(r"(?:/[^/\s\"'?#]*)+")
_SECRET_PARAMETERS = frozenset({"token"})
_SECRET_AFTER_SEGMENT = frozenset({"invitations"})
REDACTED = "[redacted]"
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def _decoded(text: str, plus: bool = False) -> str:
    for _ in range(5):
        decoded = unquote_plus(text) if plus else unquote(text)
        if decoded == text:
            break
        text = decoded
    return text.strip().lower()


def _parameter(match: re.Match[str]) -> str:
    separator, name, value = match.groups()
    if value and _decoded(name, plus=True) in _SECRET_PARAMETERS:
        value = REDACTED
    return f"{separator}{name}={value}"


def _secret_segment(previous: str, segment: str) -> bool:
    if _decoded(previous) in _SECRET_AFTER_SEGMENT:
        return True
    # An encoded slash (invitations%2F…) is a slash to the router too.
    return any(f"{name}/" in _decoded(segment) for name in _SECRET_AFTER_SEGMENT)


def _path(match: re.Match[str]) -> str:
    segments = match.group(0).split("/")
    for index in range(1, len(segments)):
        if segments[index] and _secret_segment(segments[index - 1], segments[index]):
            segments[index] = REDACTED
    return "/".join(segments)


def redact(text: str) -> str:
    return _PARAMETER.sub(_parameter, _PATH.sub(_path, text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    """Add the filter to uvicorn's loggers (after uvicorn configured its logging)."""
    for name in LOGGERS:
        logging.getLogger(name).addFilter(RedactSecrets())
