"""HTTP helpers: the app factory, problem details, auth, idempotency."""

from __future__ import annotations

from shared.web.app import create_service_app, operations_router
from shared.web.auth import Principal, TokenVerifier, mint_token, require
from shared.web.idempotency import IdempotencyKey, fingerprint, run_once
from shared.web.problems import problem

__all__ = [
    "IdempotencyKey",
    "Principal",
    "TokenVerifier",
    "create_service_app",
    "fingerprint",
    "mint_token",
    "operations_router",
    "problem",
    "require",
    "run_once",
]
