"""Request and response models of the interaction service."""

from __future__ import annotations

from pydantic import BaseModel


class ChannelRead(BaseModel):
    """One contact channel."""

    name: str
    description: str
    personal: bool
    outbound: bool
