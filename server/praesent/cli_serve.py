"""``praesent serve``: the server, listening on a socket bound before anything is announced.

Registered in ``praesent.cli`` with ``app.command("serve")(serve)``. The socket is bound here and
handed to uvicorn, so a taken port is one line of error before the "listening" line, not
uvicorn's own error after it."""

from __future__ import annotations

import errno
import math
import os
import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from praesent.cli_common import load_settings, notice, reported
from praesent.errors import InputError


class PortError(InputError):
    code = "port_unavailable"


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (as uvicorn binds it: SO_REUSEADDR, so a port in
    TIME_WAIT after a restart is free) that fails with one line when it cannot be had."""
    where = f"{host}:{port}"
    if not 1 <= port <= 65535:
        # getaddrinfo would wrap 99999 round to 34463 without a word.
        raise PortError(f"cannot listen on {where}: a port is 1 to 65535")
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, OverflowError, UnicodeError) as error:
        raise PortError(f"cannot listen on {where}: {_reason(error)}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortError(
                f"cannot listen on {where}: the port is taken by another program "
                "(choose another with --port or PRAESENT_PORT)"
            ) from None
        raise PortError(f"cannot listen on {where}: {_reason(error)}") from None
    sock.set_inheritable(True)
    return sock


TOKEN_FILE = "api-token"


def write_token_file(data_dir: Path, token: str) -> Path:
    """Keep a generated server token in ``data_dir/api-token``, readable by its owner only
    (0600, created so: never readable by others, not even for a moment). The log names the
    file, never the token (#22 item 14): logs end up in collectors. Each start writes a new
    one."""
    path = data_dir / TOKEN_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # a file of another mode is not reused
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(f"{token}\n")
    except OSError as error:
        raise InputError(f"cannot write the server's token to {path}: {error.strerror}") from None
    return path


def _reason(error: Exception) -> str:
    if isinstance(error, socket.gaierror):
        return f"unknown address ({error.strerror})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower() if error.strerror[:1].isupper() else error.strerror
    return str(error) or type(error).__name__


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Start the server: live calls, the overlay and the API."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from praesent import logs
    from praesent.api.app import create_app
    from praesent.api.log_redaction import RedactSecrets
    from praesent.api.log_redaction import install as redact_secrets_in_logs
    from praesent.asr.device import resolve_device

    settings = load_settings()
    updates: dict[str, Any] = {}
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    settings = settings.model_copy(update=updates)
    logs.configure(settings.log_format, [RedactSecrets()])
    if not settings.local_only and not settings.api_token:
        import secrets

        token = secrets.token_urlsafe(24)
        settings = settings.model_copy(update={"api_token": token})
        with reported():
            kept = write_token_file(settings.data_dir, token)
        notice(f"not a local address: every request needs the token in {kept}")
    with reported():
        # A missing GPU is said here, not in a traceback once the server loads its models.
        resolve_device(settings.device, settings.compute_type)
        application = create_app(settings)
        sock = listening_socket(settings.host, settings.port)
    notice(f"praesent is listening on http://{settings.host}:{settings.port}/")
    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        log_level="info",
        # JSON: uvicorn's loggers go to the process's one handler; text: to its own.
        log_config=None if settings.log_format == "json" else LOGGING_CONFIG,
        # Open connections (observers, uploads) get this long; live calls are handed over.
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_s),
    )
    redact_secrets_in_logs()  # after uvicorn's Config set its logging up
    with sock:
        uvicorn.Server(config).run(sockets=[sock])
