"""A small tree of exceptions that carry data; the CLI and the API map them to exit codes and
statuses."""

from __future__ import annotations


class PraesentError(Exception):
    """Base of every error praesent reports to a user. ``message`` is one line, safe to show."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(PraesentError):
    """The user's input cannot be used (bad file, bad option)."""

    code = "bad_input"


class AudioError(InputError):
    """An audio file could not be decoded."""

    code = "bad_audio"


class ChannelError(InputError):
    """The channel mapping does not fit the file."""

    code = "bad_channels"


class TooLargeError(InputError):
    """An upload is over the configured size limit."""

    code = "too_large"


class TooLongError(TooLargeError):
    """An upload holds more audio than the configured duration limit."""

    code = "too_long"


class QuotaError(PraesentError):
    """A user is at one of their quotas (live calls, queued uploads)."""

    code = "quota_exceeded"


class ModelError(PraesentError):
    """A speech model is missing, incomplete or does not load."""

    code = "model_unavailable"


class QueueUnavailableError(PraesentError):
    """No job queue is configured, or it cannot be reached."""

    code = "queue_unavailable"
