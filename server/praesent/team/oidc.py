"""OpenID Connect sign-in, the parts without I/O: the authorization request and the checks of
an ID token (signature against the provider's keys, issuer, audience, expiry, nonce), with the
time passed in. The signature and claims checks are joserfc's (the Authlib author's JOSE
library)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from praesent.errors import PraesentError

# Clock difference tolerated between the provider and this server.
LEEWAY_S = 30
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]


class OidcError(PraesentError):
    """The provider's answer cannot sign anyone in; the message says why, safe to show."""

    code = "oidc_failed"


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email groups"
    # The claim whose values name teams; a user is put in the existing teams it names.
    teams_claim: str = "groups"


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A sign-in sent to the provider and not back yet, under its ``state``. Only the browser
    holding the cookie whose hash is ``browser_hash`` may finish it (no login CSRF)."""

    nonce: str
    code_verifier: str  # PKCE: the code is worth nothing without it
    browser_hash: str
    started: float  # monotonic
    # Set when a signed-in user links their provider identity to their account.
    link_user_id: str | None = None


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    endpoint: str,
    config: OidcConfig,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_verifier: str,
) -> str:
    query = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "scope": config.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": pkce_challenge(code_verifier),
        "code_challenge_method": "S256",
    }
    return f"{endpoint}?{urlencode(query)}"


def email_to_link(claims: dict[str, Any]) -> str:
    """The address a first sign-in may be matched by or created with: only one the provider
    says it verified. A missing claim is no verification (some providers send none)."""
    email = claims.get("email")
    if not isinstance(email, str) or not email or claims.get("email_verified") is not True:
        raise OidcError("the identity provider did not send a verified email address")
    return email


def verify_id_token(
    id_token: str, jwks: dict[str, Any], config: OidcConfig, nonce: str | None, now: int
) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise OidcError("the ID token's signature does not verify") from exc
    checks: dict[str, Any] = {
        "iss": {"essential": True, "value": config.issuer},
        "aud": {"essential": True, "value": config.client_id},
        "exp": {"essential": True},
        "sub": {"essential": True},
    }
    if nonce is not None:
        checks["nonce"] = {"essential": True, "value": nonce}
    registry = jwt.JWTClaimsRegistry(now=now, leeway=LEEWAY_S, **checks)
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        what = {"expired_token": "has expired"}.get(exc.error, f"is not for this server ({exc})")
        raise OidcError(f"the ID token {what}") from exc
    return dict(token.claims)


def subject_of(claims: dict[str, Any], issuer: str) -> str:
    return f"{issuer} {claims['sub']}"


def teams_from(claims: dict[str, Any], claim: str, known: Sequence[str]) -> list[str]:
    """The existing teams the claim names (a string or a list of strings)."""
    value = claims.get(claim)
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [name for name in names if isinstance(name, str) and name in set(known)]
