"""HTTP routes of the identity service."""

from __future__ import annotations

from fastapi import APIRouter

from shared.web import require

router = APIRouter(prefix="/v1", tags=["identity"], dependencies=[require()])
