"""A requests session whose every connection goes to public addresses only.

Checking a URL before a library reads it leaves two ways round the check: the host's name may
resolve elsewhere a moment later (DNS rebinding), and the library may follow addresses the far
server hands it (a CalDAV server names the calendars' home, which may sit on another host). So
the check is made where the socket opens: each new connection resolves its host once, is
refused when any address is not public, and connects to the addresses it checked. TLS still
verifies the certificate against the host's name.
"""

from __future__ import annotations

import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection

from praesent.webhooks.addresses import EndpointRefusedError, refuse_private


class RefusedAddressError(NewConnectionError):
    """The host resolves to a loopback, private or link-local address."""


def _open(conn: HTTPConnection) -> socket.socket:
    try:
        addresses = refuse_private(conn.host, conn.port)
    except EndpointRefusedError as error:
        raise RefusedAddressError(conn, f"refused: {error.message}") from None
    failure: OSError | None = None
    for address in addresses:
        try:
            return connection.create_connection(
                (address, conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as error:
            raise ConnectTimeoutError(conn, f"connecting to {conn.host} timed out") from error
        except OSError as error:
            failure = error
    raise NewConnectionError(conn, f"Failed to establish a new connection: {failure}")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _open(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _open(self)


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        manager: PoolManager = self.poolmanager
        manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def public_addresses_only(session: requests.Session) -> requests.Session:
    """``session`` with every http(s) connection checked as it opens; no proxy from the
    environment (the proxy's address would be checked, not the host's)."""
    session.trust_env = False
    session.proxies.clear()
    for scheme in ("http://", "https://"):
        session.mount(scheme, _GuardedAdapter())
    return session
