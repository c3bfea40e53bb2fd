"""Request and response models of the lifecycle service."""

from __future__ import annotations

from pydantic import BaseModel


class StageRead(BaseModel):
    """One lifecycle stage."""

    name: str
    order: int
    description: str
    strategy: str
