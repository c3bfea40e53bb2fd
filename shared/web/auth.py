"""Bearer-token authentication with scopes, as FastAPI dependencies."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from shared.errors import Forbidden, Unauthorized
from shared.settings import AuthSettings

ADMIN_SCOPE = "admin"
_bearer = HTTPBearer(auto_error=False, description="A JWT from `idic token`")


@dataclass(frozen=True)
class Principal:
    """Who is calling, and what they may do."""

    subject: str
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        """Whether the caller holds ``scope`` (``admin`` holds every scope)."""
        return scope in self.scopes or ADMIN_SCOPE in self.scopes


class TokenVerifier:
    """Verifies JWTs against the shared secret, a public key or a JWKS endpoint."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None

    def verify(self, token: str) -> Principal:
        """Decode and check a token; raise `Unauthorized` saying why it is refused."""
        try:
            claims = jwt.decode(
                token,
                key=self._key(token),
                algorithms=[self.settings.algorithm],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid bearer token: {exc}") from exc
        scopes = claims.get("scope", "")
        return Principal(subject=str(claims["sub"]), scopes=frozenset(str(scopes).split()))

    def _key(self, token: str) -> Any:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        if self.settings.public_key:
            return self.settings.public_key
        return self.settings.secret.get_secret_value()


def mint_token(
    settings: AuthSettings, *, subject: str, scopes: list[str], ttl_s: int | None = None
) -> str:
    """Sign a token with the configured secret (local development and tests)."""
    now = int(time.time())
    claims = {
        "sub": subject,
        "scope": " ".join(scopes),
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": now,
        "exp": now + (ttl_s or settings.token_ttl_s),
    }
    return jwt.encode(claims, settings.secret.get_secret_value(), algorithm=settings.algorithm)


async def _principal(
    request: Request,
    security: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = verifier.verify(credentials.credentials)
    missing = [s for s in security.scopes if not principal.has(s)]
    if missing:
        raise Forbidden(f"token lacks scope(s): {' '.join(missing)}", required=security.scopes)
    return principal


def require(*scopes: str) -> Any:
    """A parameter default that resolves the caller and checks ``scopes``."""
    return Security(_principal, scopes=list(scopes))
