"""Passwords (argon2id) and random secrets (tokens, cookies, invitations), stored as hashes.

Passwords use argon2-cffi's RFC 9106 "low memory" profile, stated here so a change is
deliberate: argon2id, 3 passes, 64 MiB, 4 lanes, 16-byte salt, 32-byte hash. Tokens are 256
random bits, so a single SHA-256 is enough to store them (nothing to brute-force); only the
hash is ever written anywhere.
"""

from __future__ import annotations

import hashlib
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_PARALLELISM = 4
# One hash per core at most (their memory adds up: 30 at once took 1.8 GB): more would only
# wait for a core anyway.
PASSWORD_HASHES_AT_ONCE = max(1, min(os.cpu_count() or 1, 8))

_HASHER = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
)
# Verified against when the email is unknown, so both answers take the same time. A constant
# with the hasher's parameters (tests/team/test_auth.py checks them): hashing one at import cost
# every `praesent` process 0.3 s, and no sign-in can match it (``verify_password``).
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$uqc3LH4VmJ73ujQJqrHfXw"
    "$DCfeI4SqkYtGOGCaKmJBlKVuWiLMQbmw4YxSJ+ePyGo"
)

TOKEN_PREFIX = "prs_"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str = "") -> str:
    """256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
