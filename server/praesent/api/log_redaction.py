"""Keep secrets out of the server's log: tokens in a socket's query string and invitation links
appear in uvicorn's access lines otherwise."""

from __future__ import annotations

import logging
import re

_SECRETS = re.compile(r"((?:[?&]token=)|(?:/invitations/))[^&\s\"/?]+")
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def redact(text: str) -> str:
    return _SECRETS.sub(r"\1[redacted]", text)


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
