"""The log of ``praesent serve`` and ``praesent worker``: plain text, or with
``PRAESENT_LOG_FORMAT=json`` one JSON object per line for a log collector: time, level, logger,
message, the exception's traceback, and the live session or the job the line is about. Those two
come from context variables set where that work runs; the tasks and worker threads started there
inherit them."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

session_id: ContextVar[str | None] = ContextVar("praesent_session_id", default=None)
job_id: ContextVar[str | None] = ContextVar("praesent_job_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


@contextmanager
def about_session(value: str) -> Iterator[None]:
    """The lines logged inside are about this live session."""
    token = session_id.set(value)
    try:
        yield
    finally:
        session_id.reset(token)


class ContextIds(logging.Filter):
    """Puts the session and the job of the running context on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in (("session_id", session_id), ("job_id", job_id)):
            value = variable.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonLines(JsonFormatter):
    """``{"time": "…Z", "level", "logger", "message", "session_id"?, "job_id"?, "exception"?}``"""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
            # uvicorn's colour copy of its message; Python 3.12's task name.
            reserved_attrs=[*RESERVED_ATTRS, "color_message", "taskName"],
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        created = datetime.fromtimestamp(record.created, UTC)
        log_data["time"] = created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        super().add_fields(log_data, record, message_dict)


def handler(
    log_format: LogFormat, stream: TextIO, filters: Iterable[logging.Filter] = ()
) -> logging.Handler:
    """Lines of this format to ``stream``, with the context's session and job on each record."""
    out = logging.StreamHandler(stream)
    out.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    out.addFilter(ContextIds())
    for extra in filters:
        out.addFilter(extra)
    return out


def configure(log_format: LogFormat, filters: Iterable[logging.Filter] = ()) -> None:
    """Every logger of the process (uvicorn's, Dramatiq's, the libraries') writes to standard
    error through one handler, from INFO on; Python's warnings too."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(log_format, sys.stderr, filters))
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)


def is_json() -> bool:
    """Whether the process logs JSON lines (then nothing else belongs on standard error)."""
    return any(isinstance(h.formatter, JsonLines) for h in logging.getLogger().handlers)
