"""#22 item 12: the sign-in limiter, against two real replicas sharing SQLite and Redis.

* A burst: 50 concurrent wrong passwords were all checked (no 429: each attempt was counted
  only after its slow hash); now each counts as it starts, per address and per account.
* The address is the client's: a client that is not the configured proxy cannot choose it
  with ``X-Forwarded-For``; the deploy files trust only their proxy, not ``*``.
* Replicas share the counts through Redis (before: each process counted its own).
* Password hashes are bounded: 30 concurrent sign-ins took the server's RSS from 355 MB to
  1.84 GB (64 MiB each); now at most one per core is computed at once.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from praesent.store import EventStore
from praesent.team.credentials import ARGON2_MEMORY_KIB, PASSWORD_HASHES_AT_ONCE, hash_password
from praesent.team.limits import SIGNIN_FAILURES_PER_ACCOUNT, SIGNIN_FAILURES_PER_ADDRESS
from praesent.team.redis_limits import PREFIX
from tests.live_server import ServerProcess

REDIS_URL = os.environ.get("PRAESENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PASSWORD = "correct horse battery staple"
MIB = 1024 * 1024


@dataclass
class Replicas:
    a: ServerProcess
    b: ServerProcess


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for key in client.scan_iter(f"{PREFIX}*"):
            client.delete(key)
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is required and unreachable: {exc}")
    folder = tmp_path_factory.mktemp("signin")
    with EventStore(f"sqlite:///{folder / 'praesent.db'}") as store:
        store.migrate()
        store.people.create_user("sam@example.com", "seller", password_hash=hash_password(PASSWORD))
    # 127.0.0.1 plays the proxy: its X-Forwarded-For is believed, nobody else's.
    env = {"PRAESENT_REDIS_URL": REDIS_URL, "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    a, b = ServerProcess(folder, **env), ServerProcess(folder, **env)
    a.start(), b.start()
    yield Replicas(a, b)
    a.stop(), b.stop()
    for key in client.scan_iter(f"{PREFIX}*"):
        client.delete(key)
    client.close()


def _sign_ins(
    server: ServerProcess,
    attempts: list[tuple[str, str, str]],
    source: str = "127.0.0.1",
) -> Counter[int]:
    """Send the sign-ins (email, password, forwarded address) all at once; count the answers."""

    async def run() -> list[int]:
        transport = httpx.AsyncHTTPTransport(local_address=source)
        limits = httpx.Limits(max_connections=len(attempts))
        async with httpx.AsyncClient(transport=transport, limits=limits, timeout=120) as client:

            async def one(email: str, password: str, forwarded: str) -> int:
                answer = await client.post(
                    f"{server.http}/v1/auth/login",
                    json={"email": email, "password": password},
                    headers={"X-Forwarded-For": forwarded},
                )
                assert answer.status_code in (200, 401, 429), answer.text
                if answer.status_code == 429:
                    assert int(answer.headers["Retry-After"]) >= 1
                return answer.status_code

            return await asyncio.gather(*(one(*attempt) for attempt in attempts))

    return Counter(asyncio.run(run()))


def test_a_burst_of_wrong_passwords_is_refused(replicas: Replicas) -> None:
    # One account from one address: the account's limit holds.
    burst = [("sam@example.com", f"wrong password {i}", "198.51.100.1") for i in range(50)]
    answers = _sign_ins(replicas.a, burst)
    assert answers == {401: SIGNIN_FAILURES_PER_ACCOUNT, 429: 50 - SIGNIN_FAILURES_PER_ACCOUNT}
    # The account is locked for everyone now, the right password included.
    assert _sign_ins(replicas.a, [("sam@example.com", PASSWORD, "198.51.100.9")]) == {429: 1}
    # Fifty accounts from one address: the address's limit holds.
    spray = [(f"user{i}@example.com", "wrong password", "198.51.100.2") for i in range(30)]
    answers = _sign_ins(replicas.a, spray)
    assert answers == {401: SIGNIN_FAILURES_PER_ADDRESS, 429: 30 - SIGNIN_FAILURES_PER_ADDRESS}


def test_only_the_proxy_says_who_the_client_is(replicas: Replicas) -> None:
    # 127.0.0.2 is no proxy: its X-Forwarded-For is ignored, all its tries count against it.
    spoofed = [(f"spoof{i}@example.com", "wrong password", f"203.0.113.{i}") for i in range(30)]
    answers = _sign_ins(replicas.a, spoofed, source="127.0.0.2")
    assert answers == {401: SIGNIN_FAILURES_PER_ADDRESS, 429: 30 - SIGNIN_FAILURES_PER_ADDRESS}
    # Through the proxy each client counts on its own.
    proxied = [(f"proxied{i}@example.com", "wrong password", f"192.0.2.{i}") for i in range(5)]
    assert _sign_ins(replicas.a, proxied) == {401: 5}


def test_the_deploy_files_trust_only_their_proxy() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    trusted = compose["x-praesent"]["environment"]["FORWARDED_ALLOW_IPS"]
    caddy_networks = compose["services"]["caddy"]["networks"]
    caddy_addresses = {n["ipv4_address"] for n in caddy_networks.values()}
    assert trusted in caddy_addresses, (trusted, caddy_addresses)
    k8s = yaml.safe_load((DEPLOY / "k8s" / "config.yaml").read_text())
    assert k8s["data"]["FORWARDED_ALLOW_IPS"] not in ("*", "0.0.0.0/0", "::/0")


def test_replicas_share_the_counts(replicas: Replicas) -> None:
    email = "shared@example.com"
    half = SIGNIN_FAILURES_PER_ACCOUNT // 2
    first = [(email, "wrong password", f"198.51.100.{10 + i}") for i in range(half)]
    assert _sign_ins(replicas.a, first) == {401: half}
    rest = SIGNIN_FAILURES_PER_ACCOUNT - half
    second = [(email, "wrong password", f"198.51.100.{30 + i}") for i in range(rest + 5)]
    assert _sign_ins(replicas.b, second) == {401: rest, 429: 5}


def _rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def test_concurrent_password_checks_are_bounded(replicas: Replicas) -> None:
    server = replicas.b
    # Warm: one check first, so the baseline holds the allocator's steady state.
    _sign_ins(server, [("warm@example.com", "wrong password", "198.51.100.50")])
    Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # the peak starts again from now
    before = _rss_kib(server.pid, "VmRSS")
    checks = [(f"rss{i}@example.com", "wrong password", f"198.51.100.{60 + i}") for i in range(30)]
    assert _sign_ins(server, checks) == {401: 30}
    peak = _rss_kib(server.pid, "VmHWM")
    grown = (peak - before) * 1024
    # At most PASSWORD_HASHES_AT_ONCE hashes' memory at once, and some slack for the requests.
    bound = (PASSWORD_HASHES_AT_ONCE + 2) * ARGON2_MEMORY_KIB * 1024
    print(f"RSS {before // 1024} MB -> peak {peak // 1024} MB with 30 concurrent sign-ins")
    assert grown < bound, f"RSS grew {grown // MIB} MiB (bound {bound // MIB} MiB)"
